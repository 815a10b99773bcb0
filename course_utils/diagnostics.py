"""Chapters 01 and 05: look inside a network, layer by layer, with forward/backward hooks.

Initialization (chapter 01) and normalization (chapter 05) are judged by what flows through
the layers: a healthy network keeps every layer's activations spread out, its sigmoid and
tanh units away from their flat tails, its ReLU units alive, and its gradients neither
vanishing nor exploding on the way back. :class:`LayerMonitor` registers a forward hook on
every child of an ``nn.Sequential`` (and a gradient hook on each output) and turns one
forward/backward pass into a list of :class:`LayerStats`:

* ``mean``, ``std``: of the layer's output over the batch and all units (the *pooled* std);
* ``unit_std``: each unit's std over the batch, averaged over the units. A unit whose output
  is nearly the same for every input carries no information even when the units differ
  from each other and the pooled std looks healthy (chapter 01's sigmoid collapse);
* ``saturated``: fraction of sigmoid/tanh outputs in the tails, where the derivative is
  below ``1 - t^2`` of its maximum (``|tanh| > t``, or ``|2 sigmoid - 1| > t``, ``t=0.97``);
* ``dead``: fraction of ReLU units that output 0 for every sample of the batch;
* ``grad_std``: std of the loss gradient with respect to the layer's output;
* ``grad_data``: ``std(W.grad) / std(W)`` for layers with a weight: the relative size of
  a gradient step before the learning rate (an SGD step changes ``W`` by ``lr`` times it).

:func:`probe` runs the pass for you; :func:`probe_stack` builds the classic experiment
(a deep stack of equal-width layers fed with N(0, 1) inputs, Glorot & Bengio 2010, and
*Deep Learning from Scratch* 6.2), optionally with biases and with the zero-mean control
:class:`CenteredSigmoid`; :func:`distinct_units` counts hidden units that are
still different (the symmetry problem); :func:`update_ratios` measures how far one
optimizer step moved each weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from course_utils.init import WeightFill, init_model, uniform_

__all__ = [
    "LayerStats",
    "LayerMonitor",
    "CenteredSigmoid",
    "saturation_fraction",
    "dead_fraction",
    "probe",
    "probe_stack",
    "format_stats",
    "distinct_units",
    "update_ratios",
]

_SATURATING = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
_RECTIFIERS = (nn.ReLU, nn.LeakyReLU, nn.ReLU6, nn.PReLU)
Activation = Literal["sigmoid", "tanh", "relu"]


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one layer's output in one forward (and backward) pass.

    Fractions are in [0, 1]; a statistic that does not apply to the layer is ``None``
    (``saturated`` exists for sigmoid/tanh only, ``dead`` for ReLU-like layers only,
    ``grad_std`` after a backward pass only, ``grad_data`` for layers with a weight only,
    ``unit_std`` for batches of at least 2 samples only). ``std`` is the pooled std of all
    entries; ``unit_std`` is each unit's (each position's after the batch dimension) std
    over the batch, averaged over the units, both with divisor N.
    ``output`` is a detached copy of the layer's output when the monitor keeps them.
    """

    index: int
    name: str
    mean: float
    std: float
    saturated: float | None = None
    dead: float | None = None
    grad_std: float | None = None
    grad_data: float | None = None
    output: Tensor | None = field(default=None, repr=False, compare=False)
    unit_std: float | None = None


def saturation_fraction(
    output: Tensor, activation: Literal["sigmoid", "tanh"], threshold: float = 0.97
) -> float:
    """Fraction of sigmoid or tanh outputs in the saturated tails.

    A tanh output ``t`` is saturated when ``|t| > threshold``: its derivative ``1 - t^2``
    is then below ``1 - threshold^2`` (6 % for 0.97) of its maximum 1. A sigmoid output
    ``s = (1 + tanh(z/2)) / 2`` is judged by the same rule on ``2s - 1``, i.e. ``s`` below
    0.015 or above 0.985, where ``s(1 - s)`` is below 6 % of its maximum 1/4.

    Args:
        output: the activation's output, any shape.
        activation: ``"sigmoid"`` or ``"tanh"``.
        threshold: in (0, 1).

    Returns:
        The saturated fraction of all entries, in [0, 1].

    Raises:
        ValueError: unknown activation, threshold outside (0, 1), or an empty output.

    Examples:
        >>> saturation_fraction(torch.tensor([0.001, 0.5, 0.999, 0.6]), "sigmoid")
        0.5
    """
    if activation not in ("sigmoid", "tanh"):
        raise ValueError(f"activation must be 'sigmoid' or 'tanh', but got {activation!r}")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), but got {threshold}")
    if output.numel() == 0:
        raise ValueError("output must have at least one element, but got an empty tensor")
    centered = 2 * output - 1 if activation == "sigmoid" else output
    return (centered.detach().abs() > threshold).sum().item() / output.numel()


