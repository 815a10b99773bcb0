"""Chapter 04, dropout: zero hidden units at random while training, keep them all at test time.

During training each unit's output :math:`h` is multiplied by an independent keep mask
:math:`m \\sim \\mathrm{Bernoulli}(1 - p)`, a fresh mask for every forward pass, so every
step trains a different "thinned" network (Hinton et al., 2012; Srivastava et al., 2014).
At test time every unit is kept, and the expected activation must match the one seen in
training. There are two ways to arrange that:

- ``mode="vanilla"`` (the original paper): train with :math:`m \\odot h`, test with
  :math:`(1 - p)\\,h`;
- ``mode="inverted"`` (what PyTorch, TensorFlow and JAX do): train with
  :math:`m \\odot h / (1 - p)`, test with :math:`h` unchanged.

Both have :math:`\\mathbb{E}[\\text{train output}] = \\text{test output}`; the inverted form
keeps inference free of any dropout code. :func:`dropout_mask` draws the mask,
:func:`dropout` applies it, :class:`Dropout` is a drop-in for ``torch.nn.Dropout``;
:func:`mc_dropout_predict` averages many masked passes (the ensemble view, Gal &
Ghahramani, 2016) and :func:`unit_ablation_drops` / :func:`mean_abs_correlation` measure
co-adaptation.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.normalization import is_normalization_module

__all__ = [
    "DropoutMode",
    "Dropout",
    "dropout",
    "dropout_mask",
    "mc_dropout_predict",
    "hidden_activations",
    "mean_abs_correlation",
    "unit_ablation_drops",
]

DropoutMode = Literal["inverted", "vanilla"]
MODES: tuple[str, ...] = ("inverted", "vanilla")


def _check_p(p: float) -> None:
    # torch.nn.Dropout's wording, so a learner's error message is the one they will meet later
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, but got {mode!r}")


def dropout_mask(x: Tensor, p: float, *, generator: torch.Generator | None = None) -> Tensor:
    """The keep mask: True where a unit survives, each independently with probability 1 - p.

    .. math:: m_i = [u_i \\ge p], \\quad u_i \\sim \\mathcal{U}[0, 1) \\;\\Rightarrow\\;
              P(m_i = 1) = 1 - p

    Args:
        x: the activations; the mask has its shape and device.
        p: drop probability in [0, 1] (``p = 0`` keeps all, ``p = 1`` drops all).
        generator: source of randomness; None uses torch's global generator via
            ``torch.rand_like`` (which also works under ``torch.func.vmap`` with
            ``randomness="different"``).

    Returns:
        A bool tensor shaped like ``x``.

    Raises:
        ValueError: ``p`` outside [0, 1].

    Examples:
        >>> g = torch.Generator().manual_seed(0)
        >>> dropout_mask(torch.ones(2, 4), 0.5, generator=g).shape
        torch.Size([2, 4])
    """
    _check_p(p)
    if generator is None:
        uniform = torch.rand_like(x)
    else:
        uniform = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return uniform >= p


def _train_scale(p: float, mode: str) -> float:
    """Factor applied to the kept units while training: 1/(1 - p) inverted, 1 vanilla."""
    if mode == "vanilla":
        return 1.0
    return 0.0 if p == 1.0 else 1.0 / (1.0 - p)


def dropout(
    x: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    mode: DropoutMode = "inverted",
    generator: torch.Generator | None = None,
) -> Tensor:
    """Functional dropout, argument for argument like ``torch.nn.functional.dropout``.

    .. math::
        \\text{inverted: } y = \\begin{cases} \\frac{m \\odot x}{1 - p} & \\text{training} \\\\
                                    x & \\text{evaluation} \\end{cases}
        \\qquad
        \\text{vanilla: } y = \\begin{cases} m \\odot x & \\text{training} \\\\
                                  (1 - p)\\,x & \\text{evaluation} \\end{cases}

    with :math:`m \\sim \\mathrm{Bernoulli}(1 - p)` drawn anew on every call. In both modes
    :math:`\\mathbb{E}_m[y_{\\text{train}}] = y_{\\text{eval}}`. The backward pass reuses
    the mask, :math:`\\partial y / \\partial x = m / (1 - p)` (inverted): dropped units
    pass no gradient.

    Args:
        x: input of any shape.
        p: probability of zeroing each element (the *drop* probability).
        training: apply the random mask (True) or the evaluation rule (False).
        inplace: overwrite ``x`` instead of allocating the output.
        mode: ``"inverted"`` (PyTorch's convention) or ``"vanilla"`` (Srivastava et al.).
        generator: source of randomness for the mask (None: the global generator).

    Returns:
        A tensor shaped like ``x``; in evaluation mode with ``mode="inverted"``, ``x``
        itself, as in PyTorch.

    Raises:
        ValueError: ``p`` outside [0, 1] or an unknown ``mode``.

    Note:
        PyTorch implements the inverted form, so ``nn.Dropout`` is the identity in
        ``model.eval()`` and scales survivors by ``1/(1 - p)`` in ``model.train()``.
        With ``p = 1`` every unit is dropped and the output is zero (not ``0/0``).

    Examples:
        >>> g = torch.Generator().manual_seed(0)
        >>> y = dropout(torch.ones(8), 0.5, generator=g)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> dropout(torch.ones(3), 0.5, training=False, mode="vanilla")
        tensor([0.5000, 0.5000, 0.5000])
    """
    _check_p(p)
    _check_mode(mode)
    if not training:
        if mode == "inverted":
            return x
        return x.mul_(1.0 - p) if inplace else x * (1.0 - p)
    keep = dropout_mask(x, p, generator=generator).to(x.dtype)
    multiplier = keep * _train_scale(p, mode)
    return x.mul_(multiplier) if inplace else x * multiplier


class Dropout(nn.Module):
    """Drop-in for ``torch.nn.Dropout`` with a choice of scaling rule.

    In ``model.train()`` each element is zeroed with probability ``p`` (a new mask from
    ``torch.rand_like`` on every call, on the input's device and dtype); in
    ``model.eval()`` nothing is dropped. See :func:`dropout` for the maths.

    Args:
        p: drop probability, default 0.5.
        inplace: do the operation in place.
        mode: ``"inverted"`` (default, identical to ``nn.Dropout``: survivors scaled by
            ``1/(1 - p)`` in training) or ``"vanilla"`` (no scaling in training, outputs
            multiplied by ``1 - p`` in evaluation).

    Raises:
        ValueError: ``p`` outside [0, 1] (torch's message) or an unknown ``mode``.

    Examples:
        >>> Dropout(0.2)
        Dropout(p=0.2, inplace=False)
        >>> Dropout(0.5, mode="vanilla")
        Dropout(p=0.5, inplace=False, mode='vanilla')
    """

    __constants__ = ["p", "inplace", "mode"]

    def __init__(self, p: float = 0.5, inplace: bool = False, *, mode: DropoutMode = "inverted"):
        super().__init__()
        _check_p(p)
        _check_mode(mode)
        self.p = p
        self.inplace = inplace
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace, mode=self.mode)

    def extra_repr(self) -> str:
        text = f"p={self.p}, inplace={self.inplace}"
        return text if self.mode == "inverted" else f"{text}, mode={self.mode!r}"


# ---------------------------------------------------------------------------------------
# The ensemble view and co-adaptation: measurements on a trained network
# ---------------------------------------------------------------------------------------


def _dropout_modules(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (nn.Dropout, Dropout))]


@torch.no_grad()
def mc_dropout_predict(model: nn.Module, x: Tensor, n_samples: int) -> Tensor:
    """Monte-Carlo dropout: average the softmax of ``n_samples`` passes with fresh masks.

    .. math:: \\hat p(y \\mid x) = \\frac{1}{K} \\sum_{k=1}^{K}
              \\mathrm{softmax}\\big(f(x; m^{(k)})\\big)

    Each pass samples one thinned network, so this is an explicit average over an
    ensemble of ``K`` of them (Gal & Ghahramani, 2016). The single pass in evaluation mode
    is the cheap approximation of the same average that dropout normally relies on.
    Only the dropout layers are put in training mode (batch norm, if any, stays in
    evaluation mode); every module's mode is restored afterwards.

    Args:
        model: a classifier returning logits, with dropout layers.
        x: inputs.
        n_samples: number of masks ``K`` (at least 1).

    Returns:
        ``(n_samples, len(x), n_classes)`` probabilities: row ``k`` is pass ``k``, so
        ``out[:K].mean(0)`` is the average over the first ``K`` masks.

    Raises:
        ValueError: ``n_samples < 1`` or ``model`` has no dropout layer.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, but got {n_samples}")
    layers = _dropout_modules(model)
    if not layers:
        raise ValueError("model must contain a Dropout layer for Monte-Carlo dropout, but has none")
    modes = {m: m.training for m in model.modules()}
    model.eval()
    for layer in layers:
        layer.train()
    try:
        return torch.stack([F.softmax(model(x), dim=1) for _ in range(n_samples)])
    finally:
        for module, was_training in modes.items():
            module.training = was_training


def _activation_index(model: nn.Sequential, layer: int) -> int:
    """Position in ``model`` of its ``layer``-th hidden activation function."""
    skip = (nn.Linear, nn.Dropout, Dropout)
    found = [i for i, module in enumerate(model)
             if not (isinstance(module, skip) or is_normalization_module(module))]
    if not -len(found) <= layer < len(found):
        raise ValueError(f"layer must be in [-{len(found)}, {len(found)}), but got {layer}")
    return found[layer]


@torch.no_grad()
def hidden_activations(model: nn.Sequential, x: Tensor, *, layer: int = -1) -> Tensor:
    """The activations after the ``layer``-th activation function of an ``mlp``, in eval mode.

    Args:
        model: an ``nn.Sequential`` built by :func:`course_utils.models.mlp`.
        x: inputs.
        layer: which hidden activation (0 = first, -1 = last).

    Returns:
        ``(len(x), width)`` activations of that hidden layer.

    Raises:
        ValueError: ``layer`` does not name a hidden activation of ``model``.
    """
    cut = _activation_index(model, layer)
    was_training = model.training
    model.eval()
    try:
        return model[: cut + 1](x)
    finally:
        model.train(was_training)


def mean_abs_correlation(activations: Tensor, *, eps: float = 1e-8) -> float:
    """Mean absolute Pearson correlation between distinct units (columns).

    .. math:: \\bar\\rho = \\frac{1}{u(u-1)} \\sum_{i \\ne j} |\\rho_{ij}|

    over the ``u`` units that are active on at least one input (dead units have no
    correlation). High values mean units fire together: a sign of co-adaptation.

    Args:
        activations: ``(n_samples, n_units)``.
        eps: units whose standard deviation is at most ``eps`` count as dead.

    Returns:
        The mean |correlation| over pairs of live units (0.0 if fewer than two live).

    Raises:
        ValueError: ``activations`` is not 2-D with at least two rows.
    """
    if activations.dim() != 2 or len(activations) < 2:
        raise ValueError(f"activations must be 2-D with at least 2 rows, but got shape "
                         f"{tuple(activations.shape)}")
    live = activations[:, activations.std(dim=0) > eps].double()
    units = live.shape[1]
    if units < 2:
        return 0.0
    corr = torch.corrcoef(live.T)
    return ((corr.abs().sum() - units) / (units * (units - 1))).item()


@torch.no_grad()
def unit_ablation_drops(model: nn.Sequential, x: Tensor, y: Tensor, *, layer: int = -1) -> Tensor:
    """Accuracy lost when each unit of one hidden layer is removed alone (in eval mode).

    Unit ``j`` is removed by zeroing its activation (as a dropout mask would). A network
    whose units co-adapt relies on a few of them: removing one of those costs a lot,
    so the drops spread widely; dropout trains every unit to be useful without the others.

    Zeroing ``h_j`` removes exactly ``W[:, j] h_j`` from the output of the next linear
    layer, so that output is computed once and corrected per unit (the dropout layers in
    between are element-wise in eval mode); only the layers after it run once per unit.

    Args:
        model: an ``nn.Sequential`` built by :func:`course_utils.models.mlp`.
        x, y: evaluation data.
        layer: which hidden activation (0 = first, -1 = last).

    Returns:
        ``(width,)`` accuracy drops, ``base accuracy - accuracy without unit j``.

    Raises:
        ValueError: ``layer`` is not a hidden activation of ``model``, or no linear layer
            follows it.
    """
    cut = _activation_index(model, layer)
    was_training = model.training
    model.eval()
    try:
        head, tail = model[: cut + 1], model[cut + 1 :]
        linears = [i for i, module in enumerate(tail) if isinstance(module, nn.Linear)]
        if not linears:
            raise ValueError(f"layer {layer} is followed by no linear layer in the model")
        first = linears[0]
        between, linear, after = tail[:first], tail[first], tail[first + 1 :]
        hidden = head(x)
        base = (tail(hidden).argmax(1) == y).float().mean()
        if all(isinstance(module, (nn.Dropout, Dropout)) for module in between):
            h = between(hidden)  # eval-mode dropout: the identity, or vanilla's (1 - p) factor
            z = linear(h)  # (n, out)
            # row block j: the linear layer's output without unit j's contribution
            ablated = z.unsqueeze(0) - h.t().unsqueeze(2) * linear.weight.t().unsqueeze(1)
            logits = after(ablated)
        else:  # anything else between: zero the unit and run the whole tail per unit
            width = hidden.shape[1]
            ablated = hidden.unsqueeze(0).repeat(width, 1, 1)
            ablated[torch.arange(width), :, torch.arange(width)] = 0.0
            logits = tail(ablated)
        accuracy = (logits.argmax(-1) == y).float().mean(dim=1)
    finally:
        model.train(was_training)
    return base - accuracy
