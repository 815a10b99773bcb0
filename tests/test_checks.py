"""course_utils.checks: one test per message a learner (or an author) can get.

torch is the oracle for what counts as close (``torch.allclose``) and for gradients
(autograd); the messages are matched on the facts they must state (name, expected and
received values, the likely mistake).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.checks import (
    check_close,
    check_shape,
    gradient_check,
    numerical_gradient,
    rel_error,
)

pytestmark = pytest.mark.core


# ---------------------------------------------------------------------------------------
# Answers of the wrong kind (every helper converts its input the same way)
# ---------------------------------------------------------------------------------------


def test_none_says_the_return_is_missing():
    with pytest.raises(AssertionError, match=r"^my_mean: got None\. Did your function forget "
                                             r"to `return` its result\?$"):
        check_close("my_mean", None, 1.0)


@pytest.mark.parametrize(("answer", "kind"), [("0.5", "str"), (True, "bool"), (b"1", "bytes")])
def test_text_or_bool_says_numbers_were_expected(answer, kind):
    with pytest.raises(AssertionError, match=f"^my_mean: expected numbers, but got a {kind}$"):
        check_close("my_mean", answer, 0.5)


def test_a_function_says_it_was_not_called():
    def my_mean(x):
        return x.mean()

    with pytest.raises(AssertionError, match="got the function 'my_mean'. Did you forget to call"):
        check_close("answer", my_mean, 0.5)


def test_several_returned_values_are_named():
    answer = (torch.zeros(3), torch.zeros(2, 2))  # e.g. (output, cache)
    with pytest.raises(AssertionError, match="but got a tuple of 2 items that do not form one "
                                             "array. Did your function return several values"):
        check_close("my_forward", answer, torch.zeros(3))


def test_other_objects_name_their_type():
    with pytest.raises(AssertionError, match="^answer: expected a tensor, array or number, but "
                                             "got a dict$"):
        check_close("answer", {"mean": 0.5}, 0.5)


def test_tensors_that_require_grad_and_ints_are_accepted():
    check_close("x", torch.ones(3, requires_grad=True) * 2, [2, 2, 2])
    check_close("n", np.int64(3), 3.0)


# ---------------------------------------------------------------------------------------
# rel_error
# ---------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=6))
def test_rel_error_is_the_largest_relative_difference(pairs):
    a, b = (np.array(column, dtype=np.float64) for column in zip(*pairs, strict=True))
    expected = np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))
    assert rel_error(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_rel_error_of_empty_tensors_is_zero():
    assert rel_error(torch.zeros(0), torch.zeros(0)) == 0.0


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=re.escape("shapes must match, but got (2,) and (3,)")):
        rel_error(torch.zeros(2), torch.zeros(3))


# ---------------------------------------------------------------------------------------
# check_shape: one message per kind of shape mistake
# ---------------------------------------------------------------------------------------


def test_check_shape_accepts_the_right_shape():
    check_shape("x", torch.zeros(2, 3), torch.Size([2, 3]))
    check_shape("x", np.zeros((2, 3)), [2, 3])


@pytest.mark.parametrize(("shape", "expected", "hint"), [
    ((3, 2), (2, 3), "Is it transposed?"),
    ((6,), (2, 3), "Same number of entries: a reshape or keepdim issue?"),
    ((4, 3), (4, 1, 2), "One dimension is missing: did a reduction drop it (keepdim=True)?"),
    ((4, 5), (4,), "One dimension too many: a missing reduction (sum or mean over a dimension)?"),
])
def test_check_shape_names_the_likely_mistake(shape, expected, hint):
    message = f"my_out has shape {shape}, expected {expected}. {hint}"
    with pytest.raises(AssertionError, match=f"^{re.escape(message)}$"):
        check_shape("my_out", torch.zeros(shape), expected)


def test_check_shape_without_a_likely_mistake_states_the_shapes():
    with pytest.raises(AssertionError, match=re.escape("my_out has shape (5,), expected (4,).")
                       + "$"):
        check_shape("my_out", torch.zeros(5), (4,))


# ---------------------------------------------------------------------------------------
# check_close
# ---------------------------------------------------------------------------------------

_finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_finite, _finite), min_size=1, max_size=5),
       st.sampled_from([0.0, 1e-5, 1e-2]), st.sampled_from([0.0, 1e-8, 1e-3]))
def test_check_close_passes_exactly_when_torch_allclose_does(pairs, rtol, atol):
    a, b = (torch.tensor(column, dtype=torch.float64) for column in zip(*pairs, strict=True))
    if torch.allclose(a, b, rtol=rtol, atol=atol):
        check_close("x", a, b, rtol=rtol, atol=atol)
    else:
        with pytest.raises(AssertionError, match="^x is "):
            check_close("x", a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("rtol", "atol"), [(-1e-5, 1e-8), (1e-5, -1.0)])
def test_check_close_rejects_negative_tolerances(rtol, atol):
    with pytest.raises(ValueError, match=f"rtol and atol must be non-negative, but got "
                                         f"rtol={rtol}, atol={atol}"):
        check_close("x", 1.0, 1.0, rtol=rtol, atol=atol)


def test_check_close_reports_a_wrong_shape_first():
    with pytest.raises(AssertionError, match=re.escape("has shape (3, 2), expected (2, 3)")):
        check_close("my_out", torch.zeros(3, 2), torch.zeros(2, 3))


def test_check_close_counts_nans():
    answer = torch.tensor([1.0, math.nan, math.nan])
    with pytest.raises(AssertionError, match=r"^my_std contains 2 NaN value\(s\)\. Look for 0/0, "
                                             r"sqrt or log of a negative number"):
        check_close("my_std", answer, torch.ones(3))


def test_check_close_reports_infinities():
    with pytest.raises(AssertionError, match="^my_logits contains infinite values: a division "
                                             "by zero or overflow\\?$"):
        check_close("my_logits", torch.tensor([1.0, math.inf]), torch.ones(2))


def test_check_close_names_expected_received_and_the_worst_entry():
    expected = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    answer = expected.clone()
    answer[1, 0] = 3.5
    message = ("my_out is [1, 2, 3.5, 4] (shape (2, 2)), expected [1, 2, 3, 4] (shape (2, 2)): "
               "largest difference 0.5 at index (1, 0) (got 3.5, expected 3).")
    with pytest.raises(AssertionError, match=f"^{re.escape(message)}$"):
        check_close("my_out", answer, expected)


def test_check_close_on_scalars_has_no_index():
    with pytest.raises(AssertionError, match=re.escape(
            "my_loss is 2.5, expected 2: largest difference 0.5 (got 2.5, expected 2).")):
        check_close("my_loss", 2.5, torch.tensor(2.0))


def test_check_close_names_the_matching_mistake():
    x = torch.tensor([1.0, 2.0, 4.0, 7.0])
    hints = {"used the unbiased variance (divide by N - 1)": x.var(unbiased=True),
             "forgot to square": (x - x.mean()).abs().mean()}
    with pytest.raises(AssertionError, match=re.escape(
            "It matches what you get if you used the unbiased variance (divide by N - 1).")):
        check_close("my_var", x.var(unbiased=True), x.var(unbiased=False), hints=hints)


def test_check_close_ignores_hints_that_do_not_match():
    with pytest.raises(AssertionError) as info:
        check_close("y", torch.ones(2), torch.zeros(2),
                    hints={"used the wrong shape": torch.ones(3), "added 2": torch.full((2,), 2.0)})
    assert "It matches" not in str(info.value)


def test_check_close_treats_nan_where_nan_is_expected_as_right():
    check_close("y", [math.nan, 1.0], [math.nan, 1.0])
    with pytest.raises(AssertionError, match=re.escape("at index (1,) (got nan, expected 1)")):
        check_close("y", [math.nan, math.nan], [math.nan, 1.0])


# ---------------------------------------------------------------------------------------
# numerical_gradient and gradient_check
# ---------------------------------------------------------------------------------------


def _softplus_sum(x):
    return torch.nn.functional.softplus(x).pow(2).sum()


def _autograd(f, *inputs):
    """The oracle: autograd's gradients of the scalar ``f(*inputs)``."""
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    return torch.autograd.grad(f(*leaves), leaves)


