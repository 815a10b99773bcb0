"""Studies, as ``optuna.study``: a direction, a sampler, a pruner, a storage and trials.

==============================  ==========================================================
Optuna                          here
==============================  ==========================================================
``optuna.create_study``         :func:`create_study` (same keywords and defaults, except
                                the default sampler: random search, not TPE, and no
                                ``directions``: one objective)
``optuna.load_study``           :func:`load_study`
``optuna.study.Study``          :class:`Study` (``optimize`` with Optuna's arguments,
                                ``ask`` / ``tell``, ``stop``, ``best_trial``,
                                ``best_params``, ``best_value``, ``trials``,
                                ``get_trials``, ``direction`` / ``directions``)
``StudyDirection``              :class:`StudyDirection`
==============================  ==========================================================

Resuming is Optuna's recipe: the same ``storage`` and ``study_name`` with
``load_if_exists=True`` continue the stored study; new trials are numbered after it.
"""

from __future__ import annotations

import copy
import gc
import math
import os
import time
import warnings
from collections.abc import Callable, Container, Iterable, Mapping, Sequence

from optuna.exceptions import TrialPruned as _OptunaTrialPruned

from course_utils.search._study_direction import Direction, StudyDirection, _direction
from course_utils.search.distributions import (
    Distribution,
    ParamValue,
    check_distribution_compatibility,
)
from course_utils.search.exceptions import DuplicatedStudyError
from course_utils.search.pruners import BasePruner, NopPruner
from course_utils.search.samplers import BaseSampler, RandomSampler
from course_utils.search.storages import BaseStorage, StoredStudy, get_storage
from course_utils.search.trial import FrozenTrial, Trial, TrialState

__all__ = ["Study", "StudyDirection", "create_study", "load_study"]


