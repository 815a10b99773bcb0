"""The parts of Optuna's own test helpers (``optuna.testing``) that the ports use, in one
place, written against ``impl.optuna`` (course_utils.search, or optuna with
``COURSE_UPSTREAM=real``): ``optuna.testing.objectives`` verbatim and
``optuna.testing.storages`` for the storages course_utils.search claims.
"""

# ruff: noqa: B011  (upstream's idioms, kept verbatim)

from __future__ import annotations

import tempfile
from typing import Any

from _upstream_impl import impl

optuna = impl.optuna
Trial = optuna.trial.Trial
TrialPruned = optuna.TrialPruned


# optuna.testing.objectives
def fail_objective(_: Trial) -> float:
    raise ValueError()


def pruned_objective(trial: Trial) -> float:
    raise TrialPruned()


# optuna.testing.storages, for the storages course_utils.search claims
STORAGE_MODES: list[Any] = ["inmemory", "sqlite", "journal"]


class StorageSupplier:
    def __init__(self, storage_specifier: str) -> None:
        self.storage_specifier = storage_specifier
        self.tempfile: Any = None
        self.storage: Any = None

    def __enter__(self) -> Any:
        if self.storage_specifier == "inmemory":
            self.storage = optuna.storages.InMemoryStorage()
        elif "sqlite" in self.storage_specifier:
            self.tempfile = tempfile.NamedTemporaryFile()
            self.storage = optuna.storages.RDBStorage(f"sqlite:///{self.tempfile.name}")
        elif "journal" in self.storage_specifier:
            self.tempfile = tempfile.NamedTemporaryFile()
            file_storage = optuna.storages.journal.JournalFileBackend(self.tempfile.name)
            self.storage = optuna.storages.JournalStorage(file_storage)
        else:
            assert False
        return self.storage

    def __exit__(self, *exc_info: Any) -> None:
        engine = getattr(self.storage, "engine", None)
        if engine is not None:  # Optuna's RDBStorage
            engine.dispose()
        if self.tempfile:
            self.tempfile.close()
