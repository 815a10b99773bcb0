"""Search spaces, as ``optuna.distributions``: what a ``suggest_*`` call may return.

=======================================  =================================================
Optuna                                   here
=======================================  =================================================
``FloatDistribution``                    :class:`FloatDistribution` (``suggest_float``)
``IntDistribution``                      :class:`IntDistribution` (``suggest_int``)
``CategoricalDistribution``              :class:`CategoricalDistribution`
                                         (``suggest_categorical``)
``check_distribution_compatibility``     :func:`check_distribution_compatibility` (a name
                                         keeps its kind of distribution in a study)
``distribution_to_json`` / ...           :func:`distribution_to_dict`,
                                         :func:`distribution_from_dict` (the storages')
=======================================  =================================================

The validation messages are Optuna's, and so are ``to_internal_repr`` (a value as a float:
a category as its index) and ``to_external_repr``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

__all__ = ["CategoricalDistribution", "Distribution", "FloatDistribution", "IntDistribution",
           "ParamValue", "check_distribution_compatibility", "distribution_from_dict",
           "distribution_to_dict"]

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

    def to_internal_repr(self, param_value_in_external_repr: float) -> float:
        """The value as a float (Optuna's internal representation).

        Raises:
            ValueError: a value that is not float-castable, NaN, or not positive with
                ``log`` (Optuna's messages).
        """
        return _numeric_internal_repr(param_value_in_external_repr, self.log)

    def to_external_repr(self, param_value_in_internal_repr: float) -> float:
        """The inverse of :meth:`to_internal_repr` (the float itself)."""
        return param_value_in_internal_repr

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        if self.step is None:
            return self.low <= value <= self.high
        k = (value - self.low) / self.step
        return self.low <= value <= self.high and abs(k - round(k)) < 1.0e-8


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

    def to_internal_repr(self, param_value_in_external_repr: int) -> float:
        """The value as a float (Optuna's internal representation).

        Raises:
            ValueError: a value that is not float-castable, NaN, or not positive with
                ``log`` (Optuna's messages).
        """
        return _numeric_internal_repr(param_value_in_external_repr, self.log)

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        """The inverse of :meth:`to_internal_repr`: the integer."""
        return int(param_value_in_internal_repr)

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


@dataclass(frozen=True, eq=False)
class CategoricalDistribution:
    """One of a fixed tuple of choices (None, bool, int, float or str).

    ``choices`` may be any sequence; it is kept as a tuple (as in Optuna). Two
    distributions are equal when their choices are, NaN being equal to NaN.

    Raises:
        ValueError: no choices (Optuna's message).
    """

    choices: tuple[ParamValue, ...]

    def __post_init__(self) -> None:
        if len(self.choices) == 0:
            raise ValueError("The `choices` must contain one or more elements.")
        object.__setattr__(self, "choices", tuple(self.choices))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoricalDistribution):
            return NotImplemented
        return len(self.choices) == len(other.choices) and all(
            _choice_equal(a, b) for a, b in zip(self.choices, other.choices, strict=True))

    def __hash__(self) -> int:
        return hash((CategoricalDistribution, len(self.choices)))

    def contains(self, value: ParamValue) -> bool:
        """Whether ``value`` is one of the choices (NaN is one if NaN is listed)."""
        return any(_choice_equal(value, choice) for choice in self.choices)

    def to_internal_repr(self, param_value_in_external_repr: ParamValue) -> float:
        """The index of the value in ``choices`` (Optuna's internal representation).

        Raises:
            ValueError: a value that is not one of the choices (Optuna's message).
        """
        for index, choice in enumerate(self.choices):
            if _choice_equal(param_value_in_external_repr, choice):
                return index
        raise ValueError(f"'{param_value_in_external_repr}' not in {self.choices}.")

    def to_external_repr(self, param_value_in_internal_repr: float) -> ParamValue:
        """The choice at an index."""
        return self.choices[int(param_value_in_internal_repr)]

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        return 0 <= int(param_value_in_internal_repr) < len(self.choices)


def _choice_equal(first: ParamValue, second: ParamValue) -> bool:
    """``first == second``, with NaN equal to NaN (Optuna's rule for choices)."""
    first_nan = isinstance(first, Real) and math.isnan(float(first))
    second_nan = isinstance(second, Real) and math.isnan(float(second))
    return bool(first == second) or (first_nan and second_nan)


def _numeric_internal_repr(value: Any, log: bool) -> float:
    try:
        internal = float(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"'{value}' is not a valid type. float-castable value is "
                         "expected.") from error
    if math.isnan(internal):
        raise ValueError(f"`{value}` is invalid value.")
    if log and internal <= 0.0:
        raise ValueError(f"`{value}` is invalid value for the case log=True.")
    return internal


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


def check_distribution_compatibility(dist_old: Distribution, dist_new: Distribution) -> None:
    """Whether a parameter name may now be asked with ``dist_new`` (Optuna's rules).

    A parameter keeps its kind, its ``log`` setting and (for categories) its choices across
    the trials of a study; another range is allowed.

    Raises:
        ValueError: another kind, another ``log`` or other choices (Optuna's messages).
    """
    if type(dist_old) is not type(dist_new):
        raise ValueError("Cannot set different distribution kind to the same parameter name.")
    if isinstance(dist_old, CategoricalDistribution):
        if dist_old != dist_new:
            raise ValueError("CategoricalDistribution does not support dynamic value space.")
        return
    if dist_old.log != dist_new.log:
        raise ValueError("Cannot set different log configuration to the same parameter name.")
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
