"""The chapter's study code, written once against Optuna's API: pass ``library=search`` or
``library=optuna`` (the course's, not Optuna's module).

==================================  ======================================================
lesson                              code
==================================  ======================================================
a storage, Optuna's spelling        :func:`journal_storage`
create or resume a stored study     :func:`open_study` (``load_if_exists=True``)
finish what a crash left undone     :func:`complete_trials`, :func:`optimize_until`
a grid search                       :func:`grid_search` (the sampler stops the study)
the section, end to end             :func:`run_study_demo`, :class:`StudyDemo`
==================================  ======================================================

``tests/test_search_swap.py`` runs these with both libraries: that is the check that the
chapter's study cells switch to ``import optuna as search`` unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["StudyDemo", "complete_trials", "grid_search", "journal_storage", "open_study",
           "optimize_until", "run_study_demo"]

Objective = Callable[[Any], float]


def journal_storage(library: ModuleType, path: str | os.PathLike) -> Any:
    """``library.storages.JournalStorage(library.storages.journal.JournalFileBackend(path))``.

    The file formats differ: ours is one JSON line per finished trial, Optuna's a log of
    every operation; each library reads only its own.
    """
    return library.storages.JournalStorage(library.storages.journal.JournalFileBackend(str(path)))


def open_study(
    library: ModuleType, storage: Any, *, study_name: str, seed: int, direction: str = "minimize"
) -> Any:
    """Create the random-search study ``study_name`` in ``storage``, or resume it."""
    return library.create_study(study_name=study_name, storage=storage, direction=direction,
                                sampler=library.samplers.RandomSampler(seed=seed),
                                load_if_exists=True)


def complete_trials(study: Any) -> list[Any]:
    """The study's COMPLETE trials (not the pruned, failed or running ones)."""
    return [trial for trial in study.trials if trial.state.name == "COMPLETE"]


def optimize_until(study: Any, objective: Objective, n_complete: int) -> None:
    """Run trials until ``n_complete`` are complete, counting those the study already has.

    ``optimize(n_trials=...)`` counts new trials; after a resume only the missing ones
    should run. (Optuna stores a trial stopped by Ctrl-C as FAIL, ours stores nothing:
    counting COMPLETE trials is right for both.)
    """
    study.optimize(objective, n_trials=max(n_complete - len(complete_trials(study)), 0))


def grid_search(
    library: ModuleType,
    grid: Mapping[str, Sequence[Any]],
    objective: Objective,
    *,
    seed: int = 0,
    direction: str = "maximize",
) -> Any:
    """Evaluate every point of ``grid`` once: ``optimize`` without ``n_trials`` ends when
    the grid sampler has run out of points."""
    study = library.create_study(direction=direction,
                                 sampler=library.samplers.GridSampler(grid, seed=seed))
    study.optimize(objective)
    return study


@dataclass
class StudyDemo:
    """What :func:`run_study_demo` did."""

    before_crash: list[Any]  #: the complete trials stored when the crash came
    resumed: Any  #: the study, opened again from the storage and finished
    best_trial: Any  #: ``resumed.best_trial``
    grid: Any | None  #: the grid study, if a grid was given


def run_study_demo(
    library: ModuleType,
    storage: Any,
    objective: Objective,
    *,
    n_trials: int = 10,
    crash_at: int = 6,
    seed: int = 1,
    study_name: str = "toy",
    direction: str = "minimize",
    grid: Mapping[str, Sequence[Any]] | None = None,
) -> StudyDemo:
    """A stored search crashes during trial ``crash_at``, is opened again, and finishes.

    1. open the study in ``storage`` and run ``objective``, interrupted (KeyboardInterrupt)
       when trial ``crash_at`` starts;
    2. open it again (a new :class:`Study` object, as a restarted process would) and run
       until ``n_trials`` trials are complete;
    3. optionally, a :func:`grid_search` over ``grid``.

    Note:
        The restart uses the same ``seed``. Ours then proposes what an unbroken search
        would have (values depend on the trial number); Optuna's ``RandomSampler`` starts
        its stream again and repeats the first trials' values: with Optuna, give a
        restarted process a new seed.
    """

    def crashing_objective(trial: Any) -> float:
        if trial.number == crash_at:
            raise KeyboardInterrupt(f"power cut during trial {crash_at}")
        return objective(trial)

    study = open_study(library, storage, study_name=study_name, seed=seed, direction=direction)
    with contextlib.suppress(KeyboardInterrupt):  # the process dies; below is the restart
        study.optimize(crashing_objective, n_trials=n_trials)
    before_crash = complete_trials(study)
    resumed = open_study(library, storage, study_name=study_name, seed=seed, direction=direction)
    optimize_until(resumed, objective, n_trials)
    grid_study = None if grid is None else grid_search(library, grid, objective, seed=seed,
                                                       direction=direction)
    return StudyDemo(before_crash, resumed, resumed.best_trial, grid_study)