def dead_fraction(output: Tensor) -> float:
    """Fraction of units that never fire: output <= 0 for every sample of the batch.

    The first dimension is the batch; every other position (a feature, or a channel at a
    pixel) is a unit. A dead ReLU unit passes no gradient to its weights, so on this batch
    it cannot learn (dying ReLU).

    Args:
        output: a ReLU-like layer's output, shape ``(batch, ...)``.

    Returns:
        The dead fraction of units, in [0, 1].

    Raises:
        ValueError: fewer than 2 dimensions or an empty batch.

    Examples:
        >>> dead_fraction(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
        0.5
    """
    if output.dim() < 2 or output.shape[0] == 0 or output[0].numel() == 0:
        raise ValueError(
            f"output must have shape (batch, units...) with batch >= 1, but got "
            f"{tuple(output.shape)}"
        )
    alive = (output.detach().flatten(1) > 0).any(dim=0)
    return (~alive).sum().item() / alive.numel()


def _std(t: Tensor) -> float:
    """Population std (divide by N) of all entries; 0 for a single entry."""
    return t.detach().double().std(correction=0).item()


def _unit_std(t: Tensor) -> float | None:
    """Each unit's population std over the batch (dimension 0), averaged over units."""
    if t.dim() < 2 or t.shape[0] < 2 or t[0].numel() == 0:
        return None
    return t.detach().double().flatten(1).std(dim=0, correction=0).mean().item()


class CenteredSigmoid(nn.Module):
    r"""The sigmoid moved down by its value at 0: :math:`\sigma(z) - \tfrac12 = \tfrac12\tanh(z/2)`.

    A control for chapter 01: it has the sigmoid's slope 1/4 at 0 but mean 0 for a
    symmetric input, so comparing it with ``nn.Sigmoid`` separates what the slope does to
    a deep stack from what the non-zero mean does. Parameter-free and element-wise, so
    :func:`course_utils.batched.fit_batched` can train networks that use it.

    Examples:
        >>> CenteredSigmoid()(torch.tensor([0.0, 2.0])).tolist()  # doctest: +ELLIPSIS
        [0.0, 0.3807...]
    """

    def forward(self, input: Tensor) -> Tensor:
        return torch.sigmoid(input) - 0.5


