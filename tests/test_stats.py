"""course_utils.stats: NumPy and SciPy are the oracles for every number it reports.

Tolerance: 1e-12 relative, plus 1e-12 absolute times the data's magnitude (an interval end
``mean - t * sem`` can cancel to near 0, where only an absolute bound makes sense; SciPy
takes the upper quantile as ``ppf((1 + c) / 2)``, we take ``isf((1 - c) / 2)``, which agree
to a few 1e-13 relative).
"""

from __future__ import annotations

import dataclasses
import doctest
import math
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from course_utils import stats
from course_utils.stats import (
    Summary,
    accuracy_interval,
    binomial_se,
    paired_difference,
    summarize,
    summarize_curves,
)

pytestmark = pytest.mark.core

RTOL = 1e-12
numbers = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
samples = st.lists(numbers, min_size=2, max_size=50)
confidences = st.floats(min_value=0.01, max_value=0.999)


@st.composite
def paired_samples(draw):
    n = draw(st.integers(min_value=2, max_value=50))
    pair = st.lists(numbers, min_size=n, max_size=n)
    return draw(pair), draw(pair)


@st.composite
def counts(draw):
    n = draw(st.integers(min_value=1, max_value=10**6))
    return draw(st.integers(min_value=0, max_value=n)), n


def assert_close(ours, theirs, magnitude=1.0):
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * max(1.0, magnitude))


def scipy_t_interval(values, confidence):
    """The oracle: NumPy's mean and sd (ddof = 1), SciPy's t interval (NaN for sd = 0)."""
    mean, sd = np.mean(values), np.std(values, ddof=1)
    sem = sd / math.sqrt(len(values))
    if sd == 0:
        return mean, sd, mean, mean
    low, high = scipy_stats.t.interval(confidence, len(values) - 1, loc=mean, scale=sem)
    return mean, sd, low, high


# ---------------------------------------------------------------------------------------
# Oracle and property tests
# ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(samples, confidences)
def test_summarize_matches_numpy_and_scipy_t_interval(values, confidence):
    summary = summarize(values, confidence=confidence)
    mean, sd, low, high = scipy_t_interval(values, confidence)
    magnitude = float(np.max(np.abs(values)))
    assert summary.n == len(values) and summary.kind == "mean" and summary.confidence == confidence
    assert_close(summary.mean, mean, magnitude)
    assert_close(summary.sd, sd, magnitude)
    assert_close(summary.sem, sd / math.sqrt(len(values)), magnitude)
    assert_close(summary.low, low, magnitude)
    assert_close(summary.high, high, magnitude)
    assert summary.low <= summary.mean <= summary.high


@settings(max_examples=100, deadline=None)
@given(samples)
def test_list_numpy_and_tensor_inputs_agree(values):
    expected = summarize(values)
    assert summarize(np.array(values)) == expected
    assert summarize(torch.tensor(values, dtype=torch.float64, requires_grad=True)) == expected


def test_zero_spread_gives_an_interval_of_width_zero():
    summary = summarize([0.85, 0.85, 0.85])
    assert summary.sd == 0.0 and summary.sem == 0.0
    assert summary.low == summary.high == summary.mean == 0.85
    assert summary.excludes_zero


@settings(max_examples=300, deadline=None)
@given(counts(), confidences)
def test_accuracy_interval_matches_scipy_wilson(count, confidence):
    correct, n = count
    low, high = accuracy_interval(correct, n, confidence=confidence)
    expected = scipy_stats.binomtest(correct, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert_close(low, expected.low)
    assert_close(high, expected.high)
    assert 0.0 <= low <= correct / n <= high <= 1.0
    assert isinstance(low, float) and isinstance(high, float)


def test_accuracy_interval_is_exact_at_the_borders():
    assert accuracy_interval(0, 50)[0] == 0.0
    assert accuracy_interval(50, 50)[1] == 1.0


def test_accuracy_interval_takes_tensor_and_numpy_counts():
    pred, target = torch.tensor([1, 2, 3, 4]), torch.tensor([1, 2, 0, 4])
    assert accuracy_interval((pred == target).sum(), len(target)) == accuracy_interval(3, 4)
    assert accuracy_interval(np.int64(3), np.int64(4)) == accuracy_interval(3, 4)


@settings(max_examples=200, deadline=None)
@given(paired_samples(), confidences)
def test_paired_difference_is_the_summary_of_the_differences(pair, confidence):
    a, b = pair
    difference = paired_difference(a, b, confidence=confidence)
    expected = summarize(np.subtract(a, b), confidence=confidence)
    assert difference == dataclasses.replace(expected, kind="difference")
    assert difference.excludes_zero == (difference.low > 0 or difference.high < 0)


@settings(max_examples=200, deadline=None)
@given(paired_samples(), confidences)
def test_excludes_zero_agrees_with_scipy_paired_t_test(pair, confidence):
    """Duality: the t interval excludes 0 exactly when the paired t test has p < 1 - c."""
    a, b = pair
    difference = paired_difference(a, b, confidence=confidence)
    assume(difference.sd > 1e-9 * max(1.0, abs(difference.mean)))
    p_value = scipy_stats.ttest_rel(a, b).pvalue
    assume(abs(p_value - (1 - confidence)) > 1e-9)
    assert difference.excludes_zero == (p_value < 1 - confidence)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=2, max_value=8), st.integers(min_value=1, max_value=12), st.data())
