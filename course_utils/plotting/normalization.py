"""Chapter 05 (batch and layer normalization) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
drift of a sigmoid's input during training             :func:`plot_activation_drift`
the sigmoid's near-linear band and where inputs fall   :func:`plot_sigmoid_linear_region`
running estimates of a batch statistic                 :func:`plot_running_average`
hand-derived vs numerical gradients                    :func:`plot_gradient_agreement`
training curves from many initial weight scales        :func:`plot_scale_grid`
accuracy after a budget against the learning rate      :func:`plot_lr_sweep`
grouped bars with error bars (placement, calibration)  :func:`plot_grouped_bars`
batch size: accuracy and noise of BN's statistics      :func:`plot_batch_size_effect`
=====================================================  ==================================

Train and validation curves of several settings, against the training step, are drawn by
:func:`course_utils.plotting.shared.plot_train_test_curves` (``steps_per_epoch``).

"without BN" / "no normalization" is grey, batch norm blue, layer norm orange, BN with an
injected shift sky blue; two settings of the same method in one panel ("relu, BN" and
"sigmoid, BN") share its marker in two shades of its colour.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    Spread,
    bar_errors,
    errorbars,
    line_kwargs,
    other_style,
    series_styles,
    style,
    summarize_runs,
)

if TYPE_CHECKING:
    from course_utils.training import History

_PREFER = ("normalization",)


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
    """Left: the sigmoid, its tangent at 0 and the near-linear band; right: histograms of
    where some layer inputs (``samples``, name -> values, in shades of batch norm's colour)
    fall.

    ``threshold`` is the half-width of the band in which the sigmoid stays close to its
    tangent line :math:`1/2 + z/4`.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.8, 3.3), sharex=True)
    z = np.linspace(-6, 6, 400)
    left.plot(z, 1 / (1 + np.exp(-z)), color="k", label=r"$\sigma(z)$")
    left.plot(z, np.clip(0.5 + z / 4, -0.2, 1.2), **REFERENCE, label="tangent $1/2 + z/4$")
    for ax in (left, right):
        ax.axvspan(-threshold, threshold, color="0.5", alpha=0.15, label="near-linear band")
    left.set(xlabel="z", ylabel="output", title="The sigmoid is almost linear near 0",
             ylim=(-0.2, 1.2))
    left.legend(loc="upper left")
    bins = np.linspace(-6, 6, 61)
    styles = series_styles(samples, prefer=_PREFER, default="batch norm")
    for name, data in samples.items():
        values = np.clip(np.asarray(data, dtype=float).ravel(), -6, 6)
        right.hist(values, bins=bins, density=True, alpha=0.55, color=styles[name].color,
                   label=name)
    right.set(xlabel="sigmoid input z (clipped to [-6, 6])", ylabel="density",
              title="Where the inputs of a sigmoid layer fall")
    right.legend(fontsize=8, loc="upper left")
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
) -> Figure:
    """Grid of training curves, one panel per initial weight scale (shared axes): with BN
    (batch norm's blue) and without (grey), as in *Deep Learning from Scratch* Figure 6-19."""
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
    fig.suptitle(f"Training accuracy from {len(scales)} initial weight scales")
    fig.tight_layout()
    return fig


def plot_lr_sweep(
    lrs: Sequence[float],
    results: Mapping[str, Sequence[float]],
    *,
    chance: float = 0.1,
    ylabel: str = "test accuracy after the budget",
    title: str = "Accuracy after a fixed budget against the learning rate",
) -> Figure:
    """Final accuracy against the learning rate (log axis), one line per configuration in
    its normalization's style (a second configuration of the same one in another shade)."""
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    styles = series_styles(results, prefer=_PREFER)
    for name, values in results.items():
        ax.plot(lrs, values, **line_kwargs(styles[name]))
    ax.axhline(chance, **REFERENCE, label="chance")
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (log scale)", ylabel=ylabel, title=title, ylim=(0, 1))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


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
    the bars of a group (one colour each: a normalization's style when they name one,
    batch norm's otherwise), values are the runs (e.g. seeds). Bars start at 0; a bar of
    one run has no error bar, and the legend says how many runs each bar has."""
    groups = list(values)
    series = list(dict.fromkeys(name for group in values.values() for name in group))
    width = 0.8 / len(series)
    styles = series_styles(series, prefer=_PREFER, default="batch norm")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 4.0), 3.5))
    for j, name in enumerate(series):
        members = [(i, np.asarray(values[group][name], dtype=float))
                   for i, group in enumerate(groups) if name in values[group]]
        xs = [i + (j - (len(series) - 1) / 2) * width for i, _ in members]
        means = np.array([runs.mean() for _, runs in members])
        yerr, note = bar_errors([runs for _, runs in members], what)
        ax.bar(xs, means, width=width, yerr=yerr, capsize=3, color=styles[name].color,
               label=f"{name} ({note})")
        for x, mean in zip(xs, means, strict=True):
            ax.text(x, mean + 0.01, f"{mean:.1%}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)), [textwrap.fill(g, 16) for g in groups])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:
        ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
    right.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    right.set(xlabel="batch size B", ylabel="rms error of the batch statistic",
              title="How noisy BN's statistics are")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig
