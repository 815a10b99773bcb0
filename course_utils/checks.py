"""Checks with messages a learner can act on, used by the exercises and the tests.

``check_close`` compares an answer with a reference and, when they differ, says what was
expected, what came, and which likely mistake explains it (``hints`` maps a description of
a mistake to the value that mistake would produce). ``gradient_check`` compares analytic
gradients with central differences in float64; ``rel_error`` is the usual
``max |a - b| / (|a| + |b|)``. ``forbid`` enforces an exercise's "do not call X": inside
it, calling one of the named functions fails with a message that names it.

All failures are ``AssertionError`` (so nbgrader counts them as a failed test), raised here
with a readable message rather than from deep inside a helper.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "rel_error",
    "check_close",
    "check_shape",
    "numerical_gradient",
    "gradient_check",
    "forbid",
]

ArrayLike = Tensor | np.ndarray | float | int | Sequence[float]


def _as_tensor(name: str, value: object) -> Tensor:
    """Convert an answer to a float64 CPU tensor, or fail with a message about its type."""
    if value is None:
        raise AssertionError(
            f"{name}: got None. Did your function forget to `return` its result?"
        )
    if isinstance(value, Tensor):
        return value.detach().to("cpu", torch.float64)
    if isinstance(value, (bool, str, bytes)):
        raise AssertionError(f"{name}: expected numbers, but got a {type(value).__name__}")
    if callable(value):
        raise AssertionError(
            f"{name}: expected numbers, but got the function {getattr(value, '__name__', value)!r}"
            ". Did you forget to call it (add the parentheses and arguments)?"
        )
    try:
        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError, OverflowError) as exc:
        several = ""
        if isinstance(value, (tuple, list)):
            several = (f" of {len(value)} items that do not form one array. "
                       "Did your function return several values?")
        raise AssertionError(
            f"{name}: expected a tensor, array or number, but got a {type(value).__name__}"
            f"{several}"
        ) from exc


def rel_error(actual: ArrayLike, expected: ArrayLike) -> float:
    """Largest relative difference ``|a - b| / max(1e-8, |a| + |b|)`` over all entries.

    Raises:
        ValueError: the shapes differ.
    """
    a, b = _as_tensor("actual", actual), _as_tensor("expected", expected)
    if a.shape != b.shape:
        raise ValueError(f"shapes must match, but got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        return 0.0
    denominator = (a.abs() + b.abs()).clamp_min(1e-8)
    return ((a - b).abs() / denominator).max().item()


def _fmt(t: Tensor) -> str:
    if t.numel() == 1:
        return f"{t.item():.6g}"
    flat = ", ".join(f"{v:.4g}" for v in t.flatten()[:4].tolist())
    return f"[{flat}{', ...' if t.numel() > 4 else ''}] (shape {tuple(t.shape)})"


def _matching_hint(a: Tensor, hints: Mapping[str, ArrayLike], rtol: float, atol: float) -> str:
    for mistake, wrong in hints.items():
        w = _as_tensor("hint", wrong)
        if w.shape == a.shape and torch.allclose(a, w, rtol=rtol, atol=atol):
            return f" It matches what you get if you {mistake}."
    return ""


def check_shape(name: str, actual: object, expected_shape: Sequence[int]) -> None:
    """Fail with a readable message unless ``actual`` has ``expected_shape``.

    Raises:
        AssertionError: wrong type or shape (mentions a transpose or a lost dimension
            when that is what happened).
    """
    a = _as_tensor(name, actual)
    expected = tuple(expected_shape)
    if tuple(a.shape) == expected:
        return
    hint = ""
    if tuple(reversed(a.shape)) == expected and a.dim() == 2:
        hint = " Is it transposed?"
    elif a.numel() == math.prod(expected):
        hint = " Same number of entries: a reshape or keepdim issue?"
    elif a.dim() == len(expected) - 1:
        hint = " One dimension is missing: did a reduction drop it (keepdim=True)?"
    elif a.dim() == len(expected) + 1:
        hint = " One dimension too many: a missing reduction (sum or mean over a dimension)?"
    raise AssertionError(f"{name} has shape {tuple(a.shape)}, expected {expected}.{hint}")


def check_close(
    name: str,
    actual: object,
    expected: ArrayLike,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hints: Mapping[str, ArrayLike] | None = None,
) -> None:
    """Assert that ``actual`` equals ``expected`` within ``atol + rtol * |expected|``.

    Args:
        name: what is being checked, as the learner knows it (``"running_var"``).
        actual: the learner's answer (tensor, array, number or nested list).
        expected: the reference value.
        rtol, atol: tolerances, as in ``torch.allclose``.
        hints: ``{mistake: value that mistake produces}``; when the answer matches one,
            the message names the mistake (e.g. ``{"used the unbiased variance": ...}``).

    Raises:
        AssertionError: with a message naming the expected and received values, the
            worst entry, and the likely mistake (type, shape, NaN, a matching hint).
        ValueError: negative tolerances.

    Examples:
        >>> check_close("mean", torch.tensor(0.5), 0.5)
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol and atol must be non-negative, but got rtol={rtol}, atol={atol}")
    a, b = _as_tensor(name, actual), _as_tensor("expected", expected)
    check_shape(name, a, b.shape)
    if torch.isnan(a).any() and not torch.isnan(b).any():
        count = int(torch.isnan(a).sum())
        raise AssertionError(
            f"{name} contains {count} NaN value(s). Look for 0/0, sqrt or log of a "
            "negative number, or a missing epsilon."
        )
    if torch.isinf(a).any() and not torch.isinf(b).any():
        raise AssertionError(f"{name} contains infinite values: a division by zero or overflow?")
    if torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        return
    error = (a - b).abs()
    error[torch.isnan(a) & torch.isnan(b)] = 0.0  # a NaN where a NaN is expected is right
    error[torch.isnan(a) != torch.isnan(b)] = math.inf
    worst = int(error.flatten().argmax())
    index = tuple(int(i) for i in np.unravel_index(worst, tuple(a.shape))) if a.dim() else ()
    where = f" at index {index}" if index else ""
    hint = _matching_hint(a, hints or {}, rtol, atol)
    raise AssertionError(
        f"{name} is {_fmt(a)}, expected {_fmt(b)}: largest difference "
        f"{error.flatten()[worst].item():.3g}{where} "
        f"(got {a.flatten()[worst].item():.6g}, expected {b.flatten()[worst].item():.6g}).{hint}"
    )


