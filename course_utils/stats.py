"""Reporting results honestly: mean ± sd over seeds, t intervals, accuracy intervals.

Every chapter compares training recipes, and one training run is one draw from a noisy
process (initial weights, data order, dropout masks). This module turns repeated runs into
the numbers the course prints, so that no notebook hand-rolls ``np.std``:

==========================  ==============================================================
question                    code
==========================  ==============================================================
how good is a recipe?       :func:`summarize` (mean ± sd over seeds, t interval of the mean)
does A beat B?              :func:`paired_difference` (``a - b`` per seed, t interval),
                            :attr:`Summary.excludes_zero`
error bands in a figure     :func:`summarize_curves` (one :class:`Summary` per x value)
how noisy is one accuracy?  :func:`binomial_se`, :func:`accuracy_interval` (Wilson)
printing it                 :meth:`Summary.format`, :meth:`Summary.short`, ``str(summary)``
==========================  ==============================================================

The formulas, for ``n`` values with mean ``m`` and confidence level ``c``:

* sample standard deviation ``sd = sqrt(sum((x - m)**2) / (n - 1))`` (ddof = 1) and standard
  error of the mean ``sem = sd / sqrt(n)``;
* Student-t interval ``m ± t_{(1+c)/2, n-1} · sem``, where ``t_{q, n-1}`` is the q quantile of
  Student's t distribution with ``n - 1`` degrees of freedom (2.776 for 5 seeds at 95 %, not
  the normal 1.96: with few seeds the sd itself is uncertain);
* binomial standard error of an accuracy ``p`` measured on ``n`` images ``sqrt(p(1-p)/n)``
  (±0.8 points at 85 % on 2,000 images);
* Wilson score interval for ``k`` correct out of ``n`` (Wilson, 1927), with ``p = k/n`` and
  ``z`` the ``(1+c)/2`` quantile of the standard normal::

      (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)

  which, unlike ``p ± z·sqrt(p(1-p)/n)``, stays inside [0, 1] and keeps its coverage near
  0 and 1 (Brown, Cai and DasGupta, 2001).

Why the course reports it this way: the spread of a recipe over seeds is a property of the
recipe, so each arm is printed as mean ± sd with ddof = 1 (the unbiased variance; ``np.std``
defaults to ddof = 0, which understates the spread of 5 seeds by 11 %). A comparison runs both
arms on the same seeds (same data order and initial weights), so most of the seed-to-seed
noise cancels in the per-seed difference ``a - b``; its t interval is the claim. An effect is
called an effect only when that interval excludes 0.
"""

from __future__ import annotations

import math
import numbers
import operator
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from scipy import stats as _scipy_stats
from torch import Tensor

__all__ = [
    "Summary",
    "accuracy_interval",
    "binomial_se",
    "paired_difference",
    "summarize",
    "summarize_curves",
]

Values = Sequence[float] | np.ndarray | Tensor
Kind = Literal["mean", "difference"]


