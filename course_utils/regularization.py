"""Chapter 02, weight decay: penalize large weights so a big network cannot fit the noise.

A network with many parameters and few examples can drive a few weights to large values
and bend its decision boundary around every training point (overfitting). Weight decay
adds a penalty on the size of the weights to the data loss :math:`L(w)`:

- L2 (ridge, Krogh & Hertz, 1992): :math:`\\tilde L = L + \\lambda \\cdot \\tfrac12 \\sum w^2`,
  gradient :math:`\\nabla L + \\lambda w`. One SGD step becomes
  :math:`w \\leftarrow (1 - \\eta\\lambda)\\,w - \\eta \\nabla L`: the weights *decay* by a
  constant factor before the usual step (:func:`decayed_sgd_step`), which is exactly what
  ``torch.optim.SGD(weight_decay=λ)`` does.
- L1 (lasso): :math:`\\tilde L = L + \\lambda \\sum |w|`. Its (sub)gradient
  :math:`\\lambda\\,\\mathrm{sign}(w)` is the same for a tiny weight as for a large one, so
  small weights are pushed all the way to zero. Plain subgradient steps only make them
  oscillate around zero; the proximal step :func:`soft_threshold` (used by
  :class:`ProximalSGD`) sets them to exactly zero.

Biases and normalization parameters are not decayed (:func:`decay_parameter_groups`):
they do not multiply inputs, so they do not make the function steep, and shrinking them
only moves the operating point of a unit. With Adam an L2 term is rescaled per weight by
the adaptive step; AdamW (Loshchilov & Hutter, 2019) decouples the decay from it.

The penalties return a scalar to *multiply by λ and add to the loss*:
``loss + lam * l2_penalty(model)``. Given a model they use its weights only
(:func:`weight_parameters`); given an iterable they use every tensor in it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from course_utils.normalization import is_normalization_module

__all__ = [
    "is_normalization_module",
    "split_decay_parameters",
    "weight_parameters",
    "decay_parameter_groups",
    "l1_penalty",
    "l2_penalty",
    "decayed_sgd_step",
    "soft_threshold",
    "l1_proximal_step_",
    "ProximalSGD",
    "sparsity",
    "weight_norms",
    "global_weight_norm",
    "max_abs_weight",
    "abs_weight_quantile",
    "input_weight_norms",
    "layer_weight_growth",
]

Params = nn.Module | Iterable[Tensor]
GroupOption = Literal["weight_decay", "l1"]

def _check_non_negative(name: str, value: float) -> None:
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"{name} must be non-negative, but got {value}")


def split_decay_parameters(model: nn.Module) -> tuple[list[str], list[str]]:
    """Names of the parameters that weight decay should shrink, and of those it should not.

    A parameter is decayed when it has at least two dimensions (a weight matrix or a
    convolution kernel) and does not belong to a normalization layer. Biases (1-D) and
    the scale/shift of normalization layers (γ, β) are exempt.

    Args:
        model: any module.

    Returns:
        ``(decay, no_decay)``: two lists of names as in ``model.named_parameters()``,
        together covering every trainable parameter exactly once.

    Examples:
        >>> split_decay_parameters(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)))
        (['0.weight'], ['0.bias', '1.weight', '1.bias'])
    """
    decay, no_decay = [], []
    for module_name, module in model.named_modules():
        norm = is_normalization_module(module)
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            full_name = f"{module_name}.{name}" if module_name else name
            (no_decay if norm or param.ndim < 2 else decay).append(full_name)
    return decay, no_decay


def weight_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters weight decay shrinks: see :func:`split_decay_parameters`."""
    decay, _ = split_decay_parameters(model)
    params = dict(model.named_parameters())
    return [params[name] for name in decay]


