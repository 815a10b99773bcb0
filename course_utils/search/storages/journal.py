"""The journal storage, as ``optuna.storages.journal``: the course's file of JSON lines.

==================================  ======================================================
Optuna                              here
==================================  ======================================================
``JournalStorage(backend)``         :class:`JournalStorage`
``JournalFileBackend(file_path)``   :class:`JournalFileBackend`: line 1 is the study
                                    (name, direction), then one JSON line per finished
                                    trial, flushed and ``fsync``-ed at once
==================================  ======================================================

Note:
    Optuna's journal logs every operation of many studies and many workers (with a file
    lock); this one holds **one** study written by one process, so it stays readable
    (``head runs.jsonl``). The two file formats are not interchangeable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from course_utils.search._study_direction import StudyDirection
from course_utils.search.storages._base import BaseStorage, StoredStudy
from course_utils.search.trial import FrozenTrial

__all__ = ["JournalFileBackend", "JournalStorage"]


class JournalFileBackend:
    """A file of JSON lines that one process appends to.

    A half-written last line (the process was killed during a write) is cut off when the
    file is read again.

    Args:
        file_path: the file; created on the first write.
    """

    def __init__(self, file_path: str | os.PathLike):
        self.file_path = Path(file_path)

    def __repr__(self) -> str:
        return f"JournalFileBackend({str(self.file_path)!r})"

    def exists(self) -> bool:
        """Whether the file holds anything."""
        return self.file_path.is_file() and self.file_path.stat().st_size > 0

    def _repair(self) -> None:
        data = self.file_path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.file_path.open("r+b") as file:
                file.truncate(data.rfind(b"\n") + 1)

    def read_records(self) -> list[dict[str, Any]]:
        """Every line, parsed.

        Raises:
            ValueError: a line that is not JSON (naming its line number).
        """
        self._repair()
        records = []
        for line_number, line in enumerate(self.file_path.read_text().splitlines(), start=1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"storage {self.file_path.name} line {line_number} is not "
                                 f"valid JSON: {error}") from error
        return records

    def append_line(self, line: str) -> None:
        """Append one line and make sure it is on disk."""
        with self.file_path.open("a") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())


class JournalStorage(BaseStorage):
    """One study in a :class:`JournalFileBackend`; resume it with ``load_if_exists=True``.

    Args:
        log_storage: the backend (Optuna's argument name).

    Examples:
        >>> import tempfile
        >>> from course_utils import search
        >>> path = Path(tempfile.mkdtemp()) / "runs.jsonl"
        >>> storage = search.storages.JournalStorage(search.storages.journal.JournalFileBackend(str(path)))
        >>> search.create_study(storage=storage).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(search.create_study(storage=storage, load_if_exists=True).trials)
        2
    """

    def __init__(self, log_storage: JournalFileBackend):
        self.backend = log_storage

    def __repr__(self) -> str:
        return f"JournalStorage({self.backend!r})"

    def create_new_study(self, study_name: str, direction: StudyDirection) -> int:
        header = {"kind": "study", "study_name": study_name, "direction": direction.name.lower()}
        self.backend.append_line(json.dumps(header))
        return 0

    def get_all_study_names(self) -> list[str]:
        """The file's study name, or none for an empty file."""
        stored = self.load_study(None)
        return [] if stored is None else [stored.study_name]

    def load_study(self, study_name: str | None) -> StoredStudy | None:
        """The file's study whatever ``study_name`` is (the caller compares the names)."""
        if not self.backend.exists():
            return None
        header: dict[str, Any] = {}
        trials = []
        for record in self.backend.read_records():
            if record.get("kind") == "study":
                header = record
            else:
                trials.append(FrozenTrial.from_dict(record))
        direction = StudyDirection[header.get("direction", "minimize").upper()]
        return StoredStudy(header.get("study_name", "study"), direction, trials)

    def append_trial(self, study_name: str, trial: FrozenTrial) -> None:
        self.backend.append_line(trial.to_json())
