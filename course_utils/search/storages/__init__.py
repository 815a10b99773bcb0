"""Storages, as ``optuna.storages``: where a study's trials live, so a search can resume.

======================================  ==================================================
Optuna                                  here
======================================  ==================================================
``JournalStorage(JournalFileBackend)``  :class:`JournalStorage`,
                                        :class:`journal.JournalFileBackend` (the course's
                                        JSON-lines file, one study, one writer)
``RDBStorage(url)``, ``"sqlite:///…"``  :class:`RDBStorage` on ``sqlite3`` only; server
                                        databases (``postgresql://``, ``mysql://``) are
                                        Optuna's: ``import optuna``
``get_storage(storage)``                :func:`get_storage`
``InMemoryStorage()``                   :class:`InMemoryStorage` (studies shared within
                                        one process); ``storage=None``: the trials live
                                        in the study
======================================  ==================================================

A string ``storage`` is a database URL, as in Optuna. A :class:`pathlib.Path` is read as a
journal file (a course shortcut that Optuna does not accept).
"""

from __future__ import annotations

import os

from course_utils.search.storages import journal
from course_utils.search.storages._base import BaseStorage, StoredStudy
from course_utils.search.storages._in_memory import InMemoryStorage
from course_utils.search.storages._rdb import SQLITE_PREFIX, RDBStorage
from course_utils.search.storages.journal import JournalFileBackend, JournalStorage

__all__ = ["BaseStorage", "InMemoryStorage", "JournalStorage", "RDBStorage", "StoredStudy",
           "get_storage", "journal"]


def get_storage(storage: str | os.PathLike | BaseStorage | None) -> BaseStorage | None:
    """The storage a ``create_study(storage=...)`` argument names.

    Args:
        storage: None (in memory), a storage, a database URL string (``sqlite:///path``),
            or a :class:`pathlib.Path` of a journal file.

    Raises:
        ValueError: a string that is not a URL, or a database the course does not support
            (the message names the URL).
    """
    if storage is None or isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        return _storage_from_url(storage)
    if isinstance(storage, os.PathLike):
        return JournalStorage(JournalFileBackend(storage))
    raise ValueError(f"storage must be None, a storage, a database URL or a Path, but got "
                     f"{type(storage).__name__}")


def _storage_from_url(url: str) -> BaseStorage:
    if url.startswith(SQLITE_PREFIX):
        return RDBStorage(url)
    if "://" not in url:
        raise ValueError(
            f"storage {url!r} is read as a database URL (as in Optuna) but is not one; for a "
            "file of JSON lines pass storages.JournalStorage(storages.journal."
            f"JournalFileBackend({url!r})), or use a URL such as 'sqlite:///study.db'")
    scheme = url.split("://", 1)[0]
    raise ValueError(
        f"storage {url!r}: course_utils.search supports only 'sqlite:///path' databases, not "
        f"{scheme!r}; for a server database use Optuna (`import optuna as search`), whose "
        "RDBStorage speaks PostgreSQL and MySQL through SQLAlchemy")
