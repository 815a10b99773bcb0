"""Hyperparameter search (chapter 06), shaped like Optuna so a notebook can switch to it.

*Parameters* (weights, biases, BN's gamma and beta) are learned by gradient descent;
*hyperparameters* (layer sizes, learning rate, weight decay, batch size, dropout rate,
optimizer) are chosen by people, by training and scoring candidates on a **validation**
set. This module is the search loop, written small enough to read:

==========================  ==============================================================
lesson                      code
==========================  ==============================================================
a study of trials           :func:`create_study`, :class:`Study` (``optimize``, ``ask`` /
                            ``tell``, ``best_params``, ``best_value``, ``trials``),
                            :class:`Trial` (``suggest_float`` / ``suggest_int`` /
                            ``suggest_categorical``, ``report``, ``should_prune``)
sampling on a log scale     :func:`sample_log_uniform`, :class:`RandomSampler`
grid search                 :class:`GridSampler`
stopping bad runs early     :class:`EarlyStopping`, :func:`successive_halving`,
                            :func:`halving_survivors`, :class:`SuccessiveHalvingPruner`
little data                 :func:`kfold_indices`, :func:`cross_val_scores`
narrowing the ranges        :func:`narrow_range` (warns when the best lies on a border)
resuming a killed search    ``create_study(storage="runs.jsonl", load_if_exists=True)``
many trials at once         :func:`train_configs` (trials trained side by side)
Optuna at scale             :func:`dlfs_objective`, ``python -m course_utils.search``
==========================  ==============================================================

The names, arguments and error messages are Optuna's (Akiba et al., 2019), so code written
against ``course_utils.search`` runs with ``import optuna`` after changing the import
(``optuna.samplers.RandomSampler`` is ``search.samplers.RandomSampler`` here). Two
differences are deliberate: the default sampler is random search (Optuna's is TPE), and
``storage`` is a path to a JSON-lines file that one process appends to (Optuna's storages
are databases and journal files that many workers share).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import torch
from optuna.exceptions import DuplicatedStudyError as _OptunaDuplicatedStudyError
from optuna.exceptions import TrialPruned as _OptunaTrialPruned
from torch import Tensor, nn

from course_utils.batched import fit_batched
from course_utils.models import mlp
from course_utils.training import History, evaluate, fit

__all__ = [
    "CategoricalDistribution", "DuplicatedStudyError", "EarlyStopping", "FloatDistribution",
    "FrozenTrial", "GridSampler", "HalvingResult", "IntDistribution", "NopPruner",
    "RandomSampler", "RangeBorderWarning", "Study", "StudyDirection",
    "SuccessiveHalvingPruner", "Trial", "TrialPruned", "TrialState", "create_study",
    "cross_val_scores", "dlfs_data", "dlfs_objective", "halving_survivors", "kfold_indices",
    "narrow_range", "optuna_study", "pruners", "sample_log_uniform", "samplers", "selection_optimism",
    "successive_halving",
    "suggest_dlfs", "train_configs",
]

Direction = Literal["minimize", "maximize"]
Split = tuple[Tensor, Tensor]
ParamValue = float | int | str | bool | None

#: *Deep Learning from Scratch* (ch. 6) search: 784-100x6-10 ReLU MLP, SGD, 50 epochs.
DLFS_SIZES = [784] + [100] * 6 + [10]
DLFS_LR_RANGE = (1e-6, 1e-2)
DLFS_WEIGHT_DECAY_RANGE = (1e-8, 1e-4)


# ---------------------------------------------------------------------------------------
# Exceptions and states (Optuna's, so `except optuna.TrialPruned` catches ours too)
# ---------------------------------------------------------------------------------------


class TrialPruned(_OptunaTrialPruned):
    """Raise inside an objective to stop a trial that ``should_prune()`` gave up on.

    A subclass of ``optuna.TrialPruned``: one objective works under both libraries.
    """


class DuplicatedStudyError(_OptunaDuplicatedStudyError):
    """A study already exists in the storage and ``load_if_exists`` is False."""


class TrialState(IntEnum):
    """Life cycle of a trial, with Optuna's names and values."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAIL are final."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class StudyDirection(IntEnum):
    """Whether the objective is minimized or maximized (Optuna's enum values)."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2


def _direction(direction: Direction | StudyDirection | None) -> StudyDirection:
    if isinstance(direction, StudyDirection) and direction != StudyDirection.NOT_SET:
        return direction
    if direction in (None, "minimize"):
        return StudyDirection.MINIMIZE
    if direction == "maximize":
        return StudyDirection.MAXIMIZE
    raise ValueError(f"Please set either 'minimize' or 'maximize' to direction. You specified "
                     f"{direction}.")


# ---------------------------------------------------------------------------------------
# Search spaces (Optuna's distributions and their validation messages)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloatDistribution:
    """Real values in ``[low, high]``; on a log scale if ``log``; on a grid if ``step``.

    Raises:
        ValueError: ``low > high``, ``log`` with ``low <= 0``, ``step`` with ``log``, or
            ``step <= 0`` (Optuna's messages).
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        low, high, step = self.low, self.high, self.step
        if self.log and step is not None:
            raise ValueError("The parameter `step` is not supported when `log` is true.")
        if low > high:
            raise ValueError(f"`low <= high` must hold, but got ({low=}, {high=}).")
        if self.log and low <= 0.0:
            raise ValueError(f"`low > 0` must hold for `log=True`, but got ({low=}, {high=}).")
        if step is not None and step <= 0:
            raise ValueError(f"`step > 0` must hold, but got {step=}.")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high


@dataclass(frozen=True)
class IntDistribution:
    """Integers ``low, low + step, ..., high``; log-uniform over ``[low, high]`` if ``log``.

    Raises:
        ValueError: ``low > high``, ``log`` with ``low < 1`` or ``step != 1``, or
            ``step <= 0`` (Optuna's messages).
    """

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        low, high, step = self.low, self.high, self.step
        if self.log and step != 1:
            raise ValueError("Samplers and other components in Optuna only accept step is 1 "
                             "when `log` argument is True.")
        if low > high:
            raise ValueError(f"`low <= high` must hold, but got ({low=}, {high=}).")
        if self.log and low < 1:
            raise ValueError(f"`low >= 1` must hold for `log=True`, but got ({low=}, {high=}).")
        if step <= 0:
            raise ValueError(f"`step > 0` must hold, but got {step=}.")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high


@dataclass(frozen=True)
class CategoricalDistribution:
    """One of a fixed tuple of choices (None, bool, int, float or str).

    Raises:
        ValueError: no choices (Optuna's message).
    """

    choices: tuple[ParamValue, ...]

    def __post_init__(self) -> None:
        if len(self.choices) == 0:
            raise ValueError("The `choices` must contain one or more elements.")

    def contains(self, value: ParamValue) -> bool:
        """Whether ``value`` is one of the choices."""
        return value in self.choices


Distribution = FloatDistribution | IntDistribution | CategoricalDistribution
_KINDS = {"float": FloatDistribution, "int": IntDistribution, "categorical": CategoricalDistribution}


def _distribution_to_dict(distribution: Distribution) -> dict[str, Any]:
    kind = {FloatDistribution: "float", IntDistribution: "int"}.get(type(distribution), "categorical")
    fields = dict(distribution.__dict__)
    if kind == "categorical":
        fields["choices"] = list(distribution.choices)
    return {"type": kind, **fields}


def _distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    fields = {key: value for key, value in data.items() if key != "type"}
    if data["type"] == "categorical":
        fields["choices"] = tuple(fields["choices"])
    return _KINDS[data["type"]](**fields)


# ---------------------------------------------------------------------------------------
# Log-uniform sampling: the same number of samples in every decade
# ---------------------------------------------------------------------------------------


def sample_log_uniform(
    low: float,
    high: float,
    size: int | Sequence[int] = (),
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw ``x = exp(u)`` with ``u ~ U(ln low, ln high)``: uniform in the exponent.

    The density is :math:`p(x) = 1 / (x \ln(high / low))`, so every factor-of-ten interval
    (decade) inside ``[low, high]`` receives the same share of samples,
    :math:`\ln 10 / \ln(high / low)`. Uniform sampling over ``[1e-6, 1e-2]`` puts 90 % of
    its samples in the top decade; log-uniform puts 25 % in each. The uniform numbers are
    float64 (``torch.rand(size, generator=generator, dtype=torch.float64)``).

    Args:
        low, high: the range, ``0 < low <= high``.
        size: shape of the result.
        generator: source of randomness.

    Returns:
        A float64 tensor of samples in ``[low, high]``.

    Raises:
        ValueError: ``low <= 0`` or ``low > high`` (Optuna's wording).

    Examples:
        >>> x = sample_log_uniform(1e-6, 1e-2, 4000, generator=torch.Generator().manual_seed(0))
        >>> share = ((x >= 1e-3) & (x < 1e-2)).double().mean().item()  # one decade of four
        >>> abs(share - 0.25) < 0.03
        True
    """
    FloatDistribution(low, high, log=True)  # validates with Optuna's messages
    size = (size,) if isinstance(size, int) else tuple(size)
    u = torch.rand(size, generator=generator, dtype=torch.float64)
    log_low, log_high = math.log(low), math.log(high)
    return torch.exp(log_low + u * (log_high - log_low)).clamp(low, high)


# ---------------------------------------------------------------------------------------
# Trials
# ---------------------------------------------------------------------------------------


@dataclass
class FrozenTrial:
    """A finished (or running) trial as stored: Optuna's ``FrozenTrial`` fields that the
    course uses."""

    number: int
    state: TrialState
    value: float | None
    params: dict[str, ParamValue] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)

    @property
    def values(self) -> list[float] | None:
        """``[value]`` (Optuna's multi-objective spelling), or None."""
        return None if self.value is None else [self.value]

    @property
    def last_step(self) -> int | None:
        """The largest step reported with :meth:`Trial.report`, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    def to_json(self) -> str:
        """One JSON line (the storage format)."""
        record = {
            "kind": "trial", "number": self.number, "state": self.state.name, "value": self.value,
            "params": self.params,
            "distributions": {k: _distribution_to_dict(d) for k, d in self.distributions.items()},
            "user_attrs": self.user_attrs, "system_attrs": self.system_attrs,
            "intermediate_values": {str(k): v for k, v in self.intermediate_values.items()},
        }
        return json.dumps(record)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> FrozenTrial:
        """The inverse of :meth:`to_json` (after ``json.loads``)."""
        return cls(
            number=record["number"], state=TrialState[record["state"]], value=record["value"],
            params=dict(record["params"]),
            distributions={k: _distribution_from_dict(d) for k, d in record["distributions"].items()},
            user_attrs=dict(record["user_attrs"]), system_attrs=dict(record["system_attrs"]),
            intermediate_values={int(k): v for k, v in record["intermediate_values"].items()},
        )


class Trial:
    """One evaluation of the objective: it asks the study's sampler for hyperparameters.

    Created by :meth:`Study.ask` (or inside :meth:`Study.optimize`); the objective calls
    ``suggest_*`` to get values, optionally ``report`` / ``should_prune`` every epoch, and
    returns the score.
    """

    def __init__(self, study: Study, number: int):
        self.study = study
        self.number = number
        self.params: dict[str, ParamValue] = {}
        self.distributions: dict[str, Distribution] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.intermediate_values: dict[int, float] = {}

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params})"

    def _suggest(self, name: str, distribution: Distribution) -> Any:
        if name in self.params:  # asking twice returns the same value, as in Optuna
            return self.params[name]
        value = self.study.sampler.sample_independent(self.study, self, name, distribution)
        self.params[name] = value
        self.distributions[name] = distribution
        return value

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A real hyperparameter in ``[low, high]`` (log-uniform if ``log``).

        Raises:
            ValueError: an invalid range (see :class:`FloatDistribution`).
        """
        return float(self._suggest(name, FloatDistribution(low, high, log=log, step=step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An integer hyperparameter in ``[low, high]`` (e.g. a layer width).

        Raises:
            ValueError: an invalid range (see :class:`IntDistribution`).
        """
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[ParamValue]) -> ParamValue:
        """One of ``choices`` (e.g. an optimizer name).

        Raises:
            ValueError: no choices.
        """
        return self._suggest(name, CategoricalDistribution(tuple(choices)))

    def report(self, value: float, step: int) -> None:
        """Record an intermediate score (e.g. validation accuracy after epoch ``step``).

        Raises:
            ValueError: a negative step.
        """
        if step < 0:
            raise ValueError(f"The `step` argument is {step} but cannot be negative.")
        if step in self.intermediate_values:
            warnings.warn(f"The reported value is ignored because this `step` {step} is "
                          "already reported.", UserWarning, stacklevel=2)
            return
        self.intermediate_values[step] = float(value)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether to give up on this trial now."""
        return bool(self.study.pruner.prune(self.study, self.frozen()))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable note to the trial (kept in the storage)."""
        self.user_attrs[key] = value

    def frozen(self, state: TrialState = TrialState.RUNNING, value: float | None = None) -> FrozenTrial:
        """A snapshot of this trial as a :class:`FrozenTrial`."""
        return FrozenTrial(self.number, state, value, dict(self.params), dict(self.distributions),
                           dict(self.user_attrs), dict(self.system_attrs),
                           dict(self.intermediate_values))


# ---------------------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------------------


class BaseSampler:
    """What a sampler does: pick a value for one hyperparameter of one trial."""

    def before_trial(self, study: Study, trial: Trial) -> None:
        """Called when a trial starts (the grid sampler picks its grid point here)."""

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        """Return a value for ``param_name`` drawn from ``param_distribution``."""
        raise NotImplementedError

    def after_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Called when a trial has finished."""


def _trial_generator(seed: int, number: int, name: str) -> torch.Generator:
    """A generator that depends only on (seed, trial number, parameter name)."""
    sequence = np.random.SeedSequence([seed, number, zlib.crc32(name.encode())])
    return torch.Generator().manual_seed(int(sequence.generate_state(1, np.uint64)[0] >> 1))


class RandomSampler(BaseSampler):
    """Random search: every hyperparameter drawn independently from its distribution.

    Floats are uniform on ``[low, high)``, or log-uniform (:func:`sample_log_uniform`)
    with ``log=True``; integers and categories are uniform over their values. Each value
    is drawn from a generator seeded by ``(seed, trial number, parameter name)``, so trial
    ``n`` gets the same hyperparameters whether the search ran without a break or was
    killed and resumed, and whichever order the objective asks in. (Optuna's
    ``RandomSampler`` draws from one stream instead: its values agree with these in
    distribution, not one by one.)

    Args:
        seed: seed of the search; None draws one at random.
    """

    def __init__(self, seed: int | None = None):
        self.seed = secrets.randbits(63) if seed is None else int(seed)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed})"

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        generator = _trial_generator(self.seed, trial.number, param_name)
        return _draw(param_distribution, generator)


def _draw(distribution: Distribution, generator: torch.Generator) -> ParamValue:
    if isinstance(distribution, CategoricalDistribution):
        index = torch.randint(len(distribution.choices), (1,), generator=generator).item()
        return distribution.choices[index]
    low, high = distribution.low, distribution.high
    if isinstance(distribution, IntDistribution):
        if distribution.log:  # log-uniform over [low - 0.5, high + 0.5], then round (Optuna)
            value = sample_log_uniform(low - 0.5, high + 0.5, generator=generator).item()
            return min(max(round(value), low), high)
        n_values = (high - low) // distribution.step + 1
        return low + distribution.step * torch.randint(n_values, (1,), generator=generator).item()
    if distribution.log:
        return sample_log_uniform(low, high, generator=generator).item()
    u = torch.rand((), generator=generator, dtype=torch.float64).item()
    if distribution.step is None:
        return low + u * (high - low)
    n_values = int(math.floor((high - low) / distribution.step + 1e-9)) + 1
    return low + distribution.step * min(int(u * n_values), n_values - 1)


class GridSampler(BaseSampler):
    """Grid search: every combination of the listed values, each once.

    Trial ``n`` gets grid point ``n`` of the product of the value lists (parameter names
    sorted), taken in an order shuffled by ``seed`` as Optuna's ``GridSampler`` does, so
    that a search stopped early still spreads out. The study stops by itself once every
    point has been evaluated.

    Args:
        search_space: parameter name -> list of values.
        seed: seed of the shuffled order (None means 0).

    Raises:
        ValueError: an empty list of values.
    """

    def __init__(self, search_space: Mapping[str, Sequence[ParamValue]], seed: int | None = None):
        for name, values in search_space.items():
            if len(values) == 0:
                raise ValueError(f"search_space[{name!r}] must list at least one value, but got "
                                 f"{list(values)}")
        self.search_space = {name: list(search_space[name]) for name in sorted(search_space)}
        points = _product(list(self.search_space.values()))
        order = torch.randperm(len(points), generator=torch.Generator().manual_seed(seed or 0))
        self.grid = [points[i] for i in order.tolist()]

    def __repr__(self) -> str:
        return f"GridSampler({self.search_space})"

    def before_trial(self, study: Study, trial: Trial) -> None:
        visited = {t.system_attrs.get("grid_id") for t in study.trials}
        grid_id = trial.number if trial.number < len(self.grid) else None
        if grid_id is None or grid_id in visited:
            unvisited = [i for i in range(len(self.grid)) if i not in visited]
            grid_id = unvisited[0] if unvisited else trial.number % len(self.grid)
        trial.system_attrs["grid_id"] = grid_id

    def sample_independent(
        self, study: Study, trial: Trial, param_name: str, param_distribution: Distribution
    ) -> Any:
        if param_name not in self.search_space:
            raise ValueError(f"The parameter name, {param_name}, is not found in the given grid.")
        point = self.grid[trial.system_attrs["grid_id"]]
        value = point[list(self.search_space).index(param_name)]
        if not param_distribution.contains(value):
            warnings.warn(f"The value `{value}` is out of range of the parameter `{param_name}`. "
                          f"The value will be used but the actual distribution is: "
                          f"`{param_distribution}`.", UserWarning, stacklevel=2)
        return value

    def after_trial(self, study: Study, trial: FrozenTrial) -> None:
        finished = {t.system_attrs.get("grid_id") for t in study.trials if t.state.is_finished()}
        if finished >= set(range(len(self.grid))):
            study.stop()

    def is_exhausted(self, study: Study) -> bool:
        """Whether every grid point has been evaluated."""
        finished = {t.system_attrs.get("grid_id") for t in study.trials if t.state.is_finished()}
        return finished >= set(range(len(self.grid)))


def _product(value_lists: list[list[ParamValue]]) -> list[tuple[ParamValue, ...]]:
    points: list[tuple[ParamValue, ...]] = [()]
    for values in value_lists:
        points = [point + (value,) for point in points for value in values]
    return points


# ---------------------------------------------------------------------------------------
# Pruners: give up on a running trial from its intermediate scores
# ---------------------------------------------------------------------------------------


class NopPruner:
    """Never prunes (the default)."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Always False."""
        return False


class SuccessiveHalvingPruner:
    r"""Asynchronous successive halving (Li et al., 2018), as Optuna's pruner of that name.

    Rung :math:`r` sits at step :math:`s_r = \text{min\_resource} \cdot \eta^r`. When a
    trial reaches a rung, its score there joins the scores of every trial that reached the
    rung before; the trial goes on only if it is in the best :math:`1/\eta` of them (the
    first few trials of a rung, with fewer than :math:`\eta` competitors, go on if they are
    the best so far). Unlike :func:`successive_halving`, no trial waits for the others.

    Args:
        min_resource: steps (epochs) before the first decision.
        reduction_factor: :math:`\eta`, the inverse of the share that goes on (≥ 2).

    Raises:
        ValueError: ``min_resource < 1`` or ``reduction_factor < 2``.
    """

    def __init__(self, min_resource: int = 1, reduction_factor: int = 4):
        if min_resource < 1:
            raise ValueError(f"The value of `min_resource` is {min_resource}, but must be "
                             "`min_resource >= 1`")
        if reduction_factor < 2:
            raise ValueError(f"The value of `reduction_factor` is {reduction_factor}, but must "
                             "be `reduction_factor >= 2`")
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Record the trial's score at each rung it reached; prune if not in the top 1/η."""
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        rung = sum(1 for key in trial.system_attrs if key.startswith("completed_rung_"))
        live = study._running.get(trial.number)
        while step >= self.min_resource * self.reduction_factor**rung:
            key = f"completed_rung_{rung}"
            competing = [t.system_attrs[key] for t in study.trials
                         if key in t.system_attrs and t.number != trial.number]
            if live is not None:
                live.system_attrs[key] = value
            if math.isnan(value) or not _promotable(value, competing + [value],
                                                    self.reduction_factor, study.direction):
                return True
            rung += 1
        return False


def _promotable(value: float, competing: list[float], eta: int, direction: StudyDirection) -> bool:
    """Is ``value`` among the best ``len(competing) // eta`` (at least the best one)?"""
    rank = max(len(competing) // eta - 1, 0)
    ordered = sorted(competing, reverse=direction == StudyDirection.MAXIMIZE)
    threshold = ordered[rank]
    return value >= threshold if direction == StudyDirection.MAXIMIZE else value <= threshold


#: ``optuna.samplers`` and ``optuna.pruners`` spelled for this module.
samplers = SimpleNamespace(BaseSampler=BaseSampler, RandomSampler=RandomSampler,
                           GridSampler=GridSampler)
pruners = SimpleNamespace(NopPruner=NopPruner, SuccessiveHalvingPruner=SuccessiveHalvingPruner)


# ---------------------------------------------------------------------------------------
# Storage: one JSON line per finished trial
# ---------------------------------------------------------------------------------------


class _JSONLinesStorage:
    """Appends each finished trial to a file as one JSON line, flushed to disk at once.

    Only finished trials are written, so a search killed at any moment leaves every trial
    that had finished and nothing else; a half-written last line (the kill came during a
    write) is cut off when the file is opened again. One process writes at a time.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def _repair(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as file:
                file.truncate(data.rfind(b"\n") + 1)

    def load(self) -> tuple[dict[str, Any], list[FrozenTrial]]:
        """The study header and the stored trials."""
        self._repair()
        header: dict[str, Any] = {}
        trials = []
        for line_number, line in enumerate(self.path.read_text().splitlines(), start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"storage {self.path.name} line {line_number} is not valid "
                                 f"JSON: {error}") from error
            if record.get("kind") == "study":
                header = record
            else:
                trials.append(FrozenTrial.from_dict(record))
        return header, trials

    def write_line(self, line: str) -> None:
        with self.path.open("a") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())


# ---------------------------------------------------------------------------------------
# Study
# ---------------------------------------------------------------------------------------


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
        pruner: NopPruner | SuccessiveHalvingPruner,
        study_name: str,
        storage: _JSONLinesStorage | None = None,
        trials: Iterable[FrozenTrial] = (),
    ):
        self.direction = direction
        self.sampler = sampler
        self.pruner = pruner
        self.study_name = study_name
        self._storage = storage
        self._finished: list[FrozenTrial] = list(trials)
        self._running: dict[int, Trial] = {}
        self._stop_flag = False

    def __repr__(self) -> str:
        return (f"Study(study_name={self.study_name!r}, direction={self.direction.name}, "
                f"sampler={self.sampler!r}, trials={len(self.trials)})")

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial (finished and running) in the order of their numbers."""
        running = [trial.frozen() for trial in self._running.values()]
        return sorted(self._finished + running, key=lambda t: t.number)

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value.

        Raises:
            ValueError: no trial is complete yet.
        """
        complete = [t for t in self._finished if t.state == TrialState.COMPLETE]
        if not complete:
            raise ValueError("No trials are completed yet.")
        pick = max if self.direction == StudyDirection.MAXIMIZE else min
        return pick(complete, key=lambda t: t.value)

    @property
    def best_value(self) -> float:
        """The best value of a complete trial."""
        return self.best_trial.value

    @property
    def best_params(self) -> dict[str, ParamValue]:
        """The hyperparameters of the best trial."""
        return dict(self.best_trial.params)

    def ask(self) -> Trial:
        """Start a new trial (numbered after every trial so far) and return it."""
        numbers = [t.number for t in self._finished] + list(self._running)
        trial = Trial(self, max(numbers, default=-1) + 1)
        self._running[trial.number] = trial
        self.sampler.before_trial(self, trial)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
    ) -> FrozenTrial:
        """Finish a trial from :meth:`ask` with its score (``values``) or a state.

        A missing or NaN value makes the trial FAIL; a PRUNED trial keeps its last
        reported intermediate value, as in Optuna. Finished trials go to the storage.

        Raises:
            ValueError: the trial is not running, or several values for one objective.
        """
        number = trial if isinstance(trial, int) else trial.number
        if number not in self._running:
            raise ValueError(f"Cannot tell trial {number}: it is not running (finished trials "
                             "cannot be updated).")
        running = self._running.pop(number)
        value = _single_value(values)
        state = state or TrialState.COMPLETE
        if state == TrialState.PRUNED:
            last = running.frozen().last_step
            value = None if last is None else running.intermediate_values[last]
        if state == TrialState.COMPLETE and (value is None or math.isnan(value)):
            state, value = TrialState.FAIL, None
        frozen = running.frozen(state, value if state != TrialState.FAIL else None)
        self._finished.append(frozen)
        if self._storage is not None:
            self._storage.write_line(frozen.to_json())
        self.sampler.after_trial(self, frozen)
        return frozen

    def stop(self) -> None:
        """Let ``optimize`` finish the current trial and then return."""
        self._stop_flag = True

    def optimize(
        self,
        func: Callable[[Trial], float],
        n_trials: int | None = None,
        timeout: float | None = None,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] | None = None,
    ) -> None:
        """Run ``func`` on ``n_trials`` new trials, one after another.

        A trial that raises :class:`TrialPruned` is PRUNED; one that raises an exception
        listed in ``catch`` is FAIL and the search goes on; any other exception marks the
        trial FAIL and propagates. ``n_trials`` counts new trials (after a resume, pass the
        number still missing). The search also ends after ``timeout`` seconds, on
        :meth:`stop`, or when a grid is exhausted.

        Raises:
            ValueError: a negative ``n_trials``.
        """
        if n_trials is not None and n_trials < 0:
            raise ValueError(f"n_trials must be non-negative, but got {n_trials}")
        catch = tuple(catch) if isinstance(catch, Iterable) else (catch,)
        start, done = time.monotonic(), 0
        self._stop_flag = False
        while (n_trials is None or done < n_trials) and not self._stop_flag:
            if timeout is not None and time.monotonic() - start >= timeout:
                break
            frozen = self._run_trial(func, catch)
            for callback in callbacks or ():
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
        return self.tell(trial, value)


def _single_value(values: float | Sequence[float] | None) -> float | None:
    if values is None:
        return None
    if isinstance(values, Sequence):
        if len(values) != 1:
            raise ValueError(f"values must be one number for a single objective, but got {values}")
        values = values[0]
    return float(values)


def create_study(
    *,
    storage: str | os.PathLike | None = None,
    sampler: BaseSampler | None = None,
    pruner: NopPruner | SuccessiveHalvingPruner | None = None,
    study_name: str | None = None,
    direction: Direction | StudyDirection | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study, or resume the one stored in ``storage``.

    Args:
        storage: path of a JSON-lines file; each finished trial is appended as one line.
            None keeps the trials in memory only.
        sampler: how hyperparameters are drawn; default ``RandomSampler()``.
        pruner: how running trials are stopped early; default :class:`NopPruner`.
        study_name: a name, stored in the file's first line.
        direction: ``"minimize"`` (default, as in Optuna) or ``"maximize"``.
        load_if_exists: if the file already holds a study, continue it (its finished
            trials are loaded and new trials are numbered after them).

    Returns:
        The :class:`Study`.

    Raises:
        DuplicatedStudyError: the file holds a study and ``load_if_exists`` is False.
        ValueError: a database URL instead of a file path, an unknown direction, or a
            direction or name different from the stored study's.

    Examples:
        >>> study = create_study(direction="maximize", sampler=RandomSampler(seed=0))
        >>> study.optimize(lambda trial: -(trial.suggest_float("x", -1, 1) ** 2), n_trials=20)
        >>> abs(study.best_params["x"]) < 0.2
        True
    """
    study_direction = _direction(direction)
    if isinstance(storage, str) and "://" in storage:
        raise ValueError(f"storage must be a path to a JSON-lines file, but got the URL "
                         f"{storage!r}; database storages are Optuna's (`import optuna`)")
    sampler = sampler if sampler is not None else RandomSampler()
    pruner = pruner if pruner is not None else NopPruner()
    name = study_name or "study"
    if storage is None:
        return Study(direction=study_direction, sampler=sampler, pruner=pruner, study_name=name)
    backend = _JSONLinesStorage(storage)
    if not backend.exists():
        header = {"kind": "study", "study_name": name, "direction": study_direction.name.lower()}
        backend.write_line(json.dumps(header))
        return Study(direction=study_direction, sampler=sampler, pruner=pruner, study_name=name,
                     storage=backend)
    header, trials = backend.load()
    _check_resumable(header, study_name, study_direction, load_if_exists)
    return Study(direction=study_direction, sampler=sampler, pruner=pruner,
                 study_name=header["study_name"], storage=backend, trials=trials)


def _check_resumable(
    header: Mapping[str, Any], study_name: str | None, direction: StudyDirection, load: bool
) -> None:
    stored_name = header.get("study_name", "study")
    if not load:
        raise DuplicatedStudyError(
            f"Another study with study_name={stored_name!r} already exists. Please specify a "
            "name not in the storage, or reuse the existing one by setting `load_if_exists`.")
    if study_name is not None and study_name != stored_name:
        raise ValueError(f"study_name must match the stored study {stored_name!r}, but got "
                         f"{study_name!r}")
    stored = StudyDirection[header.get("direction", "minimize").upper()]
    if stored != direction:
        raise ValueError(f"Cannot overwrite study direction from [{stored!r}] to "
                         f"[{direction!r}].")


# ---------------------------------------------------------------------------------------
# Stopping bad runs early
# ---------------------------------------------------------------------------------------


class EarlyStopping:
    """Stop training when a validation metric has not improved for ``patience`` checks.

    An evaluation improves on the best so far if it is better by more than ``min_delta``
    (higher for accuracies, lower for losses). Use it as ``fit(..., callback=
    EarlyStopping(5))``: ``fit`` calls it after each evaluation and stops when it returns
    True. ``best_epoch`` and ``best_value`` say which checkpoint to keep (H3).

    Args:
        patience: evaluations without improvement before stopping (≥ 1).
        metric: the :class:`~course_utils.training.History` field to watch.
        mode: ``"max"`` or ``"min"``; default ``"min"`` for losses, ``"max"`` otherwise.
        min_delta: the smallest change that counts as an improvement (≥ 0).

    Raises:
        ValueError: ``patience < 1``, ``min_delta < 0`` or an unknown mode.
    """

    def __init__(
        self,
        patience: int,
        *,
        metric: str = "val_acc",
        mode: Literal["min", "max"] | None = None,
        min_delta: float = 0.0,
    ):
        if patience < 1:
            raise ValueError(f"patience must be at least 1, but got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be non-negative, but got {min_delta}")
        mode = mode or ("min" if metric.endswith("loss") else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', but got {mode!r}")
        self.patience, self.metric, self.mode, self.min_delta = patience, metric, mode, min_delta
        self.reset()

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, metric={self.metric!r}, mode={self.mode!r})"

    def reset(self) -> None:
        """Forget everything seen (to reuse the object for another run)."""
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def update(self, value: float, epoch: int) -> bool:
        """Take one evaluation; return True when training should stop."""
        sign = 1.0 if self.mode == "max" else -1.0
        if self.best_value is None or sign * (value - self.best_value) > self.min_delta:
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def __call__(self, epoch: int, history: History) -> bool:
        return self.update(getattr(history, self.metric)[-1], epoch)

    def replay(self, values: Sequence[float]) -> int:
        """Run the rule on a recorded curve (one value per epoch, from epoch 1).

        Returns:
            The number of epochs a run would have trained before stopping (all of them if
            the rule never fires). Earlier epochs do not depend on later ones, so this is
            exactly what stopping during training would have done.
        """
        self.reset()
        for epoch, value in enumerate(values, start=1):
            if self.update(value, epoch):
                return epoch
        return len(values)


@dataclass
class HalvingResult:
    """What :func:`successive_halving` did: one entry per rung, and the winner."""

    resources: list[int]
    candidates: list[list[int]]
    scores: list[list[float]]
    best_index: int
    best_score: float
    total_resource: int


def halving_survivors(
    scores: Sequence[float],
    reduction_factor: int = 3,
    *,
    direction: Direction = "maximize",
) -> list[int]:
    r"""One rung of successive halving: the positions of the best :math:`\lfloor n/\eta\rfloor`.

    Args:
        scores: one score per candidate still in the race.
        reduction_factor: :math:`\eta`; the best ``len(scores) // eta`` go on (at least 1).
        direction: whether higher (``"maximize"``) or lower scores are better.

    Returns:
        Positions into ``scores``, best first (ties keep the earlier position).

    Raises:
        ValueError: no scores, ``reduction_factor < 2`` or an unknown direction.

    Examples:
        >>> halving_survivors([0.5, 0.9, 0.1, 0.7, 0.3, 0.8], reduction_factor=3)
        [1, 5]
    """
    if len(scores) == 0:
        raise ValueError("scores must contain at least one score, but got none")
    if reduction_factor < 2:
        raise ValueError(f"reduction_factor must be at least 2, but got {reduction_factor}")
    sign = {"maximize": -1.0, "minimize": 1.0}.get(direction)
    if sign is None:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")
    keep = max(1, len(scores) // reduction_factor)
    order = sorted(range(len(scores)), key=lambda i: (sign * scores[i], i))
    return order[:keep]


def successive_halving(
    n_candidates: int,
    evaluate: Callable[[list[int], int], Sequence[float]],
    *,
    min_resource: int,
    max_resource: int,
    reduction_factor: int = 3,
    direction: Direction = "maximize",
    resume: bool = True,
) -> HalvingResult:
    r"""Successive halving (Jamieson & Talwalkar, 2016): train many, keep the best 1/η.

    Rung 0 trains every candidate for ``min_resource`` epochs; each later rung keeps the
    best :math:`\lfloor n/\eta \rfloor` (:func:`halving_survivors`) and multiplies their
    budget by :math:`\eta`, up to ``max_resource``. With :math:`n` candidates the budget
    is about :math:`n \cdot r_0 \cdot \log_\eta n` epochs instead of
    :math:`n \cdot r_{max}` for full training of all.

    Args:
        n_candidates: how many configurations start (indices ``0 .. n - 1``).
        evaluate: ``(indices, resource) -> scores``: each candidate's validation score
            after training for ``resource`` epochs in total.
        min_resource: epochs in rung 0 (≥ 1).
        max_resource: the largest budget a candidate gets (≥ ``min_resource``).
        reduction_factor: :math:`\eta` (≥ 2).
        direction: ``"maximize"`` for accuracies, ``"minimize"`` for losses.
        resume: survivors continue from where they stopped (a rung costs the extra epochs
            only); False counts each rung's epochs from scratch.

    Returns:
        A :class:`HalvingResult` (``total_resource`` = epochs spent).

    Raises:
        ValueError: ``n_candidates < 1``, bad resources, or a bad ``reduction_factor``.
    """
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be at least 1, but got {n_candidates}")
    if not 1 <= min_resource <= max_resource:
        raise ValueError(f"1 <= min_resource <= max_resource must hold, but got "
                         f"min_resource={min_resource}, max_resource={max_resource}")
    candidates, resource, previous = list(range(n_candidates)), min_resource, 0
    result = HalvingResult([], [], [], -1, math.nan, 0)
    while True:
        scores = [float(s) for s in evaluate(candidates, resource)]
        result.resources.append(resource)
        result.candidates.append(candidates)
        result.scores.append(scores)
        result.total_resource += len(candidates) * (resource - previous if resume else resource)
        survivors = halving_survivors(scores, reduction_factor, direction=direction)
        if len(candidates) == 1 or resource >= max_resource:
            result.best_index, result.best_score = candidates[survivors[0]], scores[survivors[0]]
            return result
        candidates = [candidates[i] for i in survivors]
        previous, resource = resource, min(resource * reduction_factor, max_resource)


# ---------------------------------------------------------------------------------------
# Little data: k-fold cross-validation
# ---------------------------------------------------------------------------------------


def kfold_indices(n: int, k: int, *, seed: int | None) -> list[tuple[Tensor, Tensor]]:
    """Split ``range(n)`` into ``k`` folds; each fold validates once, the rest train.

    The indices are permuted with ``torch.randperm(n, generator=torch.Generator().
    manual_seed(seed))`` (no shuffling if ``seed`` is None) and cut into ``k`` contiguous
    chunks; the first ``n % k`` chunks are one longer, as in scikit-learn's ``KFold``.

    Args:
        n: number of samples.
        k: number of folds, ``2 <= k <= n``.
        seed: seed of the permutation, or None to keep the order.

    Returns:
        ``k`` pairs ``(train_indices, val_indices)`` of sorted int64 tensors. Every index is
        in exactly one validation fold.

    Raises:
        ValueError: ``k < 2`` or ``k > n`` (scikit-learn's wording).

    Examples:
        >>> [val.tolist() for _, val in kfold_indices(5, 2, seed=None)]
        [[0, 1, 2], [3, 4]]
    """
    if k < 2:
        raise ValueError(f"k-fold cross-validation requires at least one train/test split by "
                         f"setting n_splits=2 or more, got n_splits={k}.")
    if k > n:
        raise ValueError(f"Cannot have number of splits n_splits={k} greater than the number "
                         f"of samples: n_samples={n}.")
    order = torch.arange(n) if seed is None else torch.randperm(
        n, generator=torch.Generator().manual_seed(seed))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds = []
    for val in order.split(sizes):
        mask = torch.ones(n, dtype=torch.bool)
        mask[val] = False
        folds.append((torch.nonzero(mask).flatten(), val.sort().values))
    return folds


# ---------------------------------------------------------------------------------------
# Narrowing the ranges for the next round
# ---------------------------------------------------------------------------------------


def selection_optimism(
    correct: Tensor,
    *,
    test_size: int,
    n_draws: int,
    seed: int,
    chosen: int | None = None,
) -> tuple[Tensor, Tensor]:
    """What a model's test score promises, and what it delivers, over repeated test sets.

    ``correct[i, j]`` says whether model ``i`` got example ``j`` of a pool right. Each draw
    splits the pool at random into a test set of ``test_size`` examples and the fresh rest.
    With ``chosen=None`` the model with the best test accuracy is picked (tuning on the
    test set); otherwise model ``chosen`` (picked beforehand, e.g. on validation data) is
    scored. ``reported - fresh`` is the optimism of the reported number.

    Args:
        correct: ``(n_models, n_pool)`` booleans or 0/1 floats.
        test_size: examples per test set, ``1 <= test_size < n_pool``.
        n_draws: number of random test sets.
        seed: seed of the draws.
        chosen: a model index fixed in advance, or None to pick by test accuracy.

    Returns:
        ``(reported, fresh)``: per draw, the picked model's accuracy on the test set and
        on the rest of the pool.

    Raises:
        ValueError: a ``test_size`` that leaves no fresh data, ``n_draws < 1``, or
            ``chosen`` out of range.
    """
    correct = torch.as_tensor(correct, dtype=torch.float64)
    n_models, n_pool = correct.shape
    if not 1 <= test_size < n_pool:
        raise ValueError(f"test_size must be in [1, {n_pool}), but got {test_size}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, but got {n_draws}")
    if chosen is not None and not 0 <= chosen < n_models:
        raise ValueError(f"chosen must be a model index in [0, {n_models}), but got {chosen}")
    generator = torch.Generator().manual_seed(seed)
    reported, fresh = torch.empty(n_draws, dtype=torch.float64), torch.empty(n_draws, dtype=torch.float64)
    for draw in range(n_draws):
        order = torch.randperm(n_pool, generator=generator)
        test_acc = correct[:, order[:test_size]].mean(1)
        pick = int(test_acc.argmax()) if chosen is None else chosen
        reported[draw] = test_acc[pick]
        fresh[draw] = correct[pick, order[test_size:]].mean()
    return reported, fresh


class RangeBorderWarning(UserWarning):
    """The best value found lies at the edge of the searched range."""


def narrow_range(
    trials: Sequence[Any],
    name: str,
    *,
    top: int = 10,
    border: float = 0.1,
    direction: Direction = "maximize",
) -> tuple[float, float]:
    """The range spanned by the ``top`` best trials' values of ``name`` (for round two).

    Warns with :class:`RangeBorderWarning` when the best trial's value lies in the outer
    ``border`` share of the searched range (measured on a log scale for ``log=True``):
    the optimum may lie outside, and narrowing would lock it out. Works with the trials of
    an Optuna study too.

    Args:
        trials: e.g. ``study.trials``; only complete trials that used ``name`` count.
        name: the hyperparameter.
        top: how many of the best trials span the new range.
        border: the share of the range at each end that counts as the border.
        direction: whether higher values of the objective are better.

    Returns:
        ``(low, high)`` of the top trials' values.

    Raises:
        ValueError: no complete trial used ``name``, ``top < 1``, or ``border`` outside
            [0, 0.5).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, but got {top}")
    if not 0 <= border < 0.5:
        raise ValueError(f"border must be in [0, 0.5), but got {border}")
    complete = [t for t in trials if t.state.name == "COMPLETE" and name in t.params]
    if not complete:
        raise ValueError(f"no complete trial has the parameter {name!r}")
    best = sorted(complete, key=lambda t: t.value, reverse=direction == "maximize")[:top]
    values = [t.params[name] for t in best]
    _warn_if_on_border(name, values[0], best[0].distributions[name], border)
    return min(values), max(values)


def _warn_if_on_border(name: str, value: float, distribution: Any, border: float) -> None:
    low, high = distribution.low, distribution.high
    scale = math.log if getattr(distribution, "log", False) else float
    if high <= low:
        return
    position = (scale(value) - scale(low)) / (scale(high) - scale(low))
    side = "lower" if position < border else "upper" if position > 1 - border else None
    if side is not None:
        way = "downward" if side == "lower" else "upward"
        warnings.warn(
            f"the best {name}={value:.3g} lies at the {side} border of the searched range "
            f"[{low:.3g}, {high:.3g}]: the optimum may lie outside it; widen the range {way} "
            "before narrowing", RangeBorderWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------
# Training many trials at once, and the Deep Learning from Scratch objective
# ---------------------------------------------------------------------------------------


def _check_configs(configs: Sequence[Mapping[str, float]], init_seeds: Sequence[int]) -> None:
    if len(configs) == 0:
        raise ValueError("configs must contain at least one configuration, but got none")
    if any("lr" not in config or config["lr"] <= 0 for config in configs):
        raise ValueError("every configuration must have a positive 'lr', but got "
                         f"{[config.get('lr') for config in configs]}")
    if any(config.get("weight_decay", 0.0) < 0 for config in configs):
        raise ValueError("weight_decay must be non-negative, but got "
                         f"{[config.get('weight_decay') for config in configs]}")
    if len(init_seeds) != len(configs):
        raise ValueError(f"init_seeds must have one seed per configuration ({len(configs)}), "
                         f"but got {len(init_seeds)}")


def train_configs(
    configs: Sequence[Mapping[str, float]],
    train: Split,
    *,
    val: Split | None = None,
    sizes: Sequence[int] = tuple(DLFS_SIZES),
    epochs: int,
    batch_size: int = 100,
    seed: int = 0,
    init_seeds: Sequence[int] | None = None,
    init: str = "he_normal",
    eval_every: int = 1,
    eval_train: bool = False,
) -> tuple[list[nn.Sequential], list[History]]:
    """Train one ReLU network per configuration, all side by side (``fit_batched``).

    Configuration ``i`` gives ``lr`` and optionally ``weight_decay``; its network is
    ``mlp(sizes, init=init)`` with weights drawn from ``init_seeds[i]`` (default ``seed``
    for every configuration). All networks see the same mini-batches in the same order,
    so network ``i`` ends exactly where

        ``fit(mlp(sizes, init=init, generator=Generator().manual_seed(init_seeds[i])),
        train, val=val, epochs=epochs, batch_size=batch_size, lr=lr_i,
        weight_decay=wd_i, seed=seed)``

    would end (to float rounding): training the trials side by side is the same as
    running them one after another. Only the layout of the arithmetic changes
    (:func:`course_utils.batched.fit_batched` stacks the K networks' layers and
    multiplies them as batches), which removes the Python overhead of K separate runs.

    Args:
        configs: one dict per trial with ``lr`` (> 0) and optional ``weight_decay`` (≥ 0).
        train: ``(x, y)`` training tensors shared by all trials.
        val: ``(x, y)`` validation tensors, evaluated after every ``eval_every`` epochs.
        sizes: layer widths of the ReLU MLP.
        epochs, batch_size: as in :func:`~course_utils.training.fit`.
        seed: seed of the batch order (as ``fit``'s ``seed``).
        init_seeds: one weight seed per configuration.
        init: weight initialization scheme (:func:`~course_utils.init.init_model`).
        eval_every: evaluate every this many epochs (0: only after the last).
        eval_train: also evaluate on the whole training set (costs about
            ``len(train) / batch_size`` extra forward passes per evaluation).

    Returns:
        ``(models, histories)``: the trained networks and one
        :class:`~course_utils.training.History` each (``step_loss`` included).

    Raises:
        ValueError: no configurations, a missing or non-positive ``lr``, a negative
            ``weight_decay``, a wrong number of ``init_seeds``, or bad ``epochs``,
            ``batch_size`` or ``eval_every``.
    """
    init_seeds = [seed] * len(configs) if init_seeds is None else list(init_seeds)
    _check_configs(configs, init_seeds)
    models = [mlp(list(sizes), init=init, generator=torch.Generator().manual_seed(s))
              for s in init_seeds]
    histories = fit_batched(
        models, train, val=val, epochs=epochs, batch_size=batch_size,
        lr=[float(c["lr"]) for c in configs],
        weight_decay=[float(c.get("weight_decay", 0.0)) for c in configs],
        seed=seed, eval_every=eval_every, eval_train=eval_train,
    )
    return models, histories


def cross_val_scores(
    configs: Sequence[Mapping[str, float]],
    data: Split,
    *,
    k: int,
    seed: int,
    sizes: Sequence[int],
    epochs: int,
    batch_size: int = 100,
    init: str = "he_normal",
) -> Tensor:
    """k-fold cross-validated accuracy of every configuration, all folds trained at once.

    Every configuration is trained ``k`` times, once on each fold's training part (with
    :func:`~course_utils.batched.fit_batched` and its per-model ``subsets``), from the same
    initial weights, and scored on the fold it did not see.

    Args:
        configs: one dict per configuration with ``lr`` and optional ``weight_decay``.
        data: the ``(x, y)`` pool that is split into ``k`` folds.
        k: number of folds; ``len(x)`` must be a multiple of ``k`` (equal folds train
            side by side).
        seed: seed of the fold split, the initial weights and the batch orders.
        sizes, epochs, batch_size, init: the networks and their training.

    Returns:
        A ``(len(configs), k)`` tensor: accuracy of configuration ``i`` on fold ``j``.

    Raises:
        ValueError: ``len(x)`` is not a multiple of ``k``, or bad configurations.
    """
    x, y = data
    if len(x) % k:
        raise ValueError(f"len(x) must be a multiple of k to train the folds side by side, but "
                         f"got len(x)={len(x)}, k={k}")
    _check_configs(configs, [seed] * len(configs))
    folds = kfold_indices(len(x), k, seed=seed)
    models = [mlp(list(sizes), init=init, generator=torch.Generator().manual_seed(seed))
              for _ in range(len(configs) * k)]
    fit_batched(models, data, epochs=epochs, batch_size=batch_size,
                lr=[float(c["lr"]) for c in configs for _ in folds],
                weight_decay=[float(c.get("weight_decay", 0.0)) for c in configs for _ in folds],
                seed=seed, subsets=torch.stack([train for _ in configs for train, _ in folds]),
                eval_every=0, eval_train=False)
    scores = [evaluate(model, x[val], y[val])[1]
              for model, (_, val) in zip(models, folds * len(configs), strict=True)]
    return torch.tensor(scores).view(len(configs), k)


def dlfs_data(seed: int = 0) -> tuple[Split, Split]:
    """The book's little data: the first 500 training images, split 400 / 100.

    Returns:
        ``(train, val)`` pairs of ``(x, y)`` tensors.
    """
    from course_utils.data import load_mnist, train_val_split

    (x, y), _ = load_mnist()
    return train_val_split(x[:500], y[:500], 0.2, seed=seed)


def suggest_dlfs(
    trial: Any,
    lr_range: tuple[float, float] = DLFS_LR_RANGE,
    weight_decay_range: tuple[float, float] = DLFS_WEIGHT_DECAY_RANGE,
) -> dict[str, float]:
    """The book's search space: ``lr = 10^U(-6, -2)``, ``weight_decay = 10^U(-8, -4)``.

    Works with a trial of this module or of Optuna.
    """
    return {"lr": trial.suggest_float("lr", *lr_range, log=True),
            "weight_decay": trial.suggest_float("weight_decay", *weight_decay_range, log=True)}


def dlfs_objective(
    trial: Any,
    train: Split,
    val: Split,
    *,
    epochs: int = 50,
    lr_range: tuple[float, float] = DLFS_LR_RANGE,
    weight_decay_range: tuple[float, float] = DLFS_WEIGHT_DECAY_RANGE,
) -> float:
    """One trial of the book's search, for ``study.optimize`` (ours or Optuna's).

    Trains ``mlp(DLFS_SIZES, init="he_normal")`` (weights seeded by the trial number) with
    SGD, batch 100, for ``epochs`` epochs; reports the validation accuracy after every
    epoch and raises :class:`TrialPruned` when the study's pruner says so.

    Returns:
        The validation accuracy after the last epoch.
    """
    config = suggest_dlfs(trial, lr_range, weight_decay_range)
    model = mlp(DLFS_SIZES, init="he_normal",
                generator=torch.Generator().manual_seed(trial.number))

    def report_and_prune(epoch: int, history: History) -> bool:
        trial.report(history.val_acc[-1], epoch)
        if trial.should_prune():
            raise TrialPruned(f"pruned at epoch {epoch}")
        return False

    history = fit(model, train, val=val, epochs=epochs, batch_size=100, lr=config["lr"],
                  weight_decay=config["weight_decay"], seed=trial.number, progress=False,
                  eval_train=False, callback=report_and_prune)
    return history.val_acc[-1]


# ---------------------------------------------------------------------------------------
# A worker process for Optuna studies shared through a journal file
# ---------------------------------------------------------------------------------------


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


if __name__ == "__main__":
    raise SystemExit(main())
