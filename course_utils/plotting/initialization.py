"""Chapter 01 (weight initialization) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
incoming weights of hidden units (symmetry)            :func:`plot_unit_weights`
the sigmoid's slope and gradient std per layer         :func:`plot_sigmoid_derivative`
activation histograms, one row per scheme              :func:`plot_layer_histograms`
activation / gradient std through 50 layers            :func:`plot_depth_profiles`
training loss per step, mean ± sd over seeds           :func:`plot_loss_curves`
the explorer's histograms and depth profile            :func:`plot_init_explorer`
=====================================================  ==================================

Every scheme (He, Xavier, LeCun, N(0, 0.01²), ...) keeps its palette style
(:data:`course_utils.plotting.shared.PALETTE`), found from the run's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    OTHER_COLORS,
    REFERENCE,
    Spread,
    line_kwargs,
    other_style,
    plot_mean_std_curves,
    series_styles,
)

_HIST_RANGES = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}
_PREFER = ("init",)


def plot_unit_weights(
    weights: Mapping[str, Tensor], *, n_units: int = 6, title: str = ""
) -> Figure:
    """First-layer weights of a few hidden units as 28x28 images, one row per run.

    Each row shares one symmetric colour scale (blue negative, red positive), so identical
    units look identical and all-zero units look blank.
    """
    if n_units < 1:
        raise ValueError(f"n_units must be positive, but got {n_units}")
    size = (1.1 * n_units + 1.6, 1.2 * len(weights))
    fig, axes = plt.subplots(len(weights), n_units, figsize=size, squeeze=False)
    for r, (row, (name, weight)) in enumerate(zip(axes, weights.items(), strict=True)):
        images = weight.detach()[:n_units].reshape(-1, 28, 28)
        scale = max(float(images.abs().max()), 1e-12)
        for i, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if i < len(images):
                ax.imshow(images[i].numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
            if i == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
            if r == 0:
                ax.set_title(f"unit {i + 1}", fontsize=9)
    fig.suptitle(title or "Incoming weights of hidden units (28 x 28 pixels each)")
    fig.tight_layout()
    return fig


def plot_sigmoid_derivative(
    z: Tensor, gradient_profiles: Mapping[str, Sequence[float]], *, title: str = ""
) -> Figure:
    """Left: sigmoid and its derivative over ``z``. Right: gradient std per layer (log).

    ``gradient_profiles`` maps a run's name to the std of the loss gradient at the output
    of each layer, from the first layer to the last; each run in its scheme's style.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    s = torch.sigmoid(z)
    left.plot(z.numpy(), s.numpy(), color=OTHER_COLORS[0], label=r"$\sigma(z)$")
    left.plot(z.numpy(), (s * (1 - s)).numpy(), color=OTHER_COLORS[1],
              label=r"$\sigma'(z) = \sigma(1-\sigma)$")
    left.axhline(0.25, **REFERENCE, label="0.25")
    left.set(xlabel="pre-activation z", ylabel="value",
             title="The sigmoid and its slope (max 0.25)")
    left.legend()
    styles = series_styles(gradient_profiles, prefer=_PREFER)
    for name, profile in gradient_profiles.items():
        layers = np.arange(1, len(profile) + 1)
        right.semilogy(layers, profile, **line_kwargs(styles[name]))
    right.set(xlabel="layer (1 = nearest the input)", ylabel="std of dLoss/d(activation)",
              title="Gradient size on the way back")
    right.legend()
    fig.suptitle(title or "Vanishing gradients through sigmoid layers")
    fig.tight_layout()
    return fig


def _layer_values(stats: object) -> np.ndarray:
    output = getattr(stats, "output", None)
    if output is None:
        raise ValueError("stats must carry outputs: use keep_outputs=True")
    values = output.flatten().numpy()
    return values[values != 0] if getattr(stats, "name", "") == "ReLU" else values


def plot_layer_histograms(
    rows: Mapping[str, Sequence[object]], *, bins: int = 30, relu_max: float = 4.0,
    title: str = "",
) -> Figure:
    """A grid of activation histograms: one row per run, one column per layer.

    Each entry of ``rows`` is a list of :class:`course_utils.diagnostics.LayerStats`
    holding outputs (``keep_outputs=True``). Sigmoid rows span [0, 1], tanh rows [-1, 1],
    ReLU rows [0, ``relu_max``] without the exact zeros (about half of the values, given as
    a number instead) and without values beyond ``relu_max`` (their share is given too).
    The y axis is the fraction of all values per bin, shared along a row; each panel names
    the std and the saturated share. A row is filled in its scheme's colour.
    """
    n_cols = max(len(stats) for stats in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.0 * n_cols + 1.2, 1.45 * len(rows)),
                             squeeze=False, sharey="row")
    styles = series_styles(rows, prefer=_PREFER, distinct=False)
    for r, (row_axes, (name, stats)) in enumerate(zip(axes, rows.items(), strict=True)):
        for c, (ax, layer) in enumerate(zip(row_axes, stats, strict=False)):
            values = _layer_values(layer)
            span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
            total = layer.output.numel()
            counts, edges = np.histogram(values, bins=bins, range=span)
            ax.stairs(counts / total, edges, fill=True, color=styles[name].color, alpha=0.85)
            note = f"std {layer.std:.2g}"
            if layer.saturated is not None:
                note += f"\nsat {100 * layer.saturated:.0f}%"
            if layer.name == "ReLU":
                note += f"\nzeros {100 * (1 - len(values) / total):.0f}%"
                beyond = np.mean(values > relu_max) * len(values) / total if len(values) else 0
                note += f"\n> {relu_max:g}: {100 * beyond:.1f}%" if beyond >= 5e-4 else ""
            ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize=7)
            ax.set_xlim(*span)
            ax.locator_params(nbins=4)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == 0:
                ax.set_title(f"layer {layer.index}", fontsize=9)
        for ax in row_axes[len(stats):]:
            ax.axis("off")
    fig.supxlabel("activation value (y axis: fraction of all values per bin)", fontsize=9)
    fig.suptitle(title or "Activations per layer at initialization")
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.5 / fig.get_figheight(),
                        top=1 - 0.8 / fig.get_figheight(), hspace=0.45, wspace=0.18)
    return fig


