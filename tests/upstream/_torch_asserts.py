"""torch's ``TestCase.assertEqual`` / ``assertNotEqual`` semantics on top of ``torch.testing``.

torch's assertEqual compares tensors with the dtype's default rtol/atol, ``equal_nan=True`` and
``exact_dtype=True``, and accepts a Python number on one side (compared as a tensor of the
other side's dtype); assertNotEqual passes when assertEqual would fail.
"""

# ruff: noqa: N802  (upstream's names and idioms, kept verbatim)

import numbers

import torch


def _as_pair(actual, expected):
    if isinstance(actual, torch.Tensor) and isinstance(expected, numbers.Number):
        expected = torch.tensor(expected, dtype=actual.dtype, device=actual.device).expand_as(actual)
    elif isinstance(expected, torch.Tensor) and isinstance(actual, numbers.Number):
        actual = torch.tensor(actual, dtype=expected.dtype, device=expected.device).expand_as(expected)
    return actual, expected


def assertEqual(actual, expected, *, atol=None, rtol=None, exact_dtype=True, msg=None):
    actual, expected = _as_pair(actual, expected)
    if atol is not None and rtol is None:
        rtol = 0.0
    if rtol is not None and atol is None:
        atol = 0.0
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol, equal_nan=True,
                               check_dtype=exact_dtype, msg=msg)


def assertNotEqual(actual, expected, *, atol=None, rtol=None):
    try:
        assertEqual(actual, expected, atol=atol, rtol=rtol)
    except AssertionError:
        return
    raise AssertionError(f"expected values to differ, but they are equal: {actual} vs {expected}")


def assertEqualNested(actual, expected):
    """assertEqual for containers (dicts, lists, tuples) of tensors, numbers and other objects:
    tensors and numbers as above, anything else with ``==`` (as torch's assertEqual falls back)."""
    from collections.abc import Mapping, Sequence

    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        assert list(actual.keys()) == list(expected.keys()), (list(actual), list(expected))
        for key in actual:
            assertEqualNested(actual[key], expected[key])
    elif (isinstance(actual, Sequence) and isinstance(expected, Sequence)
          and not isinstance(actual, str) and not isinstance(expected, str)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assertEqualNested(a, e)
    elif isinstance(actual, torch.Tensor) or isinstance(expected, torch.Tensor):
        assertEqual(actual, expected)
    elif isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number) \
            and not isinstance(actual, bool):
        assertEqual(torch.tensor(actual), torch.tensor(expected))
    else:
        assert actual == expected, (actual, expected)