def decay_parameter_groups(
    model: nn.Module, weight_decay: float, *, option: GroupOption = "weight_decay"
) -> list[dict]:
    """Optimizer parameter groups: weights get ``weight_decay``, biases and norms get 0.

    Pass the result to any ``torch.optim`` optimizer instead of ``model.parameters()``:
    ``torch.optim.AdamW(decay_parameter_groups(model, 0.01), lr=1e-3)``.

    Args:
        model: the network.
        weight_decay: the decay coefficient λ of the weights, ``>= 0``.
        option: the group key that carries it: ``"weight_decay"`` for torch's optimizers,
            ``"l1"`` for :class:`ProximalSGD`.

    Returns:
        ``[{"params": weights, option: weight_decay}, {"params": others, option: 0.0}]``
        (a group with no parameters is left out).

    Raises:
        ValueError: ``weight_decay < 0`` or an unknown ``option``.

    Examples:
        >>> groups = decay_parameter_groups(nn.Linear(3, 2), 0.1)
        >>> [(len(g["params"]), g["weight_decay"]) for g in groups]
        [(1, 0.1), (1, 0.0)]
    """
    if not weight_decay >= 0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    if option not in ("weight_decay", "l1"):
        raise ValueError(f"option must be 'weight_decay' or 'l1', but got {option!r}")
    decay, no_decay = split_decay_parameters(model)
    params = dict(model.named_parameters())
    groups = [
        {"params": [params[n] for n in decay], option: float(weight_decay)},
        {"params": [params[n] for n in no_decay], option: 0.0},
    ]
    return [group for group in groups if group["params"]]


def _tensors(params: Params, name: str) -> Iterator[Tensor]:
    if isinstance(params, nn.Module):
        yield from weight_parameters(params)
        return
    if isinstance(params, Tensor):
        raise ValueError(f"{name} must be a model or an iterable of tensors, but got one tensor; "
                         "wrap it in a list")
    for item in params:
        if not isinstance(item, Tensor):
            raise ValueError(f"{name} must contain tensors, but got {type(item).__name__}")
        yield item


def l2_penalty(params: Params) -> Tensor:
    """Half the squared L2 norm of the weights: :math:`\\tfrac12 \\sum_i w_i^2`.

    Add ``lam * l2_penalty(model)`` to the loss: its gradient is ``lam * w``, so an SGD step
    becomes :math:`w \\leftarrow (1 - \\eta\\lambda) w - \\eta\\nabla L` (Krogh & Hertz, 1992).
    The ½ makes λ here the same number as PyTorch's ``weight_decay=λ``. It is the squared
    norm (no square root), so each weight is punished by its own size and the biggest
    weights most.

    Args:
        params: a model (then only its weights, see :func:`weight_parameters`) or an
            iterable of tensors (then all of them).

    Returns:
        A differentiable 0-dim tensor (0 for no tensors).

    Raises:
        ValueError: ``params`` holds something other than tensors.

    Examples:
        >>> l2_penalty([torch.tensor([3.0, -4.0])])
        tensor(12.5000)
    """
    terms = [(p * p).sum() for p in _tensors(params, "params")]
    return 0.5 * torch.stack(terms).sum() if terms else torch.tensor(0.0)


def l1_penalty(params: Params) -> Tensor:
    """The L1 norm of the weights: :math:`\\sum_i |w_i|`.

    Add ``lam * l1_penalty(model)`` to the loss. Its gradient ``lam * sign(w)`` pulls every
    non-zero weight towards 0 with the same force however small it is (autograd uses
    ``sign(0) = 0`` at the kink), which is why L1 leaves many weights near zero.

    Args:
        params: a model (then only its weights) or an iterable of tensors (all of them).

    Returns:
        A differentiable 0-dim tensor (0 for no tensors).

    Raises:
        ValueError: ``params`` holds something other than tensors.

    Examples:
        >>> l1_penalty([torch.tensor([3.0, -4.0])])
        tensor(7.)
    """
    terms = [p.abs().sum() for p in _tensors(params, "params")]
    return torch.stack(terms).sum() if terms else torch.tensor(0.0)


def decayed_sgd_step(w: Tensor, grad: Tensor, lr: float, weight_decay: float) -> Tensor:
    """One SGD step on :math:`L + \\tfrac{\\lambda}{2}\\|w\\|^2`, written as decay:
    :math:`w' = (1 - \\eta\\lambda)\\,w - \\eta\\,\\nabla L(w)`.

    Args:
        w: the weights; grad: the gradient of the data loss at ``w``.
        lr: the learning rate η > 0; weight_decay: λ >= 0.

    Returns:
        The new weights (a new tensor; ``w`` is unchanged).

    Raises:
        ValueError: ``lr <= 0``, ``weight_decay < 0`` or mismatched shapes.
    """
    if not lr > 0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not weight_decay >= 0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    if w.shape != grad.shape:
        raise ValueError(f"w and grad must have the same shape, but got {tuple(w.shape)} "
                         f"and {tuple(grad.shape)}")
    return (1 - lr * weight_decay) * w - lr * grad