def test_numerical_gradient_matches_autograd():
    x = torch.randn(3, 2, dtype=torch.float64)
    [expected] = _autograd(_softplus_sum, x)
    torch.testing.assert_close(numerical_gradient(lambda: _softplus_sum(x), x), expected,
                               rtol=1e-6, atol=1e-8)


def test_numerical_gradient_rejects_a_non_positive_eps():
    with pytest.raises(ValueError, match="eps must be positive, but got 0"):
        numerical_gradient(lambda: torch.zeros(()), torch.zeros(2), eps=0)


def test_numerical_gradient_needs_a_scalar_function():
    x = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(ValueError, match=re.escape(
            "f must return a one-element tensor, but got a tensor of shape (3,)")):
        numerical_gradient(lambda: x * 2, x)


def test_gradient_check_passes_autograd_and_a_right_analytic_gradient():
    x = torch.randn(4, dtype=torch.float64)
    assert gradient_check(_softplus_sum, [x]) < 1e-6
    [right] = _autograd(_softplus_sum, x)
    assert gradient_check(_softplus_sum, [x], analytic=[right]) < 1e-6


def test_gradient_check_names_the_input_that_disagrees():
    x, w = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    right = _autograd(lambda a, b: (a * b).sum(), x, w)
    with pytest.raises(AssertionError, match=r"^gradient of input 1 disagrees with central "
                                             r"differences: relative error [\d.e+-]+ > 1e-06"):
        gradient_check(lambda a, b: (a * b).sum(), [x, w], analytic=[right[0], 2 * right[1]])


