"""Trials, as ``optuna.trial``: one evaluation of the objective and its record.

================================  ========================================================
Optuna                            here
================================  ========================================================
``optuna.trial.Trial``            :class:`Trial` (``suggest_float`` / ``suggest_int`` /
                                  ``suggest_categorical``, ``report``, ``should_prune``,
                                  ``set_user_attr``)
``optuna.trial.FrozenTrial``      :class:`FrozenTrial` (the stored, finished trial)
``optuna.trial.TrialState``       :class:`TrialState` (Optuna's names and values)
================================  ========================================================
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from course_utils.search.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    ParamValue,
    check_distribution_compatibility,
    distribution_from_dict,
    distribution_to_dict,
)

if TYPE_CHECKING:
    from course_utils.search.study import Study

__all__ = ["FrozenTrial", "Trial", "TrialState"]


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
            "distributions": {k: distribution_to_dict(d) for k, d in self.distributions.items()},
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
            distributions={k: distribution_from_dict(d) for k, d in record["distributions"].items()},
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
        if name in self.params:  # asking twice returns the first value, as in Optuna
            _check_same_distribution(name, self.distributions[name], distribution)
            return self.params[name]
        self.study._check_param_distribution(name, distribution)
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
            TypeError: a value that is not a number, or a step that is not an integer.
            ValueError: a negative step (Optuna's messages).
        """
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"The `value` argument is of type '{type(value)}' but supposed to "
                            "be a float.") from None
        try:
            step = int(step)
        except (TypeError, ValueError):
            raise TypeError(f"The `step` argument is of type '{type(step)}' but supposed to "
                            "be an int.") from None
        if step < 0:
            raise ValueError(f"`step={step}` must be non-negative.")
        if step in self.intermediate_values:
            warnings.warn(f"The reported value is ignored because this `step={step}` is "
                          "already reported.", UserWarning, stacklevel=2)
            return
        self.intermediate_values[step] = value

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


def _check_same_distribution(name: str, first: Distribution, again: Distribution) -> None:
    """Optuna's rules for asking for ``name`` twice: another kind, log setting or set of
    choices raises; another range warns, and the first distribution is kept."""
    check_distribution_compatibility(first, again)
    if first != again:
        warnings.warn(f'Inconsistent parameter values for distribution with name "{name}"! This '
                      "might be a configuration mistake. Optuna allows to call the same "
                      "distribution with the same name more than once in a trial. When the "
                      "parameter values are inconsistent optuna only uses the values of the "
                      "first call and ignores all following. Using these values: "
                      f"{dict(first.__dict__)}", RuntimeWarning, stacklevel=4)