def _check_scalar(output: object) -> None:
    if not isinstance(output, Tensor) or output.numel() != 1:
        got = (f"a tensor of shape {tuple(output.shape)}" if isinstance(output, Tensor)
               else f"a {type(output).__name__}")
        raise ValueError(f"f must return a one-element tensor, but got {got}")


def numerical_gradient(f: Callable[[], Tensor], x: Tensor, *, eps: float = 1e-6) -> Tensor:
    """Central-difference gradient of the scalar ``f()`` with respect to ``x``'s entries.

    ``x`` is perturbed in place, entry by entry, and restored; ``f`` must read it.

    Raises:
        ValueError: ``eps <= 0``, or ``f`` does not return a one-element tensor.
    """
    if eps <= 0:
        raise ValueError(f"eps must be positive, but got {eps}")
    _check_scalar(f())
    grad = torch.zeros_like(x)
    flat_x, flat_grad = x.data.view(-1), grad.view(-1)
    for i in range(flat_x.numel()):
        original = flat_x[i].item()
        flat_x[i] = original + eps
        plus = f().item()
        flat_x[i] = original - eps
        minus = f().item()
        flat_x[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradient_check(
    f: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    *,
    analytic: Sequence[Tensor] | None = None,
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> float:
    """Compare gradients of the scalar ``f(*inputs)`` with central differences.

    The inputs are copied to float64 (float32 differences are too coarse to check
    anything). ``analytic`` gives the gradients to check, e.g. from a hand-derived
    backward pass; by default autograd's are checked. A check is only meaningful when
    the numerical gradients are not all zero (e.g. batch norm on a batch of one).

    Returns:
        The largest :func:`rel_error` over all inputs.

    Raises:
        AssertionError: an error above ``tol``, naming the input and the worst entry;
            an analytic gradient of the wrong shape, or with NaN or infinite entries.
        ValueError: no inputs, non-positive ``eps`` or ``tol``, ``f`` not returning a
            scalar, or analytic gradients whose count differs from the inputs'.
    """
    if not inputs:
        raise ValueError("inputs must contain at least one tensor, but got none")
    if tol <= 0:
        raise ValueError(f"tol must be positive, but got {tol}")
    if analytic is not None and len(analytic) != len(inputs):
        raise ValueError(
            f"analytic must have one gradient per input ({len(inputs)}), but got {len(analytic)}"
        )
    xs = [t.detach().to(torch.float64).clone().requires_grad_(True) for t in inputs]
    output = f(*xs)
    _check_scalar(output)
    if analytic is None:
        analytic = torch.autograd.grad(output, xs, allow_unused=True)
        analytic = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, analytic, strict=True)]
    worst = 0.0
    with torch.no_grad():
        for i, (x, grad) in enumerate(zip(xs, analytic, strict=True)):
            numeric = numerical_gradient(lambda: f(*xs), x, eps=eps)
            check_shape(f"gradient of input {i}", grad, numeric.shape)
            if not torch.isfinite(_as_tensor("gradient", grad)).all():
                raise AssertionError(
                    f"gradient of input {i} contains NaN or infinite values: "
                    f"{_fmt(_as_tensor('g', grad))}. Look for 0/0, log(0) or a missing epsilon."
                )
            error = rel_error(grad, numeric)
            if error > tol:
                raise AssertionError(
                    f"gradient of input {i} disagrees with central differences: relative "
                    f"error {error:.3g} > {tol:g}; analytic {_fmt(_as_tensor('g', grad))}, "
                    f"numerical {_fmt(numeric)}"
                )
            worst = max(worst, error)
    return worst


