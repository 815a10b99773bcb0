"""Search spaces, as ``optuna.distributions``: what a ``suggest_*`` call may return.

===============================  =========================================================
Optuna                           here
===============================  =========================================================
``FloatDistribution``            :class:`FloatDistribution` (``suggest_float``)
``IntDistribution``              :class:`IntDistribution` (``suggest_int``)
``CategoricalDistribution``      :class:`CategoricalDistribution` (``suggest_categorical``)
``distribution_to_json`` / ...   :func:`distribution_to_dict`, :func:`distribution_from_dict`
                                 (the storages' format)
===============================  =========================================================

The validation messages are Optuna's.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["CategoricalDistribution", "Distribution", "FloatDistribution", "IntDistribution",
           "ParamValue", "distribution_from_dict", "distribution_to_dict"]

ParamValue = float | int | str | bool | None


@dataclass(frozen=True)
class FloatDistribution:
    """Real values in ``[low, high]``; on a log scale if ``log``; on a grid if ``step``.

    A ``high`` off the grid ``low + k * step`` is moved down onto it, with a warning
    (as in Optuna).

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
        if step is not None:
            object.__setattr__(self, "high", _adjusted_float_high(low, high, step))

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high


@dataclass(frozen=True)
class IntDistribution:
    """Integers ``low, low + step, ..., high``; log-uniform over ``[low, high]`` if ``log``.

    A ``high`` off the grid ``low + k * step`` is moved down onto it, with a warning
    (as in Optuna).

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
        if (high - low) % step != 0:
            object.__setattr__(self, "high", _warn_high_replaced(low, high, step,
                                                                 (high - low) // step * step + low))

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


def _adjusted_float_high(low: float, high: float, step: float) -> float:
    """``high`` moved down onto the grid ``low + k * step`` (exact decimal arithmetic)."""
    span, grid = Decimal(str(high)) - Decimal(str(low)), Decimal(str(step))
    if span % grid == 0:
        return high
    new_high = float((span // grid) * grid + Decimal(str(low)))
    return _warn_high_replaced(low, high, step, new_high, stacklevel=6)


def _warn_high_replaced(
    low: float, high: float, step: float, new_high: float, *, stacklevel: int = 5
) -> float:
    warnings.warn(f"The distribution is specified by [{low}, {high}] and step={step}, but the "
                  f"range is not divisible by `step`. It will be replaced with [{low}, "
                  f"{new_high}].", UserWarning, stacklevel=stacklevel)
    return new_high


Distribution = FloatDistribution | IntDistribution | CategoricalDistribution
_KINDS = {"float": FloatDistribution, "int": IntDistribution, "categorical": CategoricalDistribution}


def distribution_to_dict(distribution: Distribution) -> dict[str, Any]:
    """A JSON-ready dict ``{"type": "float" | "int" | "categorical", **fields}``."""
    kind = {FloatDistribution: "float", IntDistribution: "int"}.get(type(distribution), "categorical")
    fields = dict(distribution.__dict__)
    if kind == "categorical":
        fields["choices"] = list(distribution.choices)
    return {"type": kind, **fields}


def distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    """The inverse of :func:`distribution_to_dict`."""
    fields = {key: value for key, value in data.items() if key != "type"}
    if data["type"] == "categorical":
        fields["choices"] = tuple(fields["choices"])
    return _KINDS[data["type"]](**fields)