class Study:
    """A search: a direction, a sampler, a pruner and the trials run so far.

    Build it with :func:`create_study`. ``optimize`` runs an objective trial after trial;
    ``ask`` / ``tell`` let you run trials yourself, e.g. many at once.
    """

    def __init__(
        self,
        *,
        direction: StudyDirection,
        sampler: BaseSampler,
        pruner: BasePruner,
        study_name: str,
        storage: BaseStorage | None = None,
        trials: Iterable[FrozenTrial] = (),
        study_id: int = 0,
    ):
        self.direction = direction
        self.sampler = sampler
        self.pruner = pruner
        self.study_name = study_name
        self._storage = storage
        self._study_id = study_id
        self._finished: list[FrozenTrial] = list(trials)
        self._running: dict[int, Trial] = {}
        self._stop_flag = False
        self._optimizing = False
        # the first distribution each parameter name was asked with (Optuna's storages keep
        # one per study): later trials must ask for the same kind
        self._param_distributions: dict[str, Distribution] = {}
        for trial in self._finished:
            for name, distribution in trial.distributions.items():
                self._param_distributions.setdefault(name, distribution)

    def __repr__(self) -> str:
        return (f"Study(study_name={self.study_name!r}, direction={self.direction.name}, "
                f"sampler={self.sampler!r}, trials={len(self.get_trials(deepcopy=False))})")

    @property
    def directions(self) -> list[StudyDirection]:
        """``[direction]``: Optuna's spelling for studies of several objectives (a study
        here has one)."""
        return [self.direction]

    def _is_multi_objective(self) -> bool:
        return False

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial (finished and running) in the order of their numbers: copies, as
        ``get_trials(deepcopy=True)``."""
        return self.get_trials(deepcopy=True)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The trials in the order of their numbers, as Optuna's ``Study.get_trials``.

        Args:
            deepcopy: return deep copies (``copy.deepcopy``); False is faster, and the
                trials must then not be modified.
            states: keep only the trials in these states (None: every trial).

        Returns:
            A list of :class:`FrozenTrial`.
        """
        running = [trial.frozen() for trial in self._running.values()]
        trials = sorted(self._finished + running, key=lambda t: t.number)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value (a copy).

        Raises:
            ValueError: no trial is complete yet.
        """
        return self._get_best_trial(deepcopy=True)

    def _get_best_trial(self, deepcopy: bool) -> FrozenTrial:
        complete = [t for t in self._finished if t.state == TrialState.COMPLETE]
        if not complete:
            raise ValueError("No trials are completed yet.")
        pick = max if self.direction == StudyDirection.MAXIMIZE else min
        best = pick(complete, key=lambda t: t.value)
        return copy.deepcopy(best) if deepcopy else best

    @property
    def best_value(self) -> float:
        """The best value of a complete trial."""
        return self._get_best_trial(deepcopy=False).value

    @property
    def best_params(self) -> dict[str, ParamValue]:
        """The hyperparameters of the best trial."""
        return copy.deepcopy(self._get_best_trial(deepcopy=False).params)

    def ask(self, fixed_distributions: Mapping[str, Distribution] | None = None) -> Trial:
        """Start a new trial (numbered after every trial so far) and return it.

        Args:
            fixed_distributions: parameters to draw at once, name -> distribution (as
                if the trial had called ``suggest_*`` for each).

        Raises:
            TypeError: a value of ``fixed_distributions`` that is not a distribution.
        """
        for name, distribution in (fixed_distributions or {}).items():
            if not isinstance(distribution, Distribution):
                raise TypeError(f"fixed_distributions[{name!r}] must be a FloatDistribution, "
                                "IntDistribution or CategoricalDistribution, but got "
                                f"{distribution!r}")
        numbers = [t.number for t in self._finished] + list(self._running)
        trial = Trial(self, max(numbers, default=-1) + 1)
        self._running[trial.number] = trial
        self.sampler.before_trial(self, trial)
        for name, distribution in (fixed_distributions or {}).items():
            trial._suggest(name, distribution)
        return trial

    def _check_param_distribution(self, name: str, distribution: Distribution) -> None:
        """Raise if ``name`` was asked with another kind of distribution in this study."""
        first = self._param_distributions.setdefault(name, distribution)
        if first is not distribution:
            check_distribution_compatibility(first, distribution)

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial from :meth:`ask` with its score (``values``) or a state.

        As in Optuna: a value that is missing, NaN, not a number, or not one number makes
        the trial FAIL with a warning; a PRUNED trial keeps its last reported intermediate
        value (unless it is NaN). Finished trials go to the storage. With
        ``skip_if_finished``, telling a finished trial again returns it unchanged.

        Raises:
            TypeError: ``trial`` is neither a :class:`Trial` nor a trial number.
            ValueError: the trial was never asked for or is finished, ``state`` is RUNNING
                or WAITING, COMPLETE without values, or PRUNED / FAIL with values
                (Optuna's messages).
        """
        if skip_if_finished:
            number = _trial_number(trial)
            finished = [t for t in self._finished if t.number == number]
            if finished:
                return copy.deepcopy(finished[0])
        running = self._running_trial(trial)
        if state is not None:
            _check_told_state(TrialState(state), values)
        value = None
        if state is None:
            value, failure = _single_value(values)
            state = TrialState.COMPLETE if failure is None else TrialState.FAIL
            if failure is not None:
                warnings.warn(failure, UserWarning, stacklevel=2)
        elif state == TrialState.COMPLETE:
            value, failure = _single_value(values)
            if failure is not None:
                raise ValueError(failure)
        elif state == TrialState.PRUNED:
            last = running.frozen().last_step
            value = None if last is None else running.intermediate_values[last]
            if value is not None and math.isnan(value):
                value = None
        del self._running[running.number]
        frozen = running.frozen(TrialState(state), value)
        self._finished.append(frozen)
        if self._storage is not None:
            self._storage.append_trial(self.study_name, frozen)
        self.sampler.after_trial(self, frozen, frozen.state, frozen.values)
        return frozen

    def _running_trial(self, trial: Trial | int) -> Trial:
        number = _trial_number(trial)
        if number in self._running:
            return self._running[number]
        finished = [t for t in self._finished if t.number == number]
        if finished:
            raise ValueError(f"Cannot tell a {finished[0].state.name} trial.")
        raise ValueError(f"Cannot tell for trial with number {number} since it has not been "
                         "created.")

    def stop(self) -> None:
        """Let ``optimize`` finish the current trial and then return.

        Raises:
            RuntimeError: called outside ``optimize`` (Optuna's message).
        """
        if not self._optimizing:
            raise RuntimeError("`Study.stop` is supposed to be invoked inside an objective "
                               "function or a callback.")
        self._stop_flag = True

    def optimize(
        self,
        func: Callable[[Trial], float],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run ``func`` on ``n_trials`` new trials, one after another (Optuna's signature).

        A trial that raises :class:`TrialPruned` is PRUNED; one that raises an exception
        listed in ``catch`` is FAIL and the search goes on; any other exception marks the
        trial FAIL and propagates. ``n_trials`` counts new trials (after a resume, pass the
        number still missing). The search also ends after ``timeout`` seconds, on
        :meth:`stop`, or when a grid is exhausted. ``gc_after_trial`` runs ``gc.collect()``
        after every trial.

        Note:
            Trials run in this process, one at a time: ``n_jobs`` other than 1 raises (to
            train trials side by side use ``ask`` / ``tell`` with
            :func:`~course_utils.search.dlfs.train_configs`), and there is no progress bar
            (``show_progress_bar=True`` warns).

        Raises:
            ValueError: a negative ``n_trials``.
            NotImplementedError: ``n_jobs != 1``.
            RuntimeError: ``optimize`` called from inside ``optimize`` (Optuna's message).
        """
        if n_trials is not None and n_trials < 0:
            raise ValueError(f"n_trials must be non-negative, but got {n_trials}")
        if n_jobs != 1:
            raise NotImplementedError(
                f"n_jobs={n_jobs} is not supported: course_utils.search runs one trial at a "
                "time; train many trials at once with ask/tell and train_configs, or use "
                "Optuna's n_jobs")
        if show_progress_bar:
            warnings.warn("show_progress_bar=True is ignored: course_utils.search draws no "
                          "progress bar", UserWarning, stacklevel=2)
        if self._optimizing:
            raise RuntimeError("Nested invocation of `Study.optimize` method isn't allowed.")
        catch = tuple(catch) if isinstance(catch, Iterable) else (catch,)
        self._optimizing, self._stop_flag = True, False
        try:
            self._optimize_loop(func, n_trials, timeout, catch, callbacks or (), gc_after_trial)
        finally:
            self._optimizing = False

    def _optimize_loop(
        self, func: Callable[[Trial], float], n_trials: int | None, timeout: float | None,
        catch: tuple, callbacks: Iterable[Callable], gc_after_trial: bool,
    ) -> None:
        start, done = time.monotonic(), 0
        while (n_trials is None or done < n_trials) and not self._stop_flag:
            if timeout is not None and time.monotonic() - start >= timeout:
                break
            frozen = self._run_trial(func, catch)
            if gc_after_trial:
                gc.collect()
            for callback in callbacks:
                callback(self, frozen)
            done += 1

    def _run_trial(self, func: Callable[[Trial], float], catch: tuple) -> FrozenTrial:
        trial = self.ask()
        try:
            value = func(trial)
        except _OptunaTrialPruned:
            return self.tell(trial, state=TrialState.PRUNED)
        except Exception as error:
            self.tell(trial, state=TrialState.FAIL)
            if isinstance(error, catch):
                return self._finished[-1]
            raise
        with warnings.catch_warnings():  # one warning that names the trial instead
            warnings.simplefilter("ignore")
            frozen = self.tell(trial, value)
        if frozen.state == TrialState.FAIL:
            warnings.warn(f"Trial {frozen.number} failed with value {value!r}.", UserWarning,
                          stacklevel=3)
        return frozen


def _trial_number(trial: Trial | int) -> int:
    if isinstance(trial, Trial):
        return trial.number
    if isinstance(trial, int):
        return trial
    raise TypeError(f"Trial must be a trial object or trial number, but got trial={trial!r} "
                    f"({type(trial).__name__}).")


def _check_told_state(state: TrialState, values: float | Sequence[float] | None) -> None:
    """Optuna's rules for ``tell(trial, values, state)``."""
    if not state.is_finished():
        raise ValueError(f"Cannot tell with state TrialState.{state.name}.")
    if state == TrialState.COMPLETE and values is None:
        raise ValueError("No values were told. Values are required when state is "
                         "TrialState.COMPLETE.")
    if state != TrialState.COMPLETE and values is not None:
        raise ValueError("Values were told. Values cannot be specified when state is "
                         "TrialState.PRUNED or TrialState.FAIL.")


def _single_value(values: float | Sequence[float] | None) -> tuple[float | None, str | None]:
    """``(value, None)``, or ``(None, why it fails)`` in Optuna's words."""
    if isinstance(values, Sequence) and not isinstance(values, str):
        if len(values) != 1:
            return None, (f"The number of the values {len(values)} did not match the number "
                          "of the objectives 1")
        values = values[0]
    try:
        value = float(values)
    except (TypeError, ValueError):
        return None, f"The value {values!r} could not be cast to float."
    if math.isnan(value):
        return None, f"The value {value} is not acceptable"
    return value, None


def create_study(
    *,
    storage: str | os.PathLike | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: Direction | StudyDirection | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study, or resume the one stored under ``study_name`` in ``storage``.

    Optuna's keywords, except ``directions`` (studies of several objectives are Optuna's):
    ``create_study(directions=...)`` raises TypeError, where Optuna accepts a list of
    directions (and raises ValueError for a malformed one).

    Args:
        storage: None keeps the trials in memory; a storage such as
            ``storages.JournalStorage(storages.journal.JournalFileBackend(path))`` or
            ``storages.InMemoryStorage()`` (studies shared within the process); or a
            database URL string, ``"sqlite:///path.db"`` (as in Optuna; other databases
            are Optuna's). A :class:`pathlib.Path` is read as a journal file.
        sampler: how hyperparameters are drawn; default ``RandomSampler()``.
        pruner: how running trials are stopped early; default :class:`NopPruner`.
        study_name: the study's name in the storage; None: ``"study"`` (a journal file
            holds one study and loads it whatever its name), or a new unique name in a
            database, as in Optuna.
        direction: ``"minimize"`` (default, as in Optuna) or ``"maximize"``.
        load_if_exists: if the storage already holds the study, continue it (its
            finished trials are loaded and new trials are numbered after them).

    Returns:
        The :class:`Study`.

    Raises:
        DuplicatedStudyError: the study exists and ``load_if_exists`` is False.
        ValueError: an unsupported storage URL, an unknown direction, or a direction or
            name different from the stored study's.

    Examples:
        >>> from course_utils.search.samplers import RandomSampler
        >>> study = create_study(direction="maximize", sampler=RandomSampler(seed=0))
        >>> study.optimize(lambda trial: -(trial.suggest_float("x", -1, 1) ** 2), n_trials=20)
        >>> abs(study.best_params["x"]) < 0.2
        True
    """
    study_direction = _direction(direction)
    backend = get_storage(storage)
    sampler = sampler if sampler is not None else RandomSampler()
    pruner = pruner if pruner is not None else NopPruner()
    if backend is None:
        return Study(direction=study_direction, sampler=sampler, pruner=pruner,
                     study_name=study_name or "study")
    stored = backend.load_study(study_name)
    if stored is None:
        name = study_name or backend.default_study_name()
        study_id = backend.create_new_study(name, study_direction)
        return Study(direction=study_direction, sampler=sampler, pruner=pruner, study_name=name,
                     storage=backend, study_id=study_id)
    _check_resumable(stored, study_name, study_direction, load_if_exists)
    return Study(direction=study_direction, sampler=sampler, pruner=pruner,
                 study_name=stored.study_name, storage=backend, trials=stored.trials,
                 study_id=stored.study_id)


def load_study(
    *,
    study_name: str | None,
    storage: str | os.PathLike | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Continue a stored study (Optuna's ``load_study``), in its stored direction.

    ``study_name=None`` loads the storage's only study, as in Optuna.

    Raises:
        KeyError: no such study in ``storage``.
        ValueError: ``study_name=None`` and the storage does not hold exactly one study
            (Optuna's message).
    """
    backend = get_storage(storage)
    if study_name is None and backend is not None:
        study_names = backend.get_all_study_names()
        if len(study_names) != 1:
            raise ValueError(f"Could not determine the study name since the {storage=} does "
                             f"not contain exactly 1 study. Specify `study_name` from "
                             f"{study_names=}.")
        study_name = study_names[0]
    stored = None if backend is None else backend.load_study(study_name)
    if stored is None:
        raise KeyError(f"no study named {study_name!r} in the storage {storage!r}")
    return create_study(storage=backend, sampler=sampler, pruner=pruner,
                        study_name=stored.study_name, direction=stored.direction,
                        load_if_exists=True)


def _check_resumable(
    stored: StoredStudy, study_name: str | None, direction: StudyDirection, load: bool
) -> None:
    if not load:
        raise DuplicatedStudyError(
            f"Another study with study_name={stored.study_name!r} already exists. Please "
            "specify a name not in the storage, or reuse the existing one by setting "
            "`load_if_exists`.")
    if study_name is not None and study_name != stored.study_name:
        raise ValueError(f"study_name must match the stored study {stored.study_name!r}, but "
                         f"got {study_name!r}")
    if stored.direction != direction:
        raise ValueError(f"Cannot overwrite study direction from [{stored.direction!r}] to "
                         f"[{direction!r}].")