class LayerMonitor:
    """Hooks that record per-layer statistics of an ``nn.Sequential``.

    Use it as a context manager around a forward and backward pass; :meth:`stats` then
    gives one :class:`LayerStats` per child module, in order. Calling the model again
    overwrites the statistics (the latest pass wins). The hooks never change a value.

    Args:
        model: the network; each of its direct children is monitored.
        keep_outputs: also keep a detached copy of every layer's output (for histograms).
        threshold: saturation threshold, see :func:`saturation_fraction`.

    Raises:
        ValueError: ``model`` is not an ``nn.Sequential`` or the threshold is not in (0, 1).

    Examples:
        >>> net = nn.Sequential(nn.Linear(10, 5), nn.Tanh())
        >>> with LayerMonitor(net) as monitor:
        ...     net(torch.randn(32, 10)).sum().backward()
        >>> [s.name for s in monitor.stats()]
        ['Linear', 'Tanh']
    """

    def __init__(self, model: nn.Module, *, keep_outputs: bool = False, threshold: float = 0.97):
        if not isinstance(model, nn.Sequential):
            raise ValueError(f"model must be an nn.Sequential, but got {type(model).__name__}")
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), but got {threshold}")
        self.model = model
        self.keep_outputs = keep_outputs
        self.threshold = threshold
        self._handles: list[RemovableHandle] = []
        self._forward: dict[int, dict] = {}
        self._grad_std: dict[int, float] = {}

    def __enter__(self) -> LayerMonitor:
        self.attach()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def attach(self) -> None:
        """Register the hooks (idempotent)."""
        if self._handles:
            return
        for index, module in enumerate(self.model):
            self._handles.append(module.register_forward_hook(self._make_hook(index)))

    def remove(self) -> None:
        """Remove the hooks; the statistics collected so far stay available."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _make_hook(self, index: int) -> Callable[..., None]:
        def hook(module: nn.Module, _inputs: tuple, output: Tensor) -> None:
            self._forward[index] = self._forward_stats(module, output)
            self._grad_std.pop(index, None)
            if output.requires_grad:
                output.register_hook(lambda grad: self._grad_std.__setitem__(index, _std(grad)))

        return hook

    def _forward_stats(self, module: nn.Module, output: Tensor) -> dict:
        values = output.detach()
        stats: dict = {"name": type(module).__name__, "mean": values.double().mean().item(),
                       "std": _std(values), "unit_std": _unit_std(values)}
        kind = next((k for cls, k in _SATURATING.items() if isinstance(module, cls)), None)
        if kind is not None:
            stats["saturated"] = saturation_fraction(values, kind, self.threshold)  # type: ignore[arg-type]
        if isinstance(module, _RECTIFIERS):
            stats["dead"] = dead_fraction(values)
        if self.keep_outputs:
            stats["output"] = values.clone()
        return stats

    def stats(self) -> list[LayerStats]:
        """One :class:`LayerStats` per monitored layer that ran, in model order."""
        result = []
        for index, forward in sorted(self._forward.items()):
            weight = getattr(self.model[index], "weight", None)
            grad_data = None
            if isinstance(weight, Tensor) and weight.grad is not None:
                scale = _std(weight)
                grad_data = _std(weight.grad) / scale if scale > 0 else math.inf
            result.append(LayerStats(index=index, grad_std=self._grad_std.get(index),
                                     grad_data=grad_data, **forward))
        return result


def probe(
    model: nn.Module,
    x: Tensor,
    target: Tensor | None = None,
    *,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    keep_outputs: bool = False,
    threshold: float = 0.97,
    generator: torch.Generator | None = None,
) -> list[LayerStats]:
    """One forward and backward pass through ``model`` with a :class:`LayerMonitor`.

    With ``target`` the backward pass starts from ``loss_fn(model(x), target)``
    (cross-entropy by default). Without it, a random gradient ``g ~ N(0, 1)`` of the
    output's shape is sent back (the backward pass of Glorot & Bengio's analysis), drawn
    from ``generator``. The parameters' ``.grad`` are cleared afterwards, and the model's
    train/eval mode is left as it was.

    Args:
        model: an ``nn.Sequential``.
        x: a batch of inputs.
        target: labels for ``loss_fn``, or None for a random output gradient.
        loss_fn: ``(output, target) -> scalar``; default ``F.cross_entropy``.
        keep_outputs: keep each layer's output in :attr:`LayerStats.output`.
        threshold: saturation threshold, see :func:`saturation_fraction`.
        generator: randomness for the output gradient.

    Returns:
        One :class:`LayerStats` per child module.

    Raises:
        ValueError: see :class:`LayerMonitor`.

    Examples:
        >>> net = nn.Sequential(nn.Linear(100, 100), nn.ReLU())
        >>> [round(s.dead, 2) for s in probe(net, torch.randn(500, 100)) if s.dead is not None]
        [0.0]
    """
    for parameter in model.parameters():
        parameter.grad = None
    with torch.enable_grad(), LayerMonitor(model, keep_outputs=keep_outputs,
                                           threshold=threshold) as monitor:
        inputs = x.detach().requires_grad_(True)  # so the first layer's output gets a grad
        output = model(inputs)
        if target is not None:
            (loss_fn or F.cross_entropy)(output, target).backward()
        else:
            grad = torch.randn(output.shape, generator=generator, dtype=output.dtype)
            output.backward(grad)
    stats = monitor.stats()
    for parameter in model.parameters():
        parameter.grad = None
    return stats


def probe_stack(
    activation: Activation,
    scheme: str | float | WeightFill,
    *,
    depth: int = 5,
    width: int = 100,
    n_samples: int = 1000,
    keep_outputs: bool = False,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    bias: bool | Literal["torch_default"] = False,
) -> list[LayerStats]:
    """The classic experiment: ``depth`` layers of ``width`` units, N(0, 1) inputs, no bias by default.

    Builds ``depth`` blocks ``Linear(width, width, bias=False) -> activation``, initializes
    every weight with ``scheme`` (see :func:`course_utils.init.init_model`), feeds
    ``n_samples`` inputs drawn from N(0, 1), and sends a random N(0, 1) gradient back from
    the last activation. Inputs, weights and the output gradient come from one generator
    seeded with ``seed``, so a call is reproducible.

    The inputs and weights are always drawn in float32 and then converted to ``dtype``, so
    a float64 run starts from the same numbers as the float32 one; float64 lets a signal
    that shrinks or grows geometrically through many layers reach 1e-300 or 1e300 instead
    of underflowing to 0 (below about 1e-45) or overflowing to inf (above about 3e38) in
    float32. (The random output gradient is drawn in ``dtype``.)

    With ``bias=True`` every layer gets a bias, set to 0; with ``bias="torch_default"`` the
    biases are drawn as ``nn.Linear`` draws them by default, from
    ``U(-1/sqrt(width), 1/sqrt(width))`` (after the weights, from the same generator), so
    ``probe_stack(act, "torch_default", bias="torch_default")`` is a stack of layers with
    PyTorch's default initialization, weights and biases.

    Args:
        activation: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"centered_sigmoid"``
            (:class:`CenteredSigmoid`, the zero-mean control of the sigmoid).
        scheme: a key of :data:`course_utils.init.SCHEMES`, a std, or a fill function.
        depth: number of layers.
        width: units per layer (and input features).
        n_samples: inputs in the batch.
        keep_outputs: keep each layer's output (for histograms).
        seed: seed of the generator.
        dtype: ``torch.float32`` (default) or ``torch.float64``, the precision of the pass.
        bias: ``False`` (no biases), ``True`` (zero biases) or ``"torch_default"``.

    Returns:
        One :class:`LayerStats` per activation layer (``depth`` of them); ``index`` is the
        layer's number, 1 to ``depth``, and ``grad_data`` belongs to its weight.

    Raises:
        ValueError: unknown activation or scheme, a size below 1, a ``dtype`` other than
            float32 and float64, or a ``bias`` other than False, True and "torch_default".

    Examples:
        >>> [round(s.std, 2) for s in probe_stack("relu", "he_normal", depth=3, seed=0)]
        [0.83, 0.87, 0.77]
        >>> deep = probe_stack("relu", 0.01, depth=50, dtype=torch.float64)
        >>> f"{deep[-1].std:.0e}", deep[0].grad_std > 0
        ('3e-59', True)
    """
    modules = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
               "centered_sigmoid": CenteredSigmoid}
    if activation not in modules:
        raise ValueError(f"activation must be one of {sorted(modules)}, but got {activation!r}")
    for name, value in (("depth", depth), ("width", width), ("n_samples", n_samples)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, but got {value}")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, but got {dtype!r}")
    if bias not in (False, True, "torch_default") or not isinstance(bias, (bool, str)):
        raise ValueError(f"bias must be False, True or 'torch_default', but got {bias!r}")
    layers: list[nn.Module] = []
    for _ in range(depth):
        # skip_init: no default draws from the global generator (init_model fills them)
        layers += [nn.utils.skip_init(nn.Linear, width, width, bias=bias is not False),
                   modules[activation]()]
    model = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, width, generator=generator)
    init_model(model, scheme, generator=generator)  # weights; biases (if any) to 0
    if bias == "torch_default":  # nn.Linear.reset_parameters: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        for layer in model[::2]:
            uniform_(layer.bias, -1 / math.sqrt(width), 1 / math.sqrt(width), generator=generator)
    stats = probe(model.to(dtype), x.to(dtype), keep_outputs=keep_outputs, generator=generator)
    return [
        LayerStats(index=i // 2 + 1, name=s.name, mean=s.mean, std=s.std, saturated=s.saturated,
                   dead=s.dead, grad_std=s.grad_std, grad_data=stats[i - 1].grad_data,
                   output=s.output, unit_std=s.unit_std)
        for i, s in enumerate(stats) if i % 2 == 1
    ]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _sci(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def format_stats(stats: Sequence[LayerStats]) -> str:
    """A plain-text table of :class:`LayerStats` (one row per layer), for printing.

    Columns: layer, name, mean, std, saturated %, dead %, output-gradient std, grad:data.

    Examples:
        >>> print(format_stats([LayerStats(1, "ReLU", 0.5, 0.8, dead=0.0)]).splitlines()[0])
        layer  name         mean       std   sat %  dead %   grad std  grad:data
    """
    lines = [f"{'layer':>5}  {'name':<8} {'mean':>8} {'std':>9} {'sat %':>7} {'dead %':>7} "
             f"{'grad std':>10} {'grad:data':>10}"]
    for s in stats:
        lines.append(
            f"{s.index:>5}  {s.name:<8} {s.mean:>8.3g} {s.std:>9.3g} {_percent(s.saturated):>7} "
            f"{_percent(s.dead):>7} {_sci(s.grad_std):>10} {_sci(s.grad_data):>10}"
        )
    return "\n".join(lines)


def distinct_units(weight: Tensor, bias: Tensor | None = None, *, atol: float = 1e-6) -> int:
    """How many different units a layer has: rows of ``weight`` (and ``bias``) up to ``atol``.

    Row ``i`` of a linear weight is unit ``i``'s incoming weights. Two units whose rows
    (and biases) agree within ``atol`` in every entry compute the same function, get the
    same gradient, and stay the same: the layer acts as if it had fewer units. Rows are
    grouped greedily around the first row not yet grouped.

    Args:
        weight: ``(units, inputs...)``.
        bias: ``(units,)`` or None.
        atol: largest absolute difference still counted as equal.

    Returns:
        The number of distinct units, from 1 to ``weight.shape[0]``.

    Raises:
        ValueError: fewer than 2 dimensions, no units, a bias of the wrong shape, or
            ``atol < 0``.

    Examples:
        >>> distinct_units(torch.zeros(50, 784))
        1
        >>> distinct_units(torch.eye(3))
        3
    """
    if weight.dim() < 2 or weight.shape[0] == 0:
        raise ValueError(
            f"weight must have shape (units, inputs...), but got {tuple(weight.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"bias must have shape ({weight.shape[0]},), but got {tuple(bias.shape)}"
        )
    if atol < 0:
        raise ValueError(f"atol must be non-negative, but got {atol}")
    rows = weight.detach().flatten(1)
    if bias is not None:
        rows = torch.cat([rows, bias.detach().unsqueeze(1)], dim=1)
    ungrouped = torch.ones(len(rows), dtype=torch.bool)
    count = 0
    while ungrouped.any():
        first = int(ungrouped.nonzero()[0])
        ungrouped &= (rows - rows[first]).abs().amax(dim=1) > atol
        count += 1
    return count


def update_ratios(before: Mapping[str, Tensor], model: nn.Module) -> dict[str, float]:
    """``std(W_after - W_before) / std(W_before)`` for each weight (dim >= 2) of ``model``.

    The update:data ratio tells whether the learning rate suits the weights' scale: around
    1e-3 per step is a common rule of thumb (Karpathy); far below, the layer hardly moves;
    far above, it forgets its initialization at once.

    Args:
        before: the parameters before the step, e.g.
            ``{n: p.detach().clone() for n, p in model.named_parameters()}``.
        model: the model after the step.

    Returns:
        ``{parameter name: ratio}`` for every weight with at least 2 dimensions
        (``inf`` where the weight was all equal before).

    Raises:
        ValueError: a weight of ``model`` is missing from ``before`` or has another shape.

    Examples:
        >>> net = nn.Linear(4, 3)
        >>> before = {n: p.detach().clone() for n, p in net.named_parameters()}
        >>> with torch.no_grad():
        ...     _ = net.weight.mul_(1.5)
        >>> round(update_ratios(before, net)["weight"], 3)
        0.5
    """
    ratios = {}
    for name, parameter in model.named_parameters():
        if parameter.dim() < 2:
            continue
        if name not in before or before[name].shape != parameter.shape:
            raise ValueError(
                f"before must hold every weight of model with its shape, but {name!r} is "
                f"{'missing' if name not in before else tuple(before[name].shape)}"
            )
        scale = _std(before[name])
        change = _std(parameter.detach() - before[name])
        ratios[name] = change / scale if scale > 0 else math.inf
    return ratios
