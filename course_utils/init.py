"""Chapter 01: weight initialization, written from the variance formulas.

Every initializer mirrors ``torch.nn.init``: it fills the tensor in place under
``torch.no_grad()``, returns the same tensor, and takes ``generator=`` for reproducible
draws. The scales come from one argument, repeated for each scheme: a layer's output is a
sum of ``fan_in`` products, so its variance is ``fan_in * Var(w) * E[x^2]``; keeping it
constant through depth fixes ``Var(w)``.

=================  ==========================  ==================================
scheme             Var(w)                      uniform bound a (Var = a^2 / 3)
=================  ==========================  ==================================
LeCun (1998)       1 / fan_in                  sqrt(3 / fan_in)
Xavier (2010)      gain^2 * 2 / (fan_in+out)   gain * sqrt(6 / (fan_in + fan_out))
He/Kaiming (2015)  gain^2 / fan                gain * sqrt(3 / fan); relu: sqrt(6 / fan)
=================  ==========================  ==================================

``init_model`` applies a named scheme to every linear and convolutional layer of a model
and sets the biases to zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor, nn

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
_LINEAR_LIKE = {
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
}


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight tensor, as ``torch.nn.init`` computes them.

    A linear weight has shape ``(out_features, in_features)``; a convolution weight
    ``(out_channels, in_channels, *kernel)``. Each input unit feeds ``fan_out`` outputs and
    each output sums ``fan_in`` inputs, both scaled by the kernel's receptive field.

    Raises:
        ValueError: the tensor has fewer than 2 dimensions.

    Examples:
        >>> fan_in_and_fan_out(torch.empty(10, 3, 5, 5))
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
    """The factor by which an activation shrinks the signal's scale, inverted.

    ``relu`` zeroes half its inputs, halving ``E[x^2]``; the gain ``sqrt(2)`` restores it.
    Values equal ``torch.nn.init.calculate_gain``: 1 for linear, conv and sigmoid, 5/3 for
    tanh, sqrt(2) for relu, ``sqrt(2 / (1 + slope^2))`` for leaky_relu (slope ``param``,
    default 0.01), 3/4 for selu.

    Raises:
        ValueError: unknown nonlinearity or a non-numeric ``param``.
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
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 in place and return the tensor (biases; never all weights, see I2)."""
    with torch.no_grad():
        return tensor.zero_()


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val`` in place and return the tensor."""
    with torch.no_grad():
        return tensor.fill_(val)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Fill with draws from N(mean, std^2) in place and return the tensor.

    Raises:
        ValueError: ``std < 0``.
    """
    if std < 0:
        raise ValueError(f"std must be non-negative, but got {std}")
    with torch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Fill with draws from U(a, b) in place and return the tensor.

    Raises:
        ValueError: ``a > b``.
    """
    if a > b:
        raise ValueError(f"uniform_ expects a <= b, but got a={a}, b={b}")
    with torch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _normal_with_std(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    return normal_(tensor, 0.0, std, generator)


def _uniform_with_std(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    bound = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3
    return uniform_(tensor, -bound, bound, generator)


def lecun_normal_(tensor: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """LeCun et al. (1998): N(0, 1 / fan_in). Keeps the forward variance for linear units.

    This is the scale *Deep Learning from Scratch* calls "Xavier"; Xavier uses both fans.
    """
    fan_in, _ = fan_in_and_fan_out(tensor)
    return _normal_with_std(tensor, 1.0 / math.sqrt(fan_in), generator)


def lecun_uniform_(tensor: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """LeCun et al. (1998), uniform form: U(-a, a) with a = sqrt(3 / fan_in)."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return _uniform_with_std(tensor, 1.0 / math.sqrt(fan_in), generator)


def _xavier_std(tensor: Tensor, gain: float) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot & Bengio (2010): N(0, gain^2 * 2 / (fan_in + fan_out)).

    The forward pass wants Var(w) = 1/fan_in, the backward pass 1/fan_out; Xavier takes
    the harmonic compromise 2 / (fan_in + fan_out).
    """
    return _normal_with_std(tensor, _xavier_std(tensor, gain), generator)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> Tensor:
    """Glorot & Bengio (2010), uniform form: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    return _uniform_with_std(tensor, _xavier_std(tensor, gain), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan = _fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)  # type: ignore[arg-type]


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    """He et al. (2015): N(0, gain^2 / fan); for ReLU, std = sqrt(2 / fan_in).

    The std is *multiplied* by sqrt(2 / fan_in) (one source says divided: it is not).
    ``a`` is the leaky-ReLU slope (0 gives plain ReLU's gain sqrt(2)); ``mode="fan_out"``
    keeps the backward pass's variance instead of the forward pass's.

    Raises:
        ValueError: unknown ``mode`` or ``nonlinearity``, or fewer than 2 dimensions.
    """
    return _normal_with_std(tensor, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    generator: torch.Generator | None = None,
) -> Tensor:
    """He et al. (2015), uniform form: U(-b, b), b = gain * sqrt(3 / fan).

    With ``a=math.sqrt(5)`` this is PyTorch's default for ``nn.Linear``: b = 1/sqrt(fan_in).
    """
    return _uniform_with_std(tensor, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def _torch_default(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    return kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)


SCHEMES: dict[str, Callable[..., Tensor]] = {
    "lecun_normal": lecun_normal_,
    "lecun_uniform": lecun_uniform_,
    "xavier_normal": xavier_normal_,
    "xavier_uniform": xavier_uniform_,
    "he_normal": lambda w, generator=None: kaiming_normal_(
        w, nonlinearity="relu", generator=generator
    ),
    "he_uniform": lambda w, generator=None: kaiming_uniform_(
        w, nonlinearity="relu", generator=generator
    ),
    "torch_default": _torch_default,
}
"""Named weight initializers for :func:`init_model` (each takes ``(weight, generator)``)."""

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def init_model(
    model: nn.Module,
    scheme: str | float,
    *,
    generator: torch.Generator | None = None,
) -> nn.Module:
    """Initialize every linear and convolutional layer of ``model``; biases become 0.

    Args:
        model: any module; its ``nn.Linear`` and ``nn.ConvNd`` submodules are changed.
        scheme: a key of :data:`SCHEMES` (``"he_normal"``, ``"xavier_uniform"``, ...), or a
            number: the std of a plain N(0, std^2), as in *Deep Learning from Scratch*'s
            ``weight_init_std``; ``0`` gives all-zero weights (the symmetry experiment).
        generator: source of randomness for reproducible weights.

    Returns:
        The same model, for chaining.

    Raises:
        ValueError: unknown scheme name or negative std.
    """
    if isinstance(scheme, str):
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be a number or one of {sorted(SCHEMES)}, but got {scheme!r}")
        fill = SCHEMES[scheme]
    elif scheme < 0:
        raise ValueError(f"scheme as a std must be non-negative, but got {scheme}")
    else:
        def fill(w: Tensor, generator: torch.Generator | None = None) -> Tensor:
            return normal_(w, 0.0, float(scheme), generator)
    for layer in model.modules():
        if isinstance(layer, _LAYERS):
            fill(layer.weight, generator=generator)
            if layer.bias is not None:
                zeros_(layer.bias)
    return model
