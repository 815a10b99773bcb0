"""The multilayer perceptrons every chapter trains.

``mlp([784, 100, 100, 10])`` builds ``Linear -> [norm] -> activation -> [dropout]`` blocks
for each hidden layer and a final ``Linear`` that outputs logits. The options are the
chapters' hooks: ``init`` (chapter 01), ``dropout`` (04), ``norm`` (05).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import nn

from course_utils.init import init_model

__all__ = ["ACTIVATIONS", "mlp"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}

NormFactory = Callable[[int], nn.Module]
_NORMS: dict[str, NormFactory] = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


def _norm_factory(norm: Literal["batch", "layer"] | NormFactory | None) -> NormFactory | None:
    if norm is None or callable(norm):
        return norm
    if norm not in _NORMS:
        raise ValueError(f"norm must be None, 'batch', 'layer' or a callable, but got {norm!r}")
    return _NORMS[norm]


def _check_mlp_args(sizes: Sequence[int], activation: str, dropout: float) -> None:
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive integers, but got {list(sizes)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, but got {activation!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout probability has to be in [0, 1), but got {dropout}")


def mlp(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    norm: Literal["batch", "layer"] | NormFactory | None = None,
    dropout: float = 0.0,
    init: str | float | None = None,
    bias: bool | Literal["except_before_batch_norm"] = True,
    norm_position: Literal["before", "after"] = "before",
    dropout_layer: Callable[[float], nn.Module] = nn.Dropout,
    generator: torch.Generator | None = None,
) -> nn.Sequential:
    """A fully connected network: ``sizes = [inputs, hidden..., outputs]``.

    Args:
        sizes: layer widths, e.g. ``[784, 100, 100, 10]``.
        activation: a key of :data:`ACTIVATIONS`, used after every hidden layer.
        norm: ``"batch"`` (``nn.BatchNorm1d``), ``"layer"`` (``nn.LayerNorm``), a callable
            ``width -> module`` (e.g. ``course_utils.normalization.BatchNorm1d``) or None.
        dropout: drop probability after each hidden activation (0 adds no layer).
        init: weight scheme for :func:`course_utils.init.init_model` (a name such as
            ``"he_normal"`` or a std such as ``0.01``); None keeps PyTorch's default.
        bias: whether the linear layers have biases; ``"except_before_batch_norm"`` drops
            the bias of every linear layer whose output goes straight into a batch-norm
            layer (``norm_position="before"``): BN subtracts the batch mean, which cancels
            such a bias (its gradient is 0), and BN's shift β takes its role. The other
            layers keep theirs: the output layer, and layers before a layer norm (which
            subtracts each sample's mean over the features, so only the bias's average
            cancels).
        norm_position: normalize the pre-activation (``"before"``, as the BN paper does) or
            the activation's output (``"after"``).
        dropout_layer: factory for the dropout module (``course_utils.dropout.Dropout``).
        generator: randomness for ``init``. With ``init`` given, building the network
            leaves torch's global generator as it was; with None, PyTorch's default
            initialization draws from it.

    Returns:
        An ``nn.Sequential`` whose output is the logits.

    Raises:
        ValueError: bad sizes, activation, norm, dropout, norm_position or init.

    Examples:
        >>> mlp([784, 100, 10], init="he_normal")
        Sequential(
          (0): Linear(in_features=784, out_features=100, bias=True)
          (1): ReLU()
          (2): Linear(in_features=100, out_features=10, bias=True)
        )
    """
    _check_mlp_args(sizes, activation, dropout)
    if norm_position not in ("before", "after"):
        raise ValueError(f"norm_position must be 'before' or 'after', but got {norm_position!r}")
    if isinstance(bias, str) and bias != "except_before_batch_norm":
        raise ValueError(f"bias must be True, False or 'except_before_batch_norm', but got {bias!r}")
    make_norm = _norm_factory(norm)
    if init is None:  # PyTorch's default initialization draws from the global generator
        return _build_mlp(sizes, activation, make_norm, dropout, bias, norm_position, dropout_layer)
    # the default draws are overwritten: make them in a fork, leaving the global state as it was
    with torch.random.fork_rng(devices=[]):
        model = _build_mlp(sizes, activation, make_norm, dropout, bias, norm_position,
                           dropout_layer)
    init_model(model, init, generator=generator)
    return model


def _build_mlp(
    sizes: Sequence[int], activation: str, make_norm: NormFactory | None, dropout: float,
    bias: bool | str, norm_position: str, dropout_layer: Callable[[float], nn.Module],
) -> nn.Sequential:
    from course_utils.normalization import is_batch_norm  # it imports this module

    layers: list[nn.Module] = []
    for width_in, width_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        norm_layer = None
        if isinstance(bias, str):  # "except_before_batch_norm": the norm layer decides
            norm_layer = make_norm(width_out) if make_norm is not None else None
            has_bias = not (norm_position == "before" and norm_layer is not None
                            and is_batch_norm(norm_layer))
        else:
            has_bias = bool(bias)
        layers.append(nn.Linear(width_in, width_out, bias=has_bias))
        block = [ACTIVATIONS[activation]()]
        if make_norm is not None:
            norm_layer = make_norm(width_out) if norm_layer is None else norm_layer
            block.insert(0 if norm_position == "before" else 1, norm_layer)
        layers.extend(block)
        if dropout > 0:
            layers.append(dropout_layer(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1], bias=isinstance(bias, str) or bool(bias)))
    return nn.Sequential(*layers)
