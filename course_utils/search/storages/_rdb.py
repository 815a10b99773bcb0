"""A small relational storage on the standard library's ``sqlite3`` (``sqlite:///path``)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager

from course_utils.search._study_direction import StudyDirection
from course_utils.search.storages._base import BaseStorage, StoredStudy
from course_utils.search.trial import FrozenTrial

SQLITE_PREFIX = "sqlite:///"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS course_studies (
    study_id INTEGER PRIMARY KEY, study_name TEXT UNIQUE NOT NULL, direction TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS course_trials (
    trial_id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES course_studies,
    number INTEGER NOT NULL, state TEXT NOT NULL, value REAL, record TEXT NOT NULL,
    UNIQUE (study_id, number));
"""


class RDBStorage(BaseStorage):
    """Studies and their finished trials in two tables of an SQLite file.

    ``create_study(storage="sqlite:///runs.db")`` builds one, as in Optuna; many studies
    share a file, told apart by name. Each finished trial is committed at once.

    Note:
        The tables are the course's (``course_studies``, ``course_trials``), not Optuna's
        schema: a file written by one library is not read by the other.

    Args:
        url: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, or
            ``sqlite:///:memory:`` (a database that lives as long as the storage).

    Raises:
        ValueError: a URL that is not ``sqlite:///...``, or a file written by Optuna.
    """

    def __init__(self, url: str):
        if not url.startswith(SQLITE_PREFIX) or url == SQLITE_PREFIX:
            raise ValueError(f"url must look like 'sqlite:///path.db', but got {url!r}")
        self.url = url
        self.path = url[len(SQLITE_PREFIX):]
        # ":memory:" is a new database per connection: keep one open
        self._memory = sqlite3.connect(":memory:") if self.path == ":memory:" else None
        with self._connection() as connection:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" in tables:
                raise ValueError(f"{url!r} holds an Optuna database; open it with "
                                 "`optuna.create_study(storage=...)`, or give the course its own file")
            connection.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"RDBStorage({self.url!r})"

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection whose changes are committed at the end of the block."""
        if self._memory is not None:
            with self._memory:
                yield self._memory
            return
        with closing(sqlite3.connect(self.path, timeout=30)) as connection, connection:
            yield connection

    def default_study_name(self) -> str:
        """A new unique name, as Optuna's ``no-name-<uuid>``."""
        return f"no-name-{uuid.uuid4()}"

    def create_new_study(self, study_name: str, direction: StudyDirection) -> int:
        with self._connection() as connection:
            cursor = connection.execute("INSERT INTO course_studies (study_name, direction) "
                                        "VALUES (?, ?)", (study_name, direction.name.lower()))
            return int(cursor.lastrowid)

    def get_all_study_names(self) -> list[str]:
        with self._connection() as connection:
            rows = connection.execute("SELECT study_name FROM course_studies ORDER BY study_id")
            return [name for (name,) in rows.fetchall()]

    def load_study(self, study_name: str | None) -> StoredStudy | None:
        if study_name is None:
            return None
        with self._connection() as connection:
            row = connection.execute("SELECT study_id, direction FROM course_studies WHERE "
                                     "study_name = ?", (study_name,)).fetchone()
            if row is None:
                return None
            records = connection.execute("SELECT record FROM course_trials WHERE study_id = ? "
                                         "ORDER BY number", (row[0],)).fetchall()
        trials = [FrozenTrial.from_dict(json.loads(record)) for (record,) in records]
        return StoredStudy(study_name, StudyDirection[row[1].upper()], trials, study_id=row[0])

    def append_trial(self, study_name: str, trial: FrozenTrial) -> None:
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO course_trials (study_id, number, state, value, record) SELECT "
                "study_id, ?, ?, ?, ? FROM course_studies WHERE study_name = ?",
                (trial.number, trial.state.name, trial.value, trial.to_json(), study_name))