def test_summarize_curves_summarizes_each_column(n_seeds, n_points, data):
    rows = st.lists(numbers, min_size=n_points, max_size=n_points)
    curves = np.array(data.draw(st.lists(rows, min_size=n_seeds, max_size=n_seeds)))
    bands = summarize_curves(curves, confidence=0.9)
    assert bands == [summarize(curves[:, j], confidence=0.9) for j in range(n_points)]
    assert summarize_curves(torch.from_numpy(curves), confidence=0.9) == bands


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0), st.integers(min_value=1, max_value=10**6))
def test_binomial_se_is_the_sd_of_an_accuracy(p, n):
    """Oracle: exact rational p(1-p)/n (SciPy's binom.std cancels badly for p near 1)."""
    exact = math.sqrt(Fraction(p) * (1 - Fraction(p)) / n)
    assert binomial_se(p, n) == math.sqrt(p * (1 - p) / n)
    assert_close(binomial_se(p, n), exact)


def test_binomial_se_is_scipys_binomial_sd():
    assert_close(binomial_se(0.85, 2000), scipy_stats.binom(2000, 0.85).std() / 2000)


def test_binomial_se_on_the_course_test_split():
    """EVIDENCE.md: on 2,000 images at 85 % one accuracy is good to about ±0.8 points."""
    assert round(100 * binomial_se(0.85, 2000), 1) == 0.8


# ---------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------

# [1, 2, 3, 4, 5]: mean 3, sd = sqrt(10 / 4) = 1.5811, sem = sd / sqrt(5) = 0.7071,
# t_{0.975, 4} = 2.7764, half width 1.9632: interval 1.0368 to 4.9632.
ONE_TO_FIVE = [1, 2, 3, 4, 5]


def test_mean_line_by_hand():
    summary = summarize(ONE_TO_FIVE)
    assert str(summary) == "3.000 ± 1.581 (mean ± sd; 95 % CI 1.037 to 4.963, n = 5)"
    assert summary.format() == str(summary)
    assert summary.short() == "3.000 ± 1.581"
    assert summarize(ONE_TO_FIVE, confidence=0.9).format(digits=2) == (
        "3.00 ± 1.58 (mean ± sd; 90 % CI 1.49 to 4.51, n = 5)")


def test_accuracy_line_in_percent():
    # mean 0.85, sd = sqrt(2e-4 / 4) = 0.00707, half width 2.7764 * 0.00316 = 0.00878
    summary = summarize([0.84, 0.85, 0.86, 0.85, 0.85])
    assert summary.format(scale=100, unit="%", digits=1) == (
        "85.0 ± 0.7 % (mean ± sd; 95 % CI 84.1 to 85.9, n = 5)")
    assert summary.short(scale=100, digits=1) == "85.0 ± 0.7"


@pytest.mark.parametrize(("a", "b", "line", "excludes_zero"), [
    ([3, 4, 5, 6, 7], [2] * 5, "+300.0 points (95 % CI +103.7 to +496.3, n = 5)", True),
    ([2] * 5, [3, 4, 5, 6, 7], "-300.0 points (95 % CI -496.3 to -103.7, n = 5)", True),
    ([1, 2, 3, 4, 5], [2] * 5, "+100.0 points (95 % CI -96.3 to +296.3, n = 5)", False),
])
def test_difference_lines_always_show_signs(a, b, line, excludes_zero):
    difference = paired_difference(a, b)
    assert difference.format(scale=100, unit="points", digits=1) == line
    assert difference.excludes_zero is excludes_zero


def test_difference_without_unit_and_short():
    difference = paired_difference([3, 4, 5, 6, 7], [2] * 5)
    assert str(difference) == "+3.000 (95 % CI +1.037 to +4.963, n = 5)"
    assert difference.short() == "+3.000 ± 1.581"


def test_zero_difference_prints_plus_zero_and_does_not_exclude_zero():
    difference = paired_difference([0.5, 0.5], [0.5, 0.5])
    assert str(difference) == "+0.000 (95 % CI +0.000 to +0.000, n = 2)"
    assert not difference.excludes_zero


