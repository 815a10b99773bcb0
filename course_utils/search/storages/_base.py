"""What a study needs from a storage: create a study, load it back, append finished trials."""

from __future__ import annotations

from dataclasses import dataclass, field

from course_utils.search._study_direction import StudyDirection
from course_utils.search.trial import FrozenTrial


@dataclass
class StoredStudy:
    """A study as a storage returns it: its name, direction, finished trials and its id in
    the storage."""

    study_name: str
    direction: StudyDirection
    trials: list[FrozenTrial] = field(default_factory=list)
    study_id: int = 0


class BaseStorage:
    """The operations :class:`~course_utils.search.study.Study` uses.

    Only finished trials are stored (Optuna also stores running ones), so a search killed
    at any moment leaves every trial that had finished and nothing else.
    """

    def default_study_name(self) -> str:
        """The name of a study created with ``study_name=None``."""
        return "study"

    def create_new_study(self, study_name: str, direction: StudyDirection) -> int:
        """Record a new, empty study; return its id in the storage."""
        raise NotImplementedError

    def get_all_study_names(self) -> list[str]:
        """The names of the stored studies, oldest first (Optuna's method of that name)."""
        raise NotImplementedError

    def load_study(self, study_name: str | None) -> StoredStudy | None:
        """The stored study named ``study_name`` (None: the storage's only one), or None."""
        raise NotImplementedError

    def append_trial(self, study_name: str, trial: FrozenTrial) -> None:
        """Store one finished trial, durably (it survives a kill right after)."""
        raise NotImplementedError
