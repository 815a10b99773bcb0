"""Chapter 05 (batch and layer normalization) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
drift of a sigmoid's input during training             :func:`plot_activation_drift`
drift of every layer's inputs, relative to their width :func:`plot_layer_drift`
the same drift against the training step, per layer    :func:`plot_drift_over_training`
the sigmoid's near-linear band and where inputs fall   :func:`plot_sigmoid_linear_region`
running estimates of a batch statistic                 :func:`plot_running_average`
hand-derived vs numerical gradients                    :func:`plot_gradient_agreement`
training curves from many initial weight scales        :func:`plot_scale_grid`
accuracy after a budget against the learning rate      :func:`plot_lr_sweep`
the loss after one gradient step of each size          :func:`plot_loss_along_gradient`
loss and gradient change against the distance moved    :func:`plot_probe_along_gradient`
gradient size per layer (vanishing gradients)          :func:`plot_gradient_spread`
grouped bars with error bars (placement, calibration)  :func:`plot_grouped_bars`
batch size: accuracy and noise of BN's statistics      :func:`plot_batch_size_effect`
=====================================================  ==================================

Train and validation curves of several settings, against the training step, are drawn by
:func:`course_utils.plotting.shared.plot_train_test_curves` (``steps_per_epoch``).

"without BN" / "no normalization" is grey, batch norm blue, layer norm orange, BN with an
injected shift sky blue; two settings of the same method in one panel ("relu, BN" and
"sigmoid, BN") share its marker in two shades of its colour. Bars of BN networks stay
batch norm's blue and tell their variants apart by hatching; a diverged run is a cross in a
"diverged" row, never a low accuracy.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    Spread,
    bar_errors,
    errorbars,
    find_style,
    line_kwargs,
    other_style,
    series_styles,
    style,
    summarize_runs,
)

if TYPE_CHECKING:
    from course_utils.training import History

_PREFER = ("normalization",)


def _plain_ticks(ax: Axes, axis: str = "y", values: Sequence[float] | None = None) -> None:
    """Readable numbers (0.1, 3, 30) instead of powers of ten on a log axis; with
    ``values``, a major tick at each of them."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if values is not None:
        target.set_major_locator(FixedLocator(list(values)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def _layer_ticks(ax: Axes, n_layers: int, *, output: bool = False) -> np.ndarray:
    """x positions 1..L labelled by layer number (the last one "L (output)")."""
    layers = np.arange(1, n_layers + 1)
    labels = [str(i) for i in layers]
    if output:
        labels[-1] += "\n(output)"
    ax.set_xticks(layers, labels)
    return layers


def plot_activation_drift(
    runs: Mapping[str, Mapping[str, Tensor]],
    *,
    percentiles: Sequence[float] = (15, 50, 85),
    title: str = "Input of the last hidden sigmoid over training (fixed probe batch)",
) -> Figure:
    """One panel per run (shared y axis, titled in the run's colour): percentiles of the
    last activation's input against the step, the middle one thick, the outer ones thin
    with the range between them shaded.

    ``runs`` maps a name to the dict of
    :func:`course_utils.normalization.track_activation_inputs` (``step``, ``percentiles``).
    """
    fig, axes = plt.subplots(1, len(runs), figsize=(3.3 * len(runs), 3.3), sharey=True)
    styles = series_styles(runs, prefer=_PREFER)
    middle = len(percentiles) // 2
    for ax, (name, record) in zip(np.atleast_1d(axes), runs.items(), strict=True):
        steps = np.asarray(record["step"])
        values = np.asarray(record["percentiles"])
        color = styles[name].color
        for j, q in enumerate(percentiles):
            ax.plot(steps, values[:, j], color=color, linewidth=2.2 if j == middle else 0.9,
                    label=f"{q:g}th percentile")
        if len(percentiles) > 1:
            ax.fill_between(steps, values[:, 0], values[:, len(percentiles) - 1], color=color,
                            alpha=0.15, linewidth=0)
        ax.set_title(name, color=color)
        ax.set(xlabel="training step")
    np.atleast_1d(axes)[0].set_ylabel("sigmoid input")
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sigmoid_linear_region(samples: Mapping[str, Tensor], *, threshold: float) -> Figure:
    """Left: the sigmoid, its tangent at 0 and the near-linear band; then one histogram per
    entry of ``samples`` (name -> values, in shades of batch norm's colour), side by side on
    shared axes, each with the band shaded and, in its title, the share of values inside.

    ``threshold`` is the half-width of the band in which the sigmoid stays close to its
    tangent line :math:`1/2 + z/4`.
    """
    panels = len(samples) + 1
    fig, axes = plt.subplots(1, panels, figsize=(3.4 * panels + 0.6, 3.4), sharex=True)
    left, histograms = axes[0], axes[1:]
    z = np.linspace(-6, 6, 400)
    left.plot(z, 1 / (1 + np.exp(-z)), color="k", label=r"$\sigma(z)$")
    left.plot(z, np.clip(0.5 + z / 4, -0.2, 1.2), **REFERENCE, label="tangent $1/2 + z/4$")
    for ax in axes:
        ax.axvspan(-threshold, threshold, color="0.5", alpha=0.15,
                   label=f"near-linear band |z| < {threshold:.2f}")
    left.set(xlabel="z", ylabel="output", title="The sigmoid is almost linear near 0",
             ylim=(-0.2, 1.2))
    left.legend(loc="center right", fontsize=8)
    bins = np.linspace(-6, 6, 61)
    styles = series_styles(samples, prefer=_PREFER, default="batch norm")
    for ax, (name, data) in zip(histograms, samples.items(), strict=True):
        values = np.asarray(data, dtype=float).ravel()
        inside = float(np.mean(np.abs(values) < threshold))
        ax.hist(np.clip(values, -6, 6), bins=bins, density=True, color=styles[name].color,
                alpha=0.85)
        ax.set(xlabel="sigmoid input z (clipped to [-6, 6])",
               title=f"{name}:\n{inside:.1%} inside the band")
    histograms[0].set_ylabel("density")
    top = max(ax.get_ylim()[1] for ax in histograms)
    for ax in histograms:
        ax.set_ylim(0, top)
    fig.suptitle("How much of a sigmoid layer's input falls where the sigmoid is nearly linear")
    fig.tight_layout()
    return fig


def plot_running_average(
    batch_values: Sequence[float],
    estimates: Mapping[str, Sequence[float]],
    *,
    target: float | None = None,
    title: str = "Running estimate of one feature's mean",
) -> Figure:
    """Per-step batch values (grey dots) and running estimates under several conventions
    (one colour and marker each; conventions are not methods of the palette)."""
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    steps = np.arange(1, len(batch_values) + 1)
    ax.plot(steps, batch_values, "o", color="0.6", markersize=3, label="batch mean")
    for i, (name, values) in enumerate(estimates.items()):
        kwargs = line_kwargs(other_style(i, name), n_points=len(values))
        ax.plot(steps, values, **{**kwargs, "linewidth": 2 - 0.3 * (i % 2)})
    if target is not None:
        ax.axhline(target, color="k", linewidth=0.8, label="mean over all training data")
    ax.set(xlabel="training step", ylabel="value", title=title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_gradient_agreement(
    pairs: Mapping[str, tuple[Tensor, Tensor]],
    *,
    title: str = "Hand-derived against numerical gradients (on the diagonal = they agree)",
) -> Figure:
    """Analytic against numerical gradient entries, one panel per case, all panels on the
    same limits; the diagonal is perfect agreement."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.1 * len(pairs), 3.4))
    arrays = {name: (np.asarray(a, dtype=float).ravel(), np.asarray(n, dtype=float).ravel())
              for name, (a, n) in pairs.items()}
    largest = max(float(np.abs(np.concatenate(pair)).max()) for pair in arrays.values())
    bound = max(0.05, largest * 1.1)
    bn = style("batch norm")
    for ax, (name, (a, n)) in zip(np.atleast_1d(axes), arrays.items(), strict=True):
        ax.plot([-bound, bound], [-bound, bound], color="0.7", linewidth=1)
        ax.plot(n, a, bn.marker, color=bn.color, markersize=4)
        ax.set(xlim=(-bound, bound), ylim=(-bound, bound), title=name,
               xlabel="numerical dL/dx")
        ax.locator_params(nbins=5)
    np.atleast_1d(axes)[0].set_ylabel("analytic dL/dx")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_scale_grid(
    scales: Sequence[float],
    plain: Sequence[History],
    normalized: Sequence[History],
    *,
    metric: str = "train_acc",
    ncols: int = 4,
    title: str | None = None,
) -> Figure:
    """Grid of training curves, one panel per initial weight scale (shared axes): with BN
    (batch norm's blue) and without (grey), as in *Deep Learning from Scratch* Figure 6-19;
    ``title`` replaces the default "Training accuracy from N initial weight scales"."""
    nrows = -(-len(scales) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 1.9 * nrows + 0.5),
                             sharex=True, sharey=True, squeeze=False)
    bn, no_bn = style("batch norm"), style("no normalization")
    for ax, scale, h_plain, h_norm in zip(axes.flat, scales, plain, normalized, strict=False):
        for method, history, label in ((bn, h_norm, "with BN"), (no_bn, h_plain, "without BN")):
            values = getattr(history, metric)
            kwargs = line_kwargs(method, n_points=len(values))
            ax.plot(history.epoch, values, **{**kwargs, "label": label, "markersize": 3})
        ax.set_title(f"weight std {scale:.2g}", fontsize=9)
        ax.set_ylim(0, 1.02)
    for ax in axes.flat[len(scales):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel(metric.replace("_acc", " accuracy").replace("val", "validation"))
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title or f"Training accuracy from {len(scales)} initial weight scales")
    fig.tight_layout()
    return fig


def plot_lr_sweep(
    lrs: Sequence[float],
    results: Mapping[str, Sequence[float]],
    *,
    diverged: Mapping[str, Sequence[bool]] | None = None,
    chance: float = 0.1,
    ylabel: str = "test accuracy after the budget",
    title: str = "Accuracy after a fixed budget against the learning rate",
) -> Figure:
    """Final accuracy against the learning rate (log axis), one line per configuration in
    its normalization's style (a second configuration of the same one in another shade).

    ``diverged`` maps a configuration to one flag per rate: a diverged run (infinite or NaN
    loss) has no accuracy, so it is drawn as a cross in the configuration's colour in a
    separate "diverged" row below the accuracy axis, never as a low accuracy, and the
    line is broken there; the legend explains the crosses.

    Raises:
        ValueError: a configuration of ``diverged`` is not in ``results``, or its flags
            are not one per learning rate.
    """
    flags = {} if diverged is None else dict(diverged)
    for name, row in flags.items():
        if name not in results:
            raise ValueError(f"diverged names a configuration not in results: {name!r}")
        if len(row) != len(lrs):
            raise ValueError(f"diverged[{name!r}] must hold one flag per learning rate "
                             f"({len(lrs)}), but got {len(row)}")
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    styles = series_styles(results, prefer=_PREFER)
    row_y = -0.06
    any_diverged = any(any(row) for row in flags.values())
    for k, (name, values) in enumerate(results.items()):
        broken = np.asarray(flags.get(name, [False] * len(lrs)), dtype=bool)
        shown = np.where(broken, np.nan, np.asarray(values, dtype=float))
        ax.plot(lrs, shown, **line_kwargs(styles[name]))
        if broken.any():
            offset = 10 ** (0.025 * (k - (len(results) - 1) / 2))  # crosses side by side
            ax.plot(np.asarray(lrs, dtype=float)[broken] * offset, np.full(broken.sum(), row_y),
                    linestyle="none", marker="x", markersize=7, markeredgewidth=2,
                    color=styles[name].color)
    ax.axhline(chance, **REFERENCE, label="chance")
    ax.set_xscale("log")
    _plain_ticks(ax, "x", lrs)
    ax.set(xlabel="learning rate (log scale)", ylabel=ylabel, title=title, ylim=(0, 1))
    if any_diverged:
        ax.set_ylim(-0.12, 1)
        ax.axhline(0, color="0.3", linewidth=0.8)
        ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ax.set_yticks([row_y, *ticks], ["diverged", *(f"{t:g}" for t in ticks)])
        ax.plot([], [], linestyle="none", marker="x", markersize=7, markeredgewidth=2,
                color="0.3", label="diverged (loss inf or NaN):\nno accuracy, a cross\n"
                                   "in the run's colour")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


#: Hatches that tell the bars of a group apart (not the data splits' "//" and "..").
_BAR_HATCHES = ("", "xxx", "++", "oo", "**")


def plot_grouped_bars(
    values: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    ylabel: str,
    title: str,
    xlabel: str = "",
    ylim: tuple[float, float] | None = None,
    what: Spread = "sd",
) -> Figure:
    """Bars of the mean with error bars (sample sd, or with ``what="ci"`` the 95 % t
    interval): outer keys are groups on the x axis (named by ``xlabel``), inner keys are
    the bars of a group, values are the runs (e.g. seeds).

    Colour says which network, hatching which variant: a group's bars take the colour of
    the normalization its name gives ("relu, BN" and "sigmoid, BN" get batch norm's blue in
    two shades, as in the learning-rate figures), batch norm's blue when it names none, so
    batch norm keeps one colour in every figure; the first bar of each group is solid, the
    next ones are hatched, and the legend names the variants. Bars start at 0; a bar of one
    run has no error bar, and the legend says how many runs each bar has.

    Raises:
        ValueError: ``values`` is empty, or there are more variants than hatches.
    """
    if not values:
        raise ValueError("values must hold at least one group, but got none")
    groups = list(values)
    series = list(dict.fromkeys(name for group in values.values() for name in group))
    if len(series) > len(_BAR_HATCHES):
        raise ValueError(f"values may hold at most {len(_BAR_HATCHES)} bars per group, but got "
                         f"{len(series)}")
    width = 0.8 / len(series)
    group_styles = series_styles(groups, prefer=_PREFER, default="batch norm",
                                 distinct=any(find_style(g, prefer=_PREFER) for g in groups))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 4.0), 3.5))
    handles = []
    for j, name in enumerate(series):
        members = [(i, np.asarray(values[group][name], dtype=float))
                   for i, group in enumerate(groups) if name in values[group]]
        xs = [i + (j - (len(series) - 1) / 2) * width for i, _ in members]
        means = np.array([runs.mean() for _, runs in members])
        yerr, note = bar_errors([runs for _, runs in members], what)
        colors = [group_styles[groups[i]].color for i, _ in members]
        ax.bar(xs, means, width=width, yerr=yerr, capsize=3, color=colors,
               hatch=_BAR_HATCHES[j], edgecolor="white", linewidth=0.8)
        handles.append(Patch(facecolor=group_styles[groups[0]].color, edgecolor="white",
                             hatch=_BAR_HATCHES[j], label=f"{name} ({note})"))
        for x, mean in zip(xs, means, strict=True):
            ax.text(x, mean + 0.01, f"{mean:.1%}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)), [textwrap.fill(g, 16) for g in groups])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:
        ax.set_ylim(bottom=0)
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_batch_size_effect(
    batch_sizes: Sequence[int],
    accuracy: Mapping[str, np.ndarray],
    noise: Mapping[str, Sequence[float]],
    *,
    images_seen: int,
    what: Spread = "sd",
    ylabel: str = "test accuracy",
) -> Figure:
    """Left: accuracy (mean ± sd over seeds, ``what="ci"``: 95 % t interval) on the
    evaluation split named by ``ylabel`` against the batch size for each normalization,
    every run seeing ``images_seen`` training images; right: the noise of BN's batch
    statistics against the batch size (from
    :func:`course_utils.normalization.batch_stat_noise`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    styles = series_styles(accuracy, prefer=_PREFER)
    for name, runs in accuracy.items():
        runs = np.asarray(runs, dtype=float)  # (batch sizes, seeds)
        if runs.shape[1] < 2:
            left.plot(batch_sizes, runs[:, 0], **{**line_kwargs(styles[name]),
                                                  "label": f"{name} (1 seed)"})
            continue
        errorbars(left, batch_sizes, summarize_runs(runs.T), what=what, method=styles[name])
    left.set_xscale("log", base=2)
    left.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    left.set(xlabel="batch size", ylabel=ylabel, ylim=(0, 1),
             title=f"Every run sees the same {images_seen:,} training images")
    left.legend(fontsize=8)
    sizes = np.asarray(noise["batch_size"], dtype=float)
    for k, (key, label) in enumerate((("mean_noise", "batch mean (in std units)"),
                                      ("var_noise", "batch variance (relative)"))):
        right.plot(sizes, noise[key], **line_kwargs(other_style(k, label)))
    right.plot(sizes, 1 / np.sqrt(sizes), **REFERENCE, label=r"$1/\sqrt{B}$")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    _plain_ticks(right, "y", [0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    low = min(min(noise["mean_noise"]), min(noise["var_noise"]), float(1 / np.sqrt(sizes.max())))
    high = max(max(noise["mean_noise"]), max(noise["var_noise"]), float(1 / np.sqrt(sizes.min())))
    right.set_ylim(low / 1.2, high * 1.2)
    right.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    right.set(xlabel="batch size B", ylabel="rms error of the batch statistic",
              title="How noisy BN's statistics are")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _per_seed(values: np.ndarray | Sequence, name: str, dims: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == dims - 1:
        array = array[None]
    if array.ndim != dims or array.shape[0] == 0:
        raise ValueError(f"{name} must be an array of {dims} dimensions (seeds first), but got "
                         f"shape {array.shape}")
    return array


def _means_with_spread(ax: Axes, x: np.ndarray, runs: np.ndarray, method, label: str) -> None:
    """Markers joined by a line; mean ± sd error bars when there are several runs."""
    if len(runs) < 2:
        ax.plot(x, runs[0], **{**line_kwargs(method), "label": f"{label} (1 run)"})
        return
    errorbars(ax, x, summarize_runs(runs), what="sd", method=method, label=label)


def plot_layer_drift(
    drift: Mapping[str, np.ndarray | Tensor],
    *,
    every: int,
    title: str = "How far each layer's inputs move while the network learns",
) -> Figure:
    """The drift of every layer's inputs (from
    :func:`course_utils.normalization.track_unit_drift`), averaged over training, against
    the layer: one line per network in its normalization's colour, mean ± sd over seeds, on
    a log axis (drift 1 = a unit's input distribution moved by its own width).

    Args:
        drift: name -> ``(seeds, chunks, layers)`` drift per chunk of ``every`` steps.
        every: steps per chunk (for the axis label).
        title: the figure's title.

    Raises:
        ValueError: a drift array that is not three-dimensional.
    """
    fig, ax = plt.subplots(figsize=(8.4, 3.6))
    styles = series_styles(drift, prefer=_PREFER)
    for name, values in drift.items():
        runs = _per_seed(values, "drift", 3).mean(axis=1)  # (seeds, layers)
        layers = _layer_ticks(ax, runs.shape[1])
        _means_with_spread(ax, layers, runs, styles[name], name)
    ax.set_yscale("log")
    _plain_ticks(ax, "y")
    ax.set(xlabel="hidden layer (its activation's input)",
           ylabel=f"drift per {every} steps\n(in units of the input's spread)", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_loss_along_gradient(
    step_sizes: Sequence[float],
    losses: Mapping[str, np.ndarray | Sequence[Sequence[float]]],
    *,
    title: str = "The loss after one gradient step of each size",
) -> Figure:
    """Loss after a step of size :math:`\\eta` along the gradient, divided by the loss
    before it, against :math:`\\eta` (both log axes), mean ± sd over seeds, one line per
    network (from :func:`course_utils.normalization.loss_along_gradient`). Below the
    dash-dotted line at 1 the step helped; where a curve turns up, steps overshoot.

    Args:
        step_sizes: the step sizes, the first one 0 (the loss before the step).
        losses: name -> ``(seeds, len(step_sizes))`` losses.
        title: the figure's title.

    Raises:
        ValueError: ``step_sizes`` does not start with 0, or a losses array of another shape.
    """
    sizes = np.asarray(step_sizes, dtype=float)
    if len(sizes) < 2 or sizes[0] != 0:
        raise ValueError(f"step_sizes must start with 0 (the current loss) and hold more, but got "
                         f"{list(step_sizes)}")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    styles = series_styles(losses, prefer=_PREFER)
    for name, values in losses.items():
        runs = _per_seed(values, "losses", 2)
        if runs.shape[1] != len(sizes):
            raise ValueError(f"losses must have one column per step size ({len(sizes)}), but "
                             f"{name!r} has {runs.shape[1]}")
        _means_with_spread(ax, sizes[1:], runs[:, 1:] / runs[:, :1], styles[name], name)
    ax.axhline(1.0, **REFERENCE, label="loss before the step")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_ticks(ax, "x", sizes[1:])
    _plain_ticks(ax, "y", [0.3, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    ax.set(xlabel="step size η (log scale)", ylabel="loss after the step / loss before",
           title=title)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_gradient_spread(
    panels: Mapping[str, Mapping[str, np.ndarray | Sequence[float]]],
    *,
    title: str = "How large each layer's weight gradient is",
) -> Figure:
    """Std of :math:`\\partial\\mathcal L/\\partial W` against the layer (log axis), one
    panel per condition (e.g. "at initialization", "after training"), one line per network
    in its normalization's colour, mean ± sd over seeds when given several; the panels
    share their axes. A line that falls towards layer 1 shows vanishing gradients.

    Args:
        panels: panel title -> {network name -> per-layer values, ``(layers,)`` or
            ``(seeds, layers)``}, from :func:`course_utils.normalization.weight_gradient_std`.
        title: the figure's title.

    Raises:
        ValueError: no panels, or a values array of more than two dimensions.
    """
    if not panels:
        raise ValueError("panels must hold at least one panel, but got none")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels) + 1.8, 3.6),
                             sharey=True, squeeze=False)
    for ax, (panel, series) in zip(axes[0], panels.items(), strict=True):
        styles = series_styles(series, prefer=_PREFER)
        for name, values in series.items():
            runs = _per_seed(values, "values", 2)
            layers = _layer_ticks(ax, runs.shape[1], output=True)
            _means_with_spread(ax, layers, runs, styles[name], name)
        ax.set_yscale("log")
        _plain_ticks(ax, "y")
        ax.set(xlabel="linear layer", title=panel)
    axes[0][0].set_ylabel("std of dL/dW (log scale)")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_LAYER_LINES = ("-", "--", ":", "-.")


def plot_drift_over_training(
    drift: Mapping[str, np.ndarray | Tensor],
    *,
    every: int,
    title: str = "How far each layer's inputs move, step by step",
) -> Figure:
    """The drift of every layer's inputs (from
    :func:`course_utils.normalization.track_unit_drift`) against the training step: one
    panel per network (in its normalization's colour), one line per layer (layer 1 solid,
    2 dashed, 3 dotted, ...), the mean over seeds, each point at the end of its chunk of
    ``every`` steps; the panels share their log y axis, so early and late training and the
    networks can be compared at a glance (the line styles are named beside the last panel).

    Args:
        drift: name -> ``(seeds, chunks, layers)`` drift per chunk of ``every`` steps.
        every: steps per chunk.
        title: the figure's title.

    Raises:
        ValueError: no networks, a drift array that is not three-dimensional, or a
            non-positive ``every``.
    """
    if not drift:
        raise ValueError("drift must hold at least one network, but got none")
    if every < 1:
        raise ValueError(f"every must be a positive number of steps, but got {every}")
    runs = {name: _per_seed(values, "drift", 3) for name, values in drift.items()}
    styles = series_styles(runs, prefer=_PREFER)
    fig, axes = plt.subplots(1, len(runs), figsize=(3.3 * len(runs) + 0.8, 3.4), sharey=True,
                             squeeze=False)
    for ax, (name, values) in zip(axes[0], runs.items(), strict=True):
        steps = every * np.arange(1, values.shape[1] + 1)
        for layer in range(values.shape[2]):
            ax.plot(steps, values[:, :, layer].mean(axis=0), color=styles[name].color,
                    linestyle=_LAYER_LINES[layer % len(_LAYER_LINES)], marker=styles[name].marker,
                    markersize=3, label=f"layer {layer + 1}")
        ax.set_yscale("log")
        _plain_ticks(ax, "y")
        n = values.shape[0]
        ax.set(xlabel="training step", title=f"{name}\n(mean of {n} seed{'s' if n > 1 else ''})")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[0][0].set_ylabel(f"drift per {every} steps\n(in units of the layer's spread)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_probe_along_gradient(
    probes: Mapping[str, Sequence[Mapping[str, Sequence[float]]]],
    *,
    title: str = "One gradient step, measured against the distance it moves the weights",
) -> Figure:
    """Two panels against the distance :math:`\\lVert\\eta g\\rVert` a gradient step moves
    the parameters (log axes), from
    :func:`course_utils.normalization.probe_along_gradient`: left, the loss after the step
    divided by the loss before it (below the dash-dotted line at 1 the step helped); right,
    how fast the gradient changes along the step, :math:`\\lVert\\nabla\\mathcal L(\\theta
    - \\eta g) - g\\rVert / \\lVert\\eta g\\rVert` (the effective
    :math:`\\beta`-smoothness). One thin line per seed in its network's colour: seeds
    move different distances for the same :math:`\\eta`, so they are not averaged. The
    left panel shows ratios from 0.3 to 30 (steeper curves leave it).

    Args:
        probes: name -> one probe per seed, each with ``distance``, ``loss`` and
            ``gradient_change`` lists (the first entry for :math:`\\eta = 0`).
        title: the figure's title.

    Raises:
        ValueError: no networks, a network with no probes, or a probe whose first
            distance is not 0 or whose lists differ in length.
    """
    if not probes or any(len(runs) == 0 for runs in probes.values()):
        raise ValueError("probes must hold at least one network with at least one probe each")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.4, 3.8))
    styles = series_styles(probes, prefer=_PREFER)
    for name, runs in probes.items():
        for i, probe in enumerate(runs):
            distance = np.asarray(probe["distance"], dtype=float)
            loss = np.asarray(probe["loss"], dtype=float)
            change = np.asarray(probe["gradient_change"], dtype=float)
            if distance[0] != 0 or not len(distance) == len(loss) == len(change) > 1:
                raise ValueError(f"each probe must start at distance 0 and hold lists of one "
                                 f"length, but {name!r} probe {i} does not")
            label = f"{name} ({len(runs)} seeds, one line each)" if i == 0 else None
            kwargs = {"color": styles[name].color, "linewidth": 0.9, "alpha": 0.7, "label": label}
            left.plot(distance[1:], loss[1:] / loss[0], **kwargs)
            right.plot(distance[1:], change[1:], **kwargs)
    left.axhline(1.0, **REFERENCE, label="loss before the step")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_ticks(ax, "x")
        _plain_ticks(ax, "y")
        ax.set_xlabel("distance moved, ‖η g‖ (log scale)")
    left.set_ylim(0.3, 30)  # the interesting part is near 1; steeper curves leave the panel
    left.set(ylabel="loss after the step / loss before", title="loss along the gradient")
    right.set(ylabel="‖∇L(θ − ηg) − g‖ / ‖ηg‖", title="how fast the gradient changes")
    left.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
