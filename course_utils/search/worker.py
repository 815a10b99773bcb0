"""A worker process for the chapter's Optuna study, shared through a journal or a database.

Start several (``python -m course_utils.search --journal runs.log --study-name dlfs
--n-trials 10``), on one machine or many sharing the storage: each joins the study with
:func:`optuna_study` and runs trials of :func:`~course_utils.search.dlfs.dlfs_objective`.
``--crash-after`` kills the worker mid-trial (SIGKILL), to show what a crash leaves behind.
This is real Optuna (TPE, shared storages); the rest of the package is the course's copy.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import torch

from course_utils.search.dlfs import (
    DLFS_LR_RANGE,
    DLFS_WEIGHT_DECAY_RANGE,
    Split,
    dlfs_data,
    dlfs_objective,
)

__all__ = ["main", "optuna_study"]


def _worker_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.search",
        description="Run trials of the book's search in an Optuna study shared through a storage.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--journal", help="an Optuna journal file that the workers share")
    where.add_argument("--storage", help="a database URL, e.g. postgresql://user:pw@host/db")
    parser.add_argument("--study-name", required=True)
    parser.add_argument("--n-trials", type=int, required=True, help="trials this worker runs")
    parser.add_argument("--seed", type=int, default=0, help="seed of this worker's TPE sampler")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr-range", type=float, nargs=2, default=DLFS_LR_RANGE)
    parser.add_argument("--weight-decay-range", type=float, nargs=2,
                        default=DLFS_WEIGHT_DECAY_RANGE)
    parser.add_argument("--min-resource", type=int, default=5, help="the pruner's first rung")
    parser.add_argument("--crash-after", type=int, default=None,
                        help="simulate a crash: die (SIGKILL) during the trial after this many")
    return parser


def optuna_study(
    storage: Any, study_name: str, *, seed: int, min_resource: int = 5
) -> Any:
    """The chapter's Optuna study: maximize validation accuracy with TPE (Bergstra et al.,
    2011; 5 random start-up trials) and asynchronous successive halving (η = 3), joining the
    study of that name in ``storage`` if it exists.

    Args:
        storage: an Optuna storage or database URL shared by all workers.
        study_name: the study's name in the storage.
        seed: this worker's sampler seed (give each worker its own).
        min_resource: epochs before the pruner's first decision.
    """
    import optuna

    return optuna.create_study(
        study_name=study_name, direction="maximize", load_if_exists=True, storage=storage,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=5),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource,
                                                      reduction_factor=3))


def main(argv: Sequence[str] | None = None) -> int:
    """A worker: join (or create) the study and run ``--n-trials`` trials of the book's search.

    Start several at once, on one machine or on many that share the storage (a journal
    file on a shared disk, or a database server): every worker sees every finished trial.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    args = _worker_parser().parse_args(argv)
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = (JournalStorage(JournalFileBackend(args.journal)) if args.journal
               else args.storage)
    study = optuna_study(storage, args.study_name, seed=args.seed, min_resource=args.min_resource)
    train, val = dlfs_data()
    finished = []

    def objective(trial: Any) -> float:
        if args.crash_after is not None and len(finished) >= args.crash_after:
            return _crash_during(trial, train, val, tuple(args.lr_range),
                                 tuple(args.weight_decay_range))
        return dlfs_objective(trial, train, val, epochs=args.epochs,
                              lr_range=tuple(args.lr_range),
                              weight_decay_range=tuple(args.weight_decay_range))

    study.optimize(objective, n_trials=args.n_trials,
                   callbacks=[lambda study, trial: finished.append(trial.number)])
    return 0


def _crash_during(
    trial: Any, train: Split, val: Split, lr_range: tuple[float, float],
    decay_range: tuple[float, float],
) -> float:
    """Start the trial, then die the way a killed process does: no clean-up at all."""
    dlfs_objective(trial, train, val, epochs=2, lr_range=lr_range, weight_decay_range=decay_range)
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")  # pragma: no cover