@dataclass(frozen=True)
class Summary:
    """Mean, sample sd and Student-t confidence interval of one set of per-seed numbers.

    Built by :func:`summarize` (``kind="mean"``), :func:`paired_difference`
    (``kind="difference"``) and :func:`summarize_curves`; the fields are plain floats in the
    units of the input (accuracies in [0, 1] stay in [0, 1]; ``format(scale=100)`` prints
    them in percent).

    Attributes:
        n: number of values (seeds).
        mean: their mean.
        sd: sample standard deviation (ddof = 1).
        sem: standard error of the mean, ``sd / sqrt(n)``.
        low: lower end of the t interval, ``mean - t_{(1+c)/2, n-1} * sem``.
        high: upper end, ``mean + t_{(1+c)/2, n-1} * sem``.
        confidence: the level ``c`` of the interval, e.g. 0.95.
        kind: ``"mean"`` (one arm) or ``"difference"`` (a paired ``a - b``, printed with signs).

    Examples:
        >>> s = summarize([1, 2, 3, 4, 5])
        >>> s.n, s.mean, round(s.sd, 4), round(s.low, 3), round(s.high, 3)
        (5, 3.0, 1.5811, 1.037, 4.963)
        >>> print(s)
        3.000 ± 1.581 (mean ± sd; 95 % CI 1.037 to 4.963, n = 5)
    """

    n: int
    mean: float
    sd: float
    sem: float
    low: float
    high: float
    confidence: float
    kind: Kind

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely above or below 0 (``low > 0 or high < 0``).

        For a paired difference this is the course's test for "an effect": otherwise say
        "no measurable difference at this scale".
        """
        return self.low > 0 or self.high < 0

    def format(self, *, scale: float = 1.0, unit: str = "", digits: int = 3) -> str:
        """One line for a notebook's output: the estimate, its interval and ``n``.

        Args:
            scale: factor applied to every number before printing (100 for accuracies in
                [0, 1] printed as percent or points); positive.
            unit: printed after the estimate (``"%"``, ``"points"``); empty for none.
            digits: decimals after scaling.

        Returns:
            For ``kind="mean"``: ``"85.2 ± 0.4 % (mean ± sd; 95 % CI 84.7 to 85.7, n = 5)"``;
            for ``kind="difference"``: ``"+1.2 points (95 % CI +0.4 to +2.0, n = 5)"``,
            with signs always shown.

        Raises:
            ValueError: ``scale`` not positive and finite, or ``digits`` not a
                non-negative integer.

        Note:
            Numbers are rounded by Python's ``format`` and keep the sign of the unrounded
            value, so a bound printed as ``-0.0`` lies just below zero (the
            interval contains 0) and ``+0.0`` just above it.

        Examples:
            >>> d = paired_difference([0.86, 0.87, 0.85, 0.88, 0.86], [0.85, 0.85, 0.84, 0.86, 0.85])
            >>> d.format(scale=100, unit="points", digits=1)
            '+1.4 points (95 % CI +0.7 to +2.1, n = 5)'
            >>> summarize([0.852, 0.848, 0.856, 0.851, 0.853]).format(scale=100, unit="%", digits=1)
            '85.2 ± 0.3 % (mean ± sd; 95 % CI 84.8 to 85.6, n = 5)'
        """
        mean, sd, low, high = self._scaled(scale)
        number = _number_format(digits, signed=self.kind == "difference")
        unit_part = f" {unit}" if unit else ""
        interval = f"{_level(self.confidence)} % CI {low:{number}} to {high:{number}}, n = {self.n}"
        if self.kind == "difference":
            return f"{mean:{number}}{unit_part} ({interval})"
        return f"{mean:{number}} ± {sd:{number}}{unit_part} (mean ± sd; {interval})"

    def short(self, *, scale: float = 1.0, digits: int = 3) -> str:
        """Mean ± sd only, for table cells (signed for ``kind="difference"``).

        Args:
            scale: factor applied before printing (100 for percent); positive.
            digits: decimals after scaling.

        Returns:
            e.g. ``"85.2 ± 0.4"``.

        Raises:
            ValueError: as :meth:`format`.

        Examples:
            >>> summarize([0.852, 0.848, 0.856, 0.851, 0.853]).short(scale=100, digits=1)
            '85.2 ± 0.3'
        """
        mean, sd, _, _ = self._scaled(scale)
        return f"{mean:{_number_format(digits, signed=self.kind == 'difference')}} ± {sd:.{digits}f}"

    def __str__(self) -> str:
        return self.format()

    def _scaled(self, scale: float) -> tuple[float, float, float, float]:
        if not (isinstance(scale, numbers.Real) and math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be positive and finite, but got {scale}")
        # "+ 0.0" turns a negative zero into a positive one, so it never prints as "-0.0".
        return tuple(value * scale + 0.0 for value in (self.mean, self.sd, self.low, self.high))


def summarize(values: Values, *, confidence: float = 0.95) -> Summary:
    """Mean ± sample sd of per-seed results, with the Student-t interval of the mean.

    Args:
        values: one number per seed (a 1-D list, NumPy array or tensor), at least 2, finite.
        confidence: level of the interval, in (0, 1).

    Returns:
        a :class:`Summary` with ``kind="mean"``. Zero spread is legal: ``sd = 0`` and the
        interval has width 0.

    Raises:
        ValueError: ``values`` not 1-D, fewer than 2 entries, NaN or inf in it, or
            ``confidence`` outside (0, 1).

    Examples:
        >>> s = summarize([0.852, 0.848, 0.856, 0.851, 0.853])
        >>> print(s.format(scale=100, unit="%", digits=1))
        85.2 ± 0.3 % (mean ± sd; 95 % CI 84.8 to 85.6, n = 5)
        >>> round(s.high - s.mean, 5) == round(2.776445 * s.sem, 5)  # t quantile, 4 df
        True
    """
    _check_confidence(confidence)
    return _summary(_as_sample(values, "values"), confidence, "mean")


def paired_difference(a: Values, b: Values, *, confidence: float = 0.95) -> Summary:
    """The per-seed difference ``a - b`` of two arms run on the same seeds, with its t interval.

    Pairing (seed ``i`` of A and seed ``i`` of B share data order and initial weights)
    removes the noise the two arms have in common, so the interval of the difference is
    narrower than what the two separate intervals suggest. Call it an effect only when
    :attr:`Summary.excludes_zero` holds.

    Args:
        a: results of arm A, one per seed.
        b: results of arm B on the same seeds, in the same order.
        confidence: level of the interval, in (0, 1).

    Returns:
        ``summarize(a - b)`` with ``kind="difference"`` (printed with signs).

    Raises:
        ValueError: ``a`` or ``b`` not 1-D, fewer than 2 entries or not finite; different
            lengths; ``confidence`` outside (0, 1).

    Examples:
        >>> a = [0.86, 0.87, 0.85, 0.88, 0.86]  # e.g. with dropout, seeds 0-4
        >>> b = [0.85, 0.85, 0.84, 0.86, 0.85]  # without, same seeds
        >>> d = paired_difference(a, b)
        >>> print(d.format(scale=100, unit="points", digits=1))
        +1.4 points (95 % CI +0.7 to +2.1, n = 5)
        >>> d.excludes_zero
        True
    """
    _check_confidence(confidence)
    first, second = _as_sample(a, "a"), _as_sample(b, "b")
    if len(first) != len(second):
        raise ValueError(
            f"a and b must have the same length (one entry per seed), but got {len(first)} and {len(second)}"
        )
    return _summary(first - second, confidence, "difference")


def summarize_curves(
    curves: Values | Sequence[Sequence[float]], *, confidence: float = 0.95
) -> list[Summary]:
    """One :class:`Summary` per point of a curve measured over several seeds (error bands).

    Args:
        curves: a 2-D array ``(n_seeds, n_points)``, e.g. validation accuracy per epoch for
            each seed; at least 2 seeds, finite.
        confidence: level of the intervals, in (0, 1).

    Returns:
        a list of ``n_points`` summaries (``kind="mean"``), one per column; draw
        ``mean ± sd`` or ``[low, high]`` and say in the legend which one.

    Raises:
        ValueError: ``curves`` not 2-D, fewer than 2 rows, NaN or inf in it, or
            ``confidence`` outside (0, 1).

    Examples:
        >>> bands = summarize_curves([[0.1, 0.5, 0.9], [0.3, 0.5, 0.7]])
        >>> [band.short(digits=2) for band in bands]
        ['0.20 ± 0.14', '0.50 ± 0.00', '0.80 ± 0.14']
    """
    _check_confidence(confidence)
    array = _as_array(curves, "curves")
    if array.ndim != 2:
        raise ValueError(f"curves must be 2-D (n_seeds, n_points), but got shape {array.shape}")
    if len(array) < 2:
        raise ValueError(f"curves must have at least 2 rows (one per seed), but got {len(array)}")
    _check_finite(array, "curves")
    return [_summary(column, confidence, "mean") for column in array.T]


def binomial_se(p: float, n: int) -> float:
    """Standard error ``sqrt(p(1-p)/n)`` of an accuracy ``p`` measured on ``n`` images.

    A one-run difference smaller than about two of these is noise.

    Args:
        p: the accuracy, in [0, 1].
        n: number of images it was measured on, a positive integer.

    Returns:
        the standard error, in the units of ``p``.

    Raises:
        ValueError: ``p`` outside [0, 1], or ``n`` not an integer of at least 1.

    Examples:
        >>> round(binomial_se(0.85, 2000), 4)  # ±0.8 points on the course's test split
        0.008
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], but got {p}")
    count = _as_count(n, "n")
    if count < 1:
        raise ValueError(f"n must be at least 1, but got {n}")
    return math.sqrt(p * (1.0 - p) / count)