def plot_depth_profiles(
    profiles: Mapping[str, Sequence[Sequence[object]]], *, title: str = ""
) -> Figure:
    """Activation std (left) and output-gradient std (right) per layer, log scale.

    ``profiles`` maps a scheme to several runs (seeds), each a list of ``LayerStats``;
    every run is one thin line in the scheme's colour (its marker about every tenth
    layer). Zeros (float32 underflow) cannot be drawn on a log axis, so a line stops where
    its values reach exactly 0.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9), sharex=True)
    styles = series_styles(profiles, prefer=_PREFER)
    for name, runs in profiles.items():
        for k, run in enumerate(runs):
            layers = np.array([s.index for s in run])
            kwargs = line_kwargs(styles[name], n_points=len(layers))
            kwargs.update(linewidth=1.2, alpha=0.8, label=name if k == 0 else None)
            for ax, attribute in zip(axes, ("std", "grad_std"), strict=True):
                values = np.array([getattr(s, attribute) for s in run], dtype=float)
                values[values <= 0] = np.nan
                ax.semilogy(layers, values, **kwargs)
    axes[0].set(xlabel="layer", ylabel="std of the activations", title="Forward: activations")
    axes[1].set(xlabel="layer", ylabel="std of dLoss/d(activation)",
                title="Backward: gradients (sent back from the last layer)")
    axes[0].legend()
    fig.suptitle(title or "A 50-layer ReLU network at initialization")
    fig.tight_layout()
    return fig


def plot_loss_curves(
    step_losses: Mapping[str, np.ndarray], *, window: int = 50, reference: float | None = None,
    title: str = "", what: Spread = "sd",
) -> Figure:
    """Training loss per step, smoothed by a moving average, mean ± sd over seeds.

    ``step_losses`` maps a run's name to an array ``(seeds, steps)``. ``reference`` draws
    a horizontal line (e.g. ln 10, the loss of a uniform guess over 10 classes). The band
    is the sample sd (``what="sd"``) or the 95 % t interval of the mean (``what="ci"``),
    computed by :mod:`course_utils.stats`, and the legend says which.
    """
    if window < 1:
        raise ValueError(f"window must be positive, but got {window}")
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    kernel = np.ones(window) / window
    styles = series_styles(step_losses, prefer=_PREFER)
    for name, runs in step_losses.items():
        runs = np.asarray(runs, dtype=float)
        smooth = np.stack([np.convolve(run, kernel, mode="valid") for run in runs])
        plot_mean_std_curves(ax, np.arange(window, runs.shape[1] + 1), smooth, label=name,
                             method=styles[name], what=what)
    if reference is not None:
        ax.axhline(reference, **REFERENCE, label=f"ln 10 = {reference:.3f}")
    ax.set(xlabel="iteration (mini-batch of 128)", ylabel=f"training loss ({window}-step mean)",
           title=title or "Training loss", ylim=(0, None))
    ax.legend()
    return fig


def plot_init_explorer(
    stats: Sequence[object], *, title: str = "", max_panels: int = 5, relu_max: float = 3.0
) -> Figure:
    """The chapter 01 explorer's view: histograms of a few layers and std per layer.

    Shows ``max_panels`` layers spread evenly from the first to the last (fixed ranges as
    in :func:`plot_layer_histograms`, values beyond them piled into the end bins, one
    shared y axis), then the std of the activations and of the gradients against depth on
    a log axis.
    """
    if not stats:
        raise ValueError("stats must hold at least one layer, but got none")
    picks = sorted({round(i) for i in np.linspace(0, len(stats) - 1, min(max_panels, len(stats)))})
    fig = plt.figure(figsize=(11, 3.4))
    grid = fig.add_gridspec(1, len(picks) + 2)
    panels = []
    for col, i in enumerate(picks):
        layer = stats[i]
        ax = fig.add_subplot(grid[0, col], sharey=panels[0] if panels else None)
        panels.append(ax)
        values = _layer_values(layer)
        span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
        counts, edges = np.histogram(np.clip(values, *span), bins=30, range=span)
        ax.stairs(counts / layer.output.numel(), edges, fill=True, color=OTHER_COLORS[0])
        ax.set_title(f"layer {layer.index}\nstd {layer.std:.2g}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("activation", fontsize=8)
        if col == 0:
            ax.set_ylabel("fraction of values", fontsize=8)
    ax = fig.add_subplot(grid[0, len(picks):])
    layers = [s.index for s in stats]
    for k, (attribute, label) in enumerate((("std", "activation std"),
                                            ("grad_std", "gradient std"))):
        values = np.array([getattr(s, attribute) or np.nan for s in stats], dtype=float)
        values[values <= 0] = np.nan
        ax.semilogy(layers, values, **line_kwargs(other_style(k, label), n_points=len(layers)))
    ax.set(xlabel="layer", ylabel="std (log scale)", title="Through depth")
    ax.legend()
    fig.suptitle(title or "Activations and gradients at initialization")
    fig.tight_layout()
    return fig