@contextlib.contextmanager
def forbid(where: str, targets: Mapping[str, tuple[object, str]]) -> Iterator[None]:
    """Make the named functions fail while the block runs (an exercise's "do not call X").

    Args:
        where: what the block checks, for the message (e.g. ``"my_cross_entropy"``).
        targets: the name to show (e.g. ``"F.cross_entropy"``) mapped to ``(owner, attribute)``,
            the module or class that holds the function and its attribute name.

    Inside the block each target raises ``AssertionError`` naming itself; afterwards every
    attribute is restored, also when the block fails.

    Examples:
        >>> import torch.nn.functional as F
        >>> with forbid("my_loss", {"F.cross_entropy": (F, "cross_entropy")}):  # doctest: +ELLIPSIS
        ...     F.cross_entropy(torch.zeros(1, 2), torch.tensor([0]))
        Traceback (most recent call last):
        ...
        AssertionError: my_loss calls F.cross_entropy, which the exercise asks you not to use: ...
    """
    if not isinstance(where, str) or not where:
        raise ValueError(f"where must be a non-empty string, but got {where!r}")
    if not isinstance(targets, Mapping) or not targets:
        raise ValueError("targets must be a non-empty mapping of name to (owner, attribute), "
                         f"but got {targets!r}")
    originals = []
    for shown, target in targets.items():
        if not (isinstance(target, tuple) and len(target) == 2 and isinstance(target[1], str)
                and callable(getattr(target[0], target[1], None))):
            raise ValueError(f"targets[{shown!r}] must be (owner, attribute) naming a function, "
                             f"but got {target!r}")
        originals.append((target[0], target[1], getattr(target[0], target[1])))

    def banned(shown: str) -> Callable[..., object]:
        def fail(*args: object, **kwargs: object) -> object:
            raise AssertionError(
                f"{where} calls {shown}, which the exercise asks you not to use: "
                "write the computation yourself")
        return fail

    try:
        for (owner, attribute, _), shown in zip(originals, targets, strict=True):
            setattr(owner, attribute, banned(shown))
        yield
    finally:
        for owner, attribute, original in originals:
            setattr(owner, attribute, original)