def soft_threshold(w: Tensor, threshold: float) -> Tensor:
    """The proximal operator of :math:`t\\,|w|`: shrink towards 0 by t, stop at 0.

    .. math::
        \\operatorname{prox}_{t|\\cdot|}(w) = \\arg\\min_u \\tfrac12 (u - w)^2 + t|u|
        = \\operatorname{sign}(w)\\,\\max(|w| - t,\\ 0)

    Entries with :math:`|w| \\le t` become exactly 0; the others move t closer to 0.
    (The same function as ``torch.nn.functional.softshrink``.)

    Args:
        w: any tensor.
        threshold: t >= 0 (after an SGD step with learning rate η on an L1 penalty λ,
            t = ηλ).

    Returns:
        A new tensor of ``w``'s shape.

    Raises:
        ValueError: ``threshold < 0``.

    Examples:
        >>> soft_threshold(torch.tensor([-2.0, 0.3, 1.5]), 1.0)
        tensor([-1.0000,  0.0000,  0.5000])
    """
    _check_non_negative("threshold", threshold)
    return torch.sign(w) * torch.clamp(w.abs() - threshold, min=0.0)


@torch.no_grad()
def l1_proximal_step_(params: Params, threshold: float) -> None:
    """Soft-threshold the weights in place: the L1 part of a proximal gradient step.

    Proximal gradient descent (ISTA) on :math:`L + \\lambda\\sum|w|` alternates a gradient
    step on :math:`L` alone with ``w = soft_threshold(w, lr * lam)``.

    Args:
        params: a model (its weights only) or an iterable of tensors.
        threshold: t = ηλ >= 0.

    Raises:
        ValueError: ``threshold < 0``.
    """
    _check_non_negative("threshold", threshold)
    for p in _tensors(params, "params"):
        p.copy_(soft_threshold(p, threshold))


class ProximalSGD(torch.optim.SGD):
    """SGD followed by an L1 proximal step: ``w = soft_threshold(w - lr * grad, lr * l1)``.

    A drop-in for ``torch.optim.SGD`` with one more option, ``l1`` (λ of the penalty
    λΣ|w|), per parameter group like ``weight_decay``. Unlike adding
    ``l1 * l1_penalty(model)`` to the loss (a subgradient method, whose weights hop around
    zero), this sets small weights to exactly 0 (sparse weights).

    Args:
        params: parameters or parameter groups (e.g.
            ``decay_parameter_groups(model, lam, option="l1")`` to spare biases).
        lr: learning rate.
        l1: default L1 coefficient of a group, >= 0.
        **kwargs: any other ``torch.optim.SGD`` option (momentum, weight_decay, ...).

    Raises:
        ValueError: ``l1 < 0`` (and whatever ``torch.optim.SGD`` rejects).

    Examples:
        >>> w = nn.Parameter(torch.tensor([0.05, -1.0]))
        >>> opt = ProximalSGD([w], lr=0.1, l1=1.0)
        >>> w.grad = torch.zeros(2)
        >>> _ = opt.step()
        >>> w.data
        tensor([ 0.0000, -0.9000])
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, *, l1: float = 0.0, **kwargs):
        if not l1 >= 0:
            raise ValueError(f"Invalid l1 value: {l1}")
        self._default_l1 = float(l1)
        super().__init__(params, lr=lr, **kwargs)
        self.defaults["l1"] = self._default_l1

    def add_param_group(self, param_group: dict) -> None:
        """Add a group, giving it the default ``l1`` unless it sets its own."""
        param_group.setdefault("l1", self._default_l1)
        if not param_group["l1"] >= 0:
            raise ValueError(f"Invalid l1 value: {param_group['l1']}")
        super().add_param_group(param_group)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One SGD step, then soft-thresholding by ``lr * l1`` in every group."""
        loss = super().step(closure)
        for group in self.param_groups:
            if group["l1"] > 0:
                l1_proximal_step_(group["params"], group["lr"] * group["l1"])
        return loss


def sparsity(params: Params, tol: float = 1e-3) -> float:
    """Fraction of weight entries with :math:`|w| \\le` ``tol``.

    Args:
        params: a model (its weights only) or an iterable of tensors.
        tol: magnitude threshold >= 0; ``tol=0`` counts exact zeros.

    Returns:
        A float in [0, 1] (0 for no entries).

    Raises:
        ValueError: ``tol < 0``.

    Examples:
        >>> sparsity([torch.tensor([0.0, 1e-4, 0.5, -2.0])], tol=1e-3)
        0.5
    """
    _check_non_negative("tol", tol)
    small = total = 0
    for p in _tensors(params, "params"):
        small += int((p.detach().abs() <= tol).sum())
        total += p.numel()
    return small / total if total else 0.0