def test_gradient_check_reports_a_gradient_of_the_wrong_shape():
    with pytest.raises(AssertionError, match=re.escape(
            "gradient of input 0 has shape (1, 3), expected (3,).")):
        gradient_check(lambda a: a.sum(), [torch.zeros(3)], analytic=[torch.ones(1, 3)])


def test_gradient_check_reports_a_missing_gradient():
    with pytest.raises(AssertionError, match="gradient of input 0: got None"):
        gradient_check(lambda a: a.sum(), [torch.zeros(3)], analytic=[None])


def test_gradient_check_reports_nan_gradients():
    with pytest.raises(AssertionError, match="^gradient of input 0 contains NaN or infinite "
                                             "values: .*Look for 0/0, log\\(0\\)"):
        gradient_check(lambda a: a.sum(), [torch.zeros(2)],
                       analytic=[torch.tensor([1.0, math.nan])])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"inputs": []}, "inputs must contain at least one tensor, but got none"),
    ({"tol": 0.0}, "tol must be positive, but got 0.0"),
    ({"eps": -1e-6}, "eps must be positive, but got -1e-06"),
    ({"analytic": []}, re.escape("analytic must have one gradient per input (1), but got 0")),
])
def test_gradient_check_rejects_bad_arguments(kwargs, message):
    arguments = {"f": lambda a: a.sum(), "inputs": [torch.zeros(2)], **kwargs}
    with pytest.raises(ValueError, match=message):
        gradient_check(**arguments)


def test_gradient_check_needs_a_scalar_function():
    with pytest.raises(ValueError, match="f must return a one-element tensor, but got a float"):
        gradient_check(lambda a: 1.0, [torch.zeros(2)])


def test_forbid_fails_the_named_function_and_restores_it():
    import torch.nn.functional as F

    from course_utils.checks import forbid

    original = F.softshrink
    banned = {"F.softshrink": (F, "softshrink")}
    with (pytest.raises(AssertionError, match=r"my_shrink calls F\.softshrink, which the exercise"),
          forbid("my_shrink", banned)):
        F.softshrink(torch.ones(3), 0.5)
    assert F.softshrink is original
    with forbid("my_shrink", {"F.softshrink": (F, "softshrink")}):
        assert torch.equal(torch.relu(torch.ones(2)), torch.ones(2))  # other functions work
    assert F.softshrink is original


@pytest.mark.parametrize(("where", "targets", "match"), [
    ("", {"x": (torch, "relu")}, "where must be a non-empty string, but got ''"),
    ("f", {}, "targets must be a non-empty mapping"),
    ("f", {"x": (torch, "no_such_function")}, r"targets\['x'\] must be \(owner, attribute\)"),
    ("f", {"x": torch.relu}, r"targets\['x'\] must be \(owner, attribute\)"),
])
def test_forbid_rejects_bad_arguments(where, targets, match):
    from course_utils.checks import forbid

    with pytest.raises(ValueError, match=match), forbid(where, targets):
        pass