def test_rounding_keeps_the_sign_of_a_bound_just_below_zero():
    summary = Summary(n=5, mean=-0.0, sd=0.0, sem=0.0, low=-0.0004, high=0.0,
                      confidence=0.95, kind="difference")
    assert str(summary) == "+0.000 (95 % CI -0.000 to +0.000, n = 5)"


def test_summary_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        summarize(ONE_TO_FIVE).mean = 0.0  # type: ignore[misc]


def test_docstring_examples_run():
    result = doctest.testmod(stats, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------------------------------
# One test per error message
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda: summarize([1.0]), "values must have at least 2 entries, but got 1"),
    (lambda: summarize([]), "values must have at least 2 entries, but got 0"),
    (lambda: summarize([[1.0, 2.0], [3.0, 4.0]]), "values must be 1-D, but got shape (2, 2)"),
    (lambda: summarize(0.85), "values must be 1-D, but got shape ()"),
    (lambda: summarize([1.0, float("nan"), 2.0]), "values must be finite, but got nan at index 1"),
    (lambda: summarize(np.array([1.0, 2.0, -np.inf])), "values must be finite, but got -inf at index 2"),
    (lambda: summarize(["a", "b"]), "values must be an array of numbers, but got ['a', 'b']"),
    (lambda: summarize([1.0, 2.0], confidence=1.5), "confidence must be in (0, 1), but got 1.5"),
    (lambda: summarize([1.0, 2.0], confidence=0.0), "confidence must be in (0, 1), but got 0.0"),
    (lambda: summarize([1.0, 2.0], confidence=95), "confidence must be in (0, 1), but got 95"),
    (lambda: paired_difference([1.0, 2.0, 3.0], [1.0, 2.0]),
     "a and b must have the same length (one entry per seed), but got 3 and 2"),
    (lambda: paired_difference([1.0], [1.0]), "a must have at least 2 entries, but got 1"),
    (lambda: paired_difference([1.0, 2.0], [1.0, float("inf")]), "b must be finite, but got inf at index 1"),
    (lambda: paired_difference([1.0, 2.0], [1.0, 2.0], confidence=-0.1),
     "confidence must be in (0, 1), but got -0.1"),
    (lambda: summarize_curves([1.0, 2.0]), "curves must be 2-D (n_seeds, n_points), but got shape (2,)"),
    (lambda: summarize_curves([[1.0, 2.0]]), "curves must have at least 2 rows (one per seed), but got 1"),
    (lambda: summarize_curves([[1.0, 2.0], [3.0, float("nan")]]),
     "curves must be finite, but got nan at index (1, 1)"),
    (lambda: summarize_curves([[1.0, 2.0], [3.0, 4.0]], confidence=1.0),
     "confidence must be in (0, 1), but got 1.0"),
    (lambda: binomial_se(1.5, 100), "p must be in [0, 1], but got 1.5"),
    (lambda: binomial_se(-0.1, 100), "p must be in [0, 1], but got -0.1"),
    (lambda: binomial_se(0.5, 0), "n must be at least 1, but got 0"),
    (lambda: binomial_se(0.5, 2.5), "n must be an integer, but got 2.5"),
    (lambda: accuracy_interval(5, 0), "n must be at least 1, but got 0"),
    (lambda: accuracy_interval(5, 10.0), "n must be an integer, but got 10.0"),
    (lambda: accuracy_interval(11, 10), "correct must be in [0, n] = [0, 10], but got 11"),
    (lambda: accuracy_interval(-1, 10), "correct must be in [0, n] = [0, 10], but got -1"),
    (lambda: accuracy_interval(0.5, 10), "correct must be an integer, but got 0.5"),
    (lambda: accuracy_interval(True, 10), "correct must be an integer, but got True"),
    (lambda: accuracy_interval(5, 10, confidence=2), "confidence must be in (0, 1), but got 2"),
    (lambda: summarize(ONE_TO_FIVE).format(scale=0), "scale must be positive and finite, but got 0"),
    (lambda: summarize(ONE_TO_FIVE).short(scale=-100), "scale must be positive and finite, but got -100"),
    (lambda: summarize(ONE_TO_FIVE).format(digits=-1), "digits must be a non-negative integer, but got -1"),
    (lambda: summarize(ONE_TO_FIVE).short(digits=1.5), "digits must be a non-negative integer, but got 1.5"),
])
def test_bad_arguments_are_named_with_rule_and_value(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_non_finite_message_suggests_reporting_divergence():
    with pytest.raises(ValueError, match="diverged"):
        summarize([0.9, float("nan")])