def weight_norms(model: nn.Module) -> dict[str, float]:
    """The Frobenius norm :math:`\\|W\\|_F = \\sqrt{\\sum w^2}` of each weight tensor.

    Returns:
        ``{parameter name: norm}`` for the decayed parameters of :func:`weight_parameters`.
    """
    decay, _ = split_decay_parameters(model)
    params = dict(model.named_parameters())
    return {name: params[name].detach().norm().item() for name in decay}


def global_weight_norm(params: Params) -> float:
    """:math:`\\sqrt{\\sum w^2}` over all weights (``sqrt(2 * l2_penalty(params))``)."""
    return math.sqrt(2 * l2_penalty(params).item())


def max_abs_weight(params: Params) -> float:
    """The largest :math:`|w|` among the weights (0 for no entries)."""
    maxima = [p.detach().abs().max().item() for p in _tensors(params, "params") if p.numel()]
    return max(maxima, default=0.0)


def abs_weight_quantile(params: Params, q: float) -> float:
    """The ``q``-quantile of :math:`|w|` over all weights (``q=1`` is :func:`max_abs_weight`,
    ``q=0.999`` the magnitude that only 0.1 % of the weights exceed; 0 for no entries).

    Raises:
        ValueError: ``q`` is not in [0, 1].

    Examples:
        >>> abs_weight_quantile([torch.tensor([0.0, -1.0, 2.0, 3.0, -4.0])], 0.5)
        2.0
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must be in [0, 1], but got {q}")
    flat = [p.detach().abs().flatten().double() for p in _tensors(params, "params") if p.numel()]
    if not flat:
        return 0.0
    return float(np.quantile(torch.cat(flat).numpy(), q))


def input_weight_norms(model: nn.Module) -> Tensor:
    """How much each input feature is used: the L2 norm of its column in the first weight.

    For an MLP on flattened 28x28 images, ``input_weight_norms(model).reshape(28, 28)`` is
    a map of the pixels the first layer reads; a column of zeros means the pixel is
    ignored (what L1 does to the border pixels).

    Returns:
        A ``(in_features,)`` tensor: :math:`\\|W_{:,j}\\|_2` for each input j of the first
        ``nn.Linear``.

    Raises:
        ValueError: the model has no ``nn.Linear`` layer.
    """
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError(f"model must contain an nn.Linear layer, but got {type(model).__name__}")
    return first.weight.detach().norm(dim=0)


def layer_weight_growth(model: nn.Module, start: nn.Module) -> list[dict[str, float]]:
    """How far each ``nn.Linear`` weight matrix of ``model`` has moved from ``start``.

    A total norm hides *where* weights grew; this compares, layer by layer, a trained
    model with the same architecture at its initialization (e.g. the ``mlp`` rebuilt from
    the same generator seed).

    Args:
        model: the trained model.
        start: the same architecture before training.

    Returns:
        One dict per ``nn.Linear`` layer, in order, with ``norm_ratio``
        (:math:`\\|W\\|_2 / \\|W_0\\|_2`), ``max_start`` and ``max_end`` (largest
        :math:`|w|`), ``share_above`` (fraction of entries with :math:`|w|` above the
        layer's initial maximum) and ``n`` (entries in the layer).

    Raises:
        ValueError: ``model`` and ``start`` do not have the same linear-layer shapes.

    Examples:
        >>> start = nn.Linear(2, 2, bias=False)
        >>> model = nn.Linear(2, 2, bias=False)
        >>> with torch.no_grad():
        ...     _ = start.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        ...     _ = model.weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))
        >>> layer_weight_growth(model, start)[0]["share_above"]
        0.25
    """
    now = [m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)]
    then = [m.weight.detach() for m in start.modules() if isinstance(m, nn.Linear)]
    shapes_now, shapes_then = [tuple(w.shape) for w in now], [tuple(w.shape) for w in then]
    if shapes_now != shapes_then:
        raise ValueError(f"model and start must have the same linear layers, but got shapes "
                         f"{shapes_now} and {shapes_then}")
    rows = []
    for w, w0 in zip(now, then, strict=True):
        top = w0.abs().max().item()
        rows.append({"norm_ratio": (w.norm() / w0.norm()).item(), "max_start": top,
                     "max_end": w.abs().max().item(),
                     "share_above": (w.abs() > top).float().mean().item(), "n": float(w.numel())})
    return rows
