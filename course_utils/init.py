r"""Chapter 01: weight initialization, written from the variance formulas.

Every initializer mirrors ``torch.nn.init``: same name, arguments and defaults; it fills
the tensor in place under ``torch.no_grad()``, returns the same tensor, and takes
``generator=`` for reproducible draws (with the same generator state it draws exactly the
numbers ``torch.nn.init`` draws). The scales come from one argument, repeated for each
scheme: a unit's pre-activation is a sum of ``fan_in`` products ``w * x`` of independent,
zero-mean weights, so

.. math::

    \operatorname{Var}(z) = \text{fan\_in} \cdot \operatorname{Var}(w) \cdot E[x^2],

and keeping the signal's scale constant through depth fixes ``Var(w)``. The backward pass
sums ``fan_out`` terms instead, and a uniform ``U(-a, a)`` has variance ``a^2 / 3``:

=================  ===============================  =========================================
scheme             Var(w)                           uniform bound a = sqrt(3 Var(w))
=================  ===============================  =========================================
LeCun (1998)       1 / fan_in                       sqrt(3 / fan_in)
Xavier (2010)      gain^2 * 2 / (fan_in + fan_out)  gain * sqrt(6 / (fan_in + fan_out))
He/Kaiming (2015)  gain^2 / fan (relu: 2 / fan)     gain * sqrt(3 / fan); relu: sqrt(6 / fan)
=================  ===============================  =========================================

Fans follow PyTorch's layouts: a ``Linear`` weight is ``(out_features, in_features)``, a
convolution weight ``(out_channels, in_channels / groups, *kernel)``, and each kernel
position counts as an input (``fan_in = in_channels * prod(kernel)``). A transposed
convolution's weight is ``(in_channels, out_channels / groups, *kernel)``; PyTorch (and
this module) still read dimension 1 as the fan-in.

``init_model`` applies a named scheme (or a plain std) to every linear and convolutional
layer of a model and sets the biases to zero.

Note:
    Zero-element tensors are a no-op, as in PyTorch: the Kaiming and LeCun initializers
    warn ("Initializing zero-element tensors is a no-op") like ``torch.nn.init.kaiming_*``;
    the Xavier ones return silently like ``torch.nn.init.xavier_*`` (which, unlike this
    module, divide by zero on a ``(0, 0)`` tensor). For a negative std or ``a > b``,
    where PyTorch raises ``RuntimeError``, ``normal_`` and ``uniform_`` raise
    :class:`course_utils.errors.InvalidArgumentError`, both a ``ValueError`` and a
    ``RuntimeError``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor, nn

from course_utils.errors import InvalidArgumentError

__all__ = [
    "fan_in_and_fan_out",
    "calculate_gain",
    "zeros_",
    "constant_",
    "normal_",
    "uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "SCHEMES",
    "init_model",
]

Nonlinearity = Literal[
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
]
FanMode = Literal["fan_in", "fan_out"]
WeightFill = Callable[..., Tensor]
_LINEAR_LIKE = frozenset({
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
})
_ZERO_ELEMENT_WARNING = "Initializing zero-element tensors is a no-op"


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    r"""Return ``(fan_in, fan_out)`` of a weight tensor, as ``torch.nn.init`` computes them.

    A linear weight has shape ``(out_features, in_features)``; a convolution weight
    ``(out_channels, in_channels, *kernel)``. Each output sums ``fan_in`` products and
    each input feeds ``fan_out`` outputs, both multiplied by the kernel's receptive field:

    .. math::

        \text{fan\_in} = \text{shape}[1] \prod_{d \ge 2} \text{shape}[d], \qquad
        \text{fan\_out} = \text{shape}[0] \prod_{d \ge 2} \text{shape}[d].

    Args:
        tensor: a weight with at least 2 dimensions.

    Returns:
        ``(fan_in, fan_out)`` as Python ints.

    Raises:
        ValueError: the tensor has fewer than 2 dimensions.

    Examples:
        >>> fan_in_and_fan_out(torch.empty(100, 784))  # nn.Linear(784, 100).weight
        (784, 100)
        >>> fan_in_and_fan_out(torch.empty(10, 3, 5, 5))  # nn.Conv2d(3, 10, 5).weight
        (75, 250)
    """
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, "
            f"but got tensor of shape {tuple(tensor.shape)}"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def calculate_gain(nonlinearity: Nonlinearity, param: float | None = None) -> float:
    """The factor that restores the scale an activation takes away (torch's values).

    ReLU zeroes half of a symmetric input, halving ``E[x^2]``; multiplying the weights'
    std by ``sqrt(2)`` restores it. A leaky ReLU with slope ``s`` keeps
    ``(1 + s^2) / 2`` of it, hence ``sqrt(2 / (1 + s^2))``. Linear layers, convolutions
    and sigmoid get 1, tanh 5/3, selu 3/4 (PyTorch's empirical choices).

    Args:
        nonlinearity: the activation's ``torch.nn.functional`` name.
        param: the leaky ReLU's negative slope (default 0.01); ignored otherwise.

    Returns:
        The gain, a float.

    Raises:
        ValueError: unknown nonlinearity, or a ``param`` that is not a number.

    Examples:
        >>> calculate_gain("relu")
        1.4142135623730951
        >>> calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()  # torch accepts "FAN_IN" too
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _is_empty(tensor: Tensor) -> bool:
    """True (with torch's warning) for a zero-element tensor, which nothing can fill."""
    if 0 in tensor.shape:
        warnings.warn(_ZERO_ELEMENT_WARNING, stacklevel=3)
        return True
    return False


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 in place and return the tensor.

    Right for biases (the random weights already make units differ); never for all the
    weights: identical weights get identical gradients, so the units stay identical.

    Examples:
        >>> zeros_(torch.empty(3)).tolist()
        [0.0, 0.0, 0.0]
    """
    with torch.no_grad():
        return tensor.zero_()


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val`` in place and return the tensor.

    Examples:
        >>> constant_(torch.empty(2), 0.5).tolist()
        [0.5, 0.5]
    """
    with torch.no_grad():
        return tensor.fill_(val)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Fill with draws from N(mean, std^2) in place and return the tensor.

    Args:
        tensor: any tensor.
        mean: the distribution's mean.
        std: its standard deviation (0 gives a constant tensor).
        generator: source of randomness (default: the global generator).

    Returns:
        ``tensor``, filled.

    Raises:
        course_utils.errors.InvalidArgumentError: ``std < 0`` (a ``ValueError``, and a
            ``RuntimeError`` as torch raises).

    Examples:
        >>> w = normal_(torch.empty(100, 100), std=0.01, generator=torch.Generator().manual_seed(0))
        >>> round(w.std().item(), 3)
        0.01
    """
    if std < 0:
        raise InvalidArgumentError(f"std must be non-negative, but got {std}")
    with torch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Fill with draws from U(a, b) in place and return the tensor.

    Args:
        tensor: any tensor.
        a: lower bound.
        b: upper bound.
        generator: source of randomness (default: the global generator).

    Returns:
        ``tensor``, filled.

    Raises:
        course_utils.errors.InvalidArgumentError: ``a > b`` (a ``ValueError``, and a
            ``RuntimeError`` as torch raises).

    Examples:
        >>> w = uniform_(torch.empty(1000), -0.1, 0.1)
        >>> bool(w.abs().max() <= 0.1)
        True
    """
    if a > b:
        raise InvalidArgumentError(f"uniform_ expects a <= b, but got a={a}, b={b}")
    with torch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _normal_with_std(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    return normal_(tensor, 0.0, std, generator)


def _uniform_with_std(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    bound = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3
    return uniform_(tensor, -bound, bound, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan = _fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)  # type: ignore[arg-type]
    return gain / math.sqrt(fan)


def lecun_normal_(tensor: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """LeCun et al. (1998): N(0, std^2) with std = 1 / sqrt(fan_in).

    Keeps the forward variance of a linear (or tanh-near-0) layer:
    ``fan_in * Var(w) = 1``. Equal to ``kaiming_normal_(t, nonlinearity="linear")``.
    This is the scale *Deep Learning from Scratch* calls "Xavier"; Xavier uses both fans.

    Args:
        tensor: a weight with at least 2 dimensions.
        generator: source of randomness.

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: fewer than 2 dimensions.

    Examples:
        >>> w = lecun_normal_(torch.empty(100, 400), generator=torch.Generator().manual_seed(0))
        >>> round(w.std().item(), 2)  # 1 / sqrt(400)
        0.05
    """
    if _is_empty(tensor):
        return tensor
    return _normal_with_std(tensor, _kaiming_std(tensor, 0.0, "fan_in", "linear"), generator)


def lecun_uniform_(tensor: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """LeCun et al. (1998), uniform: U(-a, a) with a = sqrt(3 / fan_in).

    Args:
        tensor: a weight with at least 2 dimensions.
        generator: source of randomness.

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: fewer than 2 dimensions.

    Examples:
        >>> w = lecun_uniform_(torch.empty(100, 300))
        >>> bool(w.abs().max() <= 0.1)  # sqrt(3 / 300)
        True
    """
    if _is_empty(tensor):
        return tensor
    return _uniform_with_std(tensor, _kaiming_std(tensor, 0.0, "fan_in", "linear"), generator)


def _xavier_std(tensor: Tensor, gain: float) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:  # a (0, 0) tensor: nothing to fill
        return 0.0
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    The forward pass wants ``Var(w) = 1 / fan_in``, the backward pass ``1 / fan_out``;
    Xavier takes the compromise ``2 / (fan_in + fan_out)`` (the harmonic mean of the two).

    Args:
        tensor: a weight with at least 2 dimensions.
        gain: scaling factor, e.g. ``calculate_gain("tanh")``.
        generator: source of randomness.

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: fewer than 2 dimensions.

    Examples:
        >>> w = xavier_normal_(torch.empty(100, 300), generator=torch.Generator().manual_seed(0))
        >>> round(w.std().item(), 3)  # sqrt(2 / 400)
        0.071
    """
    return _normal_with_std(tensor, _xavier_std(tensor, gain), generator)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot & Bengio (2010), uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Args:
        tensor: a weight with at least 2 dimensions.
        gain: scaling factor, e.g. ``calculate_gain("tanh")``.
        generator: source of randomness.

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: fewer than 2 dimensions.

    Examples:
        >>> w = xavier_uniform_(torch.empty(100, 500))
        >>> bool(w.abs().max() <= 0.1)  # sqrt(6 / 600)
        True
    """
    return _uniform_with_std(tensor, _xavier_std(tensor, gain), generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    """He et al. (2015): N(0, std^2) with std = gain / sqrt(fan); ReLU: std = sqrt(2 / fan_in).

    A ReLU keeps half of the second moment, so ``fan_in * Var(w) * 1/2 = 1`` gives
    ``Var(w) = 2 / fan_in``: the std is *multiplied* by ``sqrt(2 / fan_in)`` (one source
    says divided: it is not). ``mode="fan_out"`` keeps the backward pass's variance.

    Args:
        tensor: a weight with at least 2 dimensions.
        a: negative slope of the rectifier after this layer (used by ``leaky_relu``; the
            default 0 with the default ``"leaky_relu"`` is plain ReLU's gain sqrt(2)).
        mode: ``"fan_in"`` (forward pass) or ``"fan_out"`` (backward pass).
        nonlinearity: the activation's name, see :func:`calculate_gain`.
        generator: source of randomness.

    Returns:
        ``tensor``, filled (a zero-element tensor is returned unchanged, with a warning).

    Raises:
        ValueError: fewer than 2 dimensions, unknown ``mode`` or ``nonlinearity``.

    Examples:
        >>> w = kaiming_normal_(torch.empty(100, 200), nonlinearity="relu",
        ...                     generator=torch.Generator().manual_seed(0))
        >>> round(w.std().item(), 2)  # sqrt(2 / 200)
        0.1
    """
    if _is_empty(tensor):
        return tensor
    return _normal_with_std(tensor, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    """He et al. (2015), uniform: U(-b, b) with b = gain * sqrt(3 / fan); ReLU: sqrt(6 / fan_in).

    For ReLU, ``b = sqrt(6 / fan_in)``. With ``a=math.sqrt(5)`` (gain ``sqrt(1/3)``) this
    is PyTorch's default for ``nn.Linear`` and ``nn.Conv*``: ``b = 1 / sqrt(fan_in)``, a
    variance of ``1 / (3 fan_in)``, a third of LeCun's.

    Args:
        tensor: a weight with at least 2 dimensions.
        a: negative slope of the rectifier after this layer (used by ``leaky_relu``).
        mode: ``"fan_in"`` (forward pass) or ``"fan_out"`` (backward pass).
        nonlinearity: the activation's name, see :func:`calculate_gain`.
        generator: source of randomness.

    Returns:
        ``tensor``, filled (a zero-element tensor is returned unchanged, with a warning).

    Raises:
        ValueError: fewer than 2 dimensions, unknown ``mode`` or ``nonlinearity``.

    Examples:
        >>> w = kaiming_uniform_(torch.empty(100, 600), nonlinearity="relu")
        >>> bool(w.abs().max() <= 0.1)  # sqrt(6 / 600)
        True
    """
    if _is_empty(tensor):
        return tensor
    return _uniform_with_std(tensor, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def _he_normal(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    return kaiming_normal_(weight, nonlinearity="relu", generator=generator)


def _he_uniform(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    return kaiming_uniform_(weight, nonlinearity="relu", generator=generator)


def _torch_default(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    return kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)


SCHEMES: dict[str, WeightFill] = {
    "lecun_normal": lecun_normal_,
    "lecun_uniform": lecun_uniform_,
    "xavier_normal": xavier_normal_,
    "xavier_uniform": xavier_uniform_,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "torch_default": _torch_default,
}
"""Named weight initializers for :func:`init_model`: ``fill(weight, generator=g)``."""

_LAYERS = (
    nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
    nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
)


def _weight_fill(scheme: str | float | WeightFill) -> WeightFill:
    """The function that fills one weight tensor for ``scheme`` (validated here)."""
    if isinstance(scheme, str):
        if scheme not in SCHEMES:
            raise ValueError(
                f"scheme must be a number, a callable or one of {sorted(SCHEMES)}, "
                f"but got {scheme!r}"
            )
        return SCHEMES[scheme]
    if callable(scheme):
        return scheme
    if not isinstance(scheme, numbers.Real) or isinstance(scheme, bool):
        raise ValueError(
            f"scheme must be a number, a callable or one of {sorted(SCHEMES)}, but got {scheme!r}"
        )
    std = float(scheme)
    if not (math.isfinite(std) and std >= 0):
        raise ValueError(f"scheme as a std must be a finite number >= 0, but got {scheme}")

    def fill(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return normal_(weight, 0.0, std, generator)

    return fill


def init_model(
    model: nn.Module,
    scheme: str | float | WeightFill,
    *,
    generator: torch.Generator | None = None,
) -> nn.Module:
    """Initialize every linear and convolutional layer of ``model``; biases become 0.

    Layers are filled in the order of ``model.modules()``, so one ``generator`` seeded
    once gives the same weights every time.

    Args:
        model: any module; its ``nn.Linear``, ``nn.ConvNd`` and ``nn.ConvTransposeNd``
            submodules are changed in place, other parameters (norm layers) are not.
        scheme: a key of :data:`SCHEMES` (``"he_normal"``, ``"xavier_uniform"``, ...); or
            a number, the std of a plain N(0, std^2) as in *Deep
            Learning from Scratch*'s ``weight_init_std`` (``0`` gives all-zero weights);
            or a callable ``fill(weight, generator=None)`` such as
            ``lambda w, generator=None: constant_(w, 0.1)``.
        generator: source of randomness for reproducible weights.

    Returns:
        The same model, for chaining.

    Raises:
        ValueError: unknown scheme name, a std that is negative or not finite, or a lazy
            layer whose weight is not materialized yet.

    Examples:
        >>> net = init_model(nn.Sequential(nn.Linear(784, 100), nn.ReLU()), "he_normal")
        >>> net[0].bias.abs().max().item()
        0.0
    """
    fill = _weight_fill(scheme)
    for layer in model.modules():
        if not isinstance(layer, _LAYERS):
            continue
        if isinstance(layer.weight, nn.parameter.UninitializedParameter):
            raise ValueError(
                f"layer {type(layer).__name__} must be materialized (run one forward pass) "
                "before init_model, but its weight is uninitialized"
            )
        fill(layer.weight, generator=generator)
        if layer.bias is not None:
            zeros_(layer.bias)
    return model
