"""Studies kept in the memory of one process, as Optuna's ``InMemoryStorage``."""

from __future__ import annotations

import copy
import uuid

from course_utils.search._study_direction import StudyDirection
from course_utils.search.storages._base import BaseStorage, StoredStudy
from course_utils.search.trial import FrozenTrial


class InMemoryStorage(BaseStorage):
    """Studies and their finished trials in a dictionary, told apart by name.

    ``create_study(storage=None)`` needs no storage (the trials live in the study); pass one
    ``InMemoryStorage()`` to several ``create_study`` / ``load_study`` calls to share studies
    between them within one process, as in Optuna. Nothing survives the process.

    Examples:
        >>> from course_utils import search
        >>> storage = search.storages.InMemoryStorage()
        >>> search.create_study(storage=storage, study_name="s").optimize(
        ...     lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(search.load_study(study_name="s", storage=storage).trials)
        2
    """

    def __init__(self) -> None:
        self._studies: dict[str, StoredStudy] = {}

    def __repr__(self) -> str:
        return f"InMemoryStorage(studies={list(self._studies)})"

    def default_study_name(self) -> str:
        """A new unique name, as Optuna's ``no-name-<uuid>``."""
        return f"no-name-{uuid.uuid4()}"

    def create_new_study(self, study_name: str, direction: StudyDirection) -> int:
        study_id = len(self._studies)
        self._studies[study_name] = StoredStudy(study_name, direction, [], study_id=study_id)
        return study_id

    def get_all_study_names(self) -> list[str]:
        return list(self._studies)

    def load_study(self, study_name: str | None) -> StoredStudy | None:
        stored = self._studies.get(study_name) if study_name is not None else None
        return None if stored is None else copy.deepcopy(stored)

    def append_trial(self, study_name: str, trial: FrozenTrial) -> None:
        if study_name not in self._studies:
            raise KeyError(f"no study named {study_name!r} in {self!r}")
        self._studies[study_name].trials.append(copy.deepcopy(trial))