def accuracy_interval(correct: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (no continuity correction) for ``correct`` hits out of ``n``.

    Args:
        correct: number of correctly classified images, an integer in [0, n] (a 0-d
            integer tensor such as ``(pred == y).sum()`` works too).
        n: number of images, a positive integer.
        confidence: level of the interval, in (0, 1).

    Returns:
        ``(low, high)`` in [0, 1]; ``low`` is exactly 0 when ``correct == 0`` and ``high``
        exactly 1 when ``correct == n``.

    Raises:
        ValueError: ``n`` not an integer of at least 1, ``correct`` not an integer in
            [0, n], or ``confidence`` outside (0, 1).

    Examples:
        >>> low, high = accuracy_interval(1700, 2000)  # 85 % on 2,000 test images
        >>> round(low, 4), round(high, 4)
        (0.8337, 0.865)
    """
    _check_confidence(confidence)
    total = _as_count(n, "n")
    if total < 1:
        raise ValueError(f"n must be at least 1, but got {n}")
    hits = _as_count(correct, "correct")
    if not 0 <= hits <= total:
        raise ValueError(f"correct must be in [0, n] = [0, {total}], but got {hits}")
    z = _normal_quantile(confidence)
    center = (hits + z**2 / 2) / (total + z**2)
    half_width = z * math.sqrt(hits * (total - hits) / total + z**2 / 4) / (total + z**2)
    low = 0.0 if hits == 0 else center - half_width
    high = 1.0 if hits == total else center + half_width
    return low, high


# ---------------------------------------------------------------------------------------
# Validation and the shared computation
# ---------------------------------------------------------------------------------------


def _summary(sample: np.ndarray, confidence: float, kind: Kind) -> Summary:
    """The t interval of the mean of a validated 1-D float64 sample."""
    n = len(sample)
    mean = float(np.mean(sample))
    sd = float(np.std(sample, ddof=1))
    sem = sd / math.sqrt(n)
    half_width = _t_quantile(confidence, n - 1) * sem
    return Summary(n=n, mean=mean, sd=sd, sem=sem, low=mean - half_width, high=mean + half_width,
                   confidence=float(confidence), kind=kind)


def _t_quantile(confidence: float, df: int) -> float:
    """``t_{(1+c)/2, df}``, computed from the upper tail ``(1-c)/2``, which is exact in floats."""
    return float(_scipy_stats.t.isf((1.0 - confidence) / 2, df))


def _normal_quantile(confidence: float) -> float:
    return float(_scipy_stats.norm.isf((1.0 - confidence) / 2))


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, numbers.Real) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be in (0, 1), but got {confidence}")


def _as_array(values: object, name: str) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().to(torch.float64).numpy()
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of numbers, but got {reprlib.repr(values)}") from error


def _check_finite(array: np.ndarray, name: str) -> None:
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        where = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} must be finite, but got {array[where]} at index {where[0] if len(where) == 1 else where}"
            " (a diverged run? report it as diverged instead of averaging it)"
        )


def _as_sample(values: Values, name: str) -> np.ndarray:
    """``values`` as a validated 1-D float64 array of at least 2 finite numbers."""
    array = _as_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, but got shape {array.shape}")
    if len(array) < 2:
        raise ValueError(f"{name} must have at least 2 entries, but got {len(array)}")
    _check_finite(array, name)
    return array


def _as_count(value: object, name: str) -> int:
    """An integer count: ints, NumPy integers and 0-d integer tensors; not bools or floats."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, but got {value!r}") from None


def _number_format(digits: int, *, signed: bool) -> str:
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative integer, but got {digits!r}")
    return f"{'+' if signed else ''}.{digits}f"


def _level(confidence: float) -> str:
    """0.95 -> "95", 0.999 -> "99.9"."""
    return f"{100 * confidence:.6g}"
