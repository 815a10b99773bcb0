"""Chapter 02 (weight decay: L2, L1, decoupled decay) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
choosing λ on validation (mean ± sd per λ)             :func:`plot_lambda_sweep`
weight values and magnitudes per regularizer           :func:`plot_weight_histograms`
per-pixel maps (first-layer column norms)              :func:`plot_input_weight_maps`
weight norm during training, mean ± sd over seeds      :func:`plot_weight_norm_curves`
=====================================================  ==================================

Train and validation accuracy per epoch (mean ± sd over seeds) and the decision regions
of the toy set are drawn by :func:`course_utils.plotting.shared.plot_train_test_curves`
and :func:`course_utils.plotting.shared.plot_decision_boundaries`.

Conditions are drawn in their regularizer's palette style ("no decay" grey, "L2, λ = 0.1"
blue, "L1 proximal" vermillion, "AdamW" green, ...), found from the condition's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    Spread,
    errorbars,
    line_kwargs,
    plot_mean_std_curves,
    series_styles,
    style,
    summarize_runs,
)

_PREFER = ("regularization",)


def _lambda_axis_positions(lambdas: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """x positions on a log axis, with λ = 0 drawn one decade left of the smallest λ > 0."""
    positive = [lam for lam in lambdas if lam > 0]
    zero_at = min(positive) / 10 if positive else 1.0
    positions = np.array([lam if lam > 0 else zero_at for lam in lambdas], dtype=float)
    labels = [f"{lam:g}" for lam in lambdas]
    return positions, labels


def _mark_axis_break(ax: Axes, x: float) -> None:
    """A gap and two slanted strokes in the bottom spine at ``x`` (a broken x axis)."""
    transform = ax.get_xaxis_transform()  # x in data units, y in axes fractions
    half = 10 ** 0.06  # half the gap, in decades
    for y in (0.0,):
        ax.fill_between([x / half, x * half], y - 0.02, y + 0.02, color="white",
                        transform=transform, clip_on=False, zorder=5, linewidth=0)
        for end in (x / half, x * half):
            ax.plot([end / 10 ** 0.03, end * 10 ** 0.03], [y - 0.025, y + 0.025], color="k",
                    linewidth=1, transform=transform, clip_on=False, zorder=6)


def plot_lambda_sweep(
    lambdas: Sequence[float],
    val_acc: np.ndarray,
    *,
    train_acc: np.ndarray | None = None,
    chosen: float | None = None,
    title: str = "Choosing λ on the validation set",
    what: Spread = "sd",
    method: str = "L2 penalty",
    baseline: str = "no regularization",
) -> Figure:
    """Validation (dashed) and training (solid) accuracy against λ on a log axis, mean ±
    sd over seeds (``what="ci"``: 95 % t interval).

    The λ > 0 points are drawn in the colour of ``method`` and joined; λ = 0 (no penalty,
    which has no place on a log axis) is drawn one decade left of the smallest λ > 0, in
    the colour of ``baseline``, not joined to the others, and the axis is marked as broken
    between the two.

    Args:
        lambdas: the λ values, each >= 0 (0 allowed: drawn at the left, labelled 0).
        val_acc: ``seeds x len(lambdas)`` validation accuracies.
        train_acc: optional ``seeds x len(lambdas)`` training accuracies.
        chosen: the selected λ (one of ``lambdas``), marked by a vertical line.
        title: the figure's title.
        what: the error bars: ``"sd"`` or ``"ci"``.
        method: the regularizer whose strength λ is (a palette name).
        baseline: the palette name of λ = 0.

    Returns:
        The figure (one axes).

    Raises:
        ValueError: ``lambdas`` is empty, negative or repeated; an accuracy array does not
            have one column per λ; ``chosen`` is not one of ``lambdas``; ``what`` is unknown.

    Examples:
        >>> fig = plot_lambda_sweep([0.0, 0.01, 0.1], [[0.8, 0.82, 0.7], [0.79, 0.83, 0.72]])
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['validation (mean ± sd, 2 seeds)', 'no decay (λ = 0): validation (mean ± sd, 2 seeds)']
        >>> plt.close(fig)
    """
    lambdas = [float(lam) for lam in lambdas]
    if not lambdas or any(not lam >= 0 for lam in lambdas) or len(set(lambdas)) != len(lambdas):
        raise ValueError(f"lambdas must be distinct values >= 0, but got {lambdas}")
    if what not in ("sd", "ci"):
        raise ValueError(f"what must be 'sd' or 'ci', but got {what!r}")
    if chosen is not None and float(chosen) not in lambdas:
        raise ValueError(f"chosen must be one of lambdas {lambdas}, but got {chosen!r}")
    series = []
    for split, values in (("validation", val_acc), ("train", train_acc)):
        if values is None:
            continue
        array = np.atleast_2d(np.asarray(values, dtype=float))
        if array.ndim != 2 or array.shape[1] != len(lambdas):
            name = "val_acc" if split == "validation" else "train_acc"
            raise ValueError(f"{name} must be seeds x {len(lambdas)} (one column per λ), but "
                             f"got shape {np.shape(values)}")
        series.append((split, array))
    positions, labels = _lambda_axis_positions(lambdas)
    zero = np.array([lam == 0 for lam in lambdas])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for split, values in series:
        for part, name, label in ((~zero, method, split),
                                  (zero, baseline, f"no decay (λ = 0): {split}")):
            if not part.any():
                continue
            if len(values) < 2:
                ax.plot(positions[part], values[0, part],
                        **{**line_kwargs(style(name), split=split), "label": f"{label} (1 seed)"})
                continue
            errorbars(ax, positions[part], summarize_runs(values[:, part]), what=what,
                      method=name, label=label, split=split)
    if chosen is not None:
        ax.axvline(positions[lambdas.index(float(chosen))], color="k", linestyle=":",
                   linewidth=1, label=f"chosen λ = {chosen:g}")
    ax.set_xscale("log")
    ax.set_xticks(positions, labels)
    ax.minorticks_off()
    if zero.any() and (~zero).any():
        ax.set_xlim(positions.min() / 10 ** 0.4, positions.max() * 10 ** 0.4)
        _mark_axis_break(ax, float(np.sqrt(positions[zero][0] * positions[~zero].min())))
    ax.set(xlabel="λ (L2 coefficient, log scale; 0 = no decay, left of the break)",
           ylabel="accuracy", title=title)
    ax.legend(fontsize=8)
    return fig


def plot_weight_histograms(
    weights: Mapping[str, Tensor], *, tol: float = 1e-3, value_range: float = 0.3,
    title: str = "Weight values and magnitudes per condition",
) -> Figure:
    """Two views of each condition's weights: their values, and log10 of their magnitude.

    The left panel is a histogram of :math:`w` (log count axis); the right one of
    :math:`\\log_{10}|w|` for the non-zero weights, with the share of exact zeros in the
    legend (they have no logarithm) and ``tol`` marked. Each condition in its
    regularizer's colour.

    Args:
        weights: ``{condition: all weights as one flat tensor}``.
        tol: the sparsity threshold to mark.
        value_range: the left panel shows ``[-value_range, value_range]``.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.8))
    value_bins = np.linspace(-value_range, value_range, 121)
    log_bins = np.linspace(-9, 0, 91)
    styles = series_styles(weights, prefer=_PREFER)
    for name, w in weights.items():
        w = np.asarray(torch.as_tensor(w).detach().flatten(), dtype=float)
        color = styles[name].color
        outside = int((np.abs(w) > value_range).sum())
        left.hist(w[np.abs(w) <= value_range], bins=value_bins, histtype="step", color=color,
                  linewidth=1.3, label=f"{name} ({outside:,} beyond ±{value_range:g})")
        nonzero = np.abs(w[w != 0])
        zeros = 1 - len(nonzero) / len(w)
        right.hist(np.log10(np.clip(nonzero, 1e-9, None)), bins=log_bins, histtype="step",
                   color=color, linewidth=1.3, label=f"{name} (exact zeros: {zeros:.0%})")
    left.set_yscale("log")
    left.set(xlabel=f"weight value w (|w| ≤ {value_range:g}; the rest counted in the legend)",
             ylabel="number of weights (log scale)", title="Weight values")
    right.axvline(np.log10(tol), color="k", linestyle=":", label=f"|w| = {tol:g}")
    right.set_yscale("log")
    right.set(xlabel="log10 |w| (non-zero weights only)", ylabel="number of weights (log scale)",
              title="Weight magnitudes")
    for ax in (left, right):  # room above the bars for the legend, so it hides no data
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 30)
    left.legend(loc="upper right", fontsize=8)
    right.legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_input_weight_maps(
    maps: Mapping[str, Tensor],
    *,
    title: str = "",
    shape: tuple[int, int] = (28, 28),
    shared_scale: bool = True,
    colorbar_label: str = "value per pixel",
    mask: Tensor | None = None,
    mask_title: str = "masked inputs",
) -> Figure:
    """One image per condition of a per-input quantity (e.g. first-layer column norms).

    With ``shared_scale`` (the default) every panel uses one colour scale, from 0 to the
    largest value of all panels, with one colour bar, so the panels can be compared;
    otherwise each panel has its own scale and colour bar. Panel titles are written in the
    condition's palette colour. A boolean ``mask`` (one entry per input) is drawn first, in
    its own panel (masked inputs grey, the others white, in a frame), titled ``mask_title``.

    Raises:
        ValueError: ``maps`` is empty, or ``mask`` does not have one entry per input.
    """
    if not maps:
        raise ValueError("maps must hold at least one condition, but got {}")
    extra = 0 if mask is None else 1
    fig, all_axes = plt.subplots(1, len(maps) + extra, figsize=(2.9 * (len(maps) + extra) + 0.8, 3.1),
                                 squeeze=False, layout="constrained")
    if mask is not None:
        flags = np.asarray(torch.as_tensor(mask).detach(), dtype=bool)
        if flags.size != shape[0] * shape[1]:
            raise ValueError(f"mask must have one entry per input ({shape[0]} x {shape[1]} = "
                             f"{shape[0] * shape[1]}), but got {flags.size} entries")
        flags = flags.reshape(shape)
        # masked inputs grey, the others white: black would read as "not read" beside the maps
        all_axes[0][0].imshow(np.where(flags, 0.6, 1.0), cmap="gray", vmin=0, vmax=1,
                              interpolation="nearest")
        all_axes[0][0].set_title(f"{mask_title}\n(grey: {int(flags.sum())} of {flags.size}; "
                                 "white: the others)", fontsize=9)
        all_axes[0][0].set_xticks([])
        all_axes[0][0].set_yticks([])
        for spine in all_axes[0][0].spines.values():
            spine.set_visible(True)
    axes = all_axes[:, extra:]
    images = {name: np.asarray(torch.as_tensor(values).detach(), dtype=float).reshape(shape)
              for name, values in maps.items()}
    top = max(max(float(image.max()) for image in images.values()), 1e-12)
    styles = series_styles(maps, prefer=_PREFER, distinct=False)
    shown = None
    for ax, (name, image) in zip(axes[0], images.items(), strict=True):
        vmax = top if shared_scale else max(float(image.max()), 1e-12)
        shown = ax.imshow(image, cmap="magma", vmin=0, vmax=vmax)
        if not shared_scale:
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
        ax.set_title(name, fontsize=9, color=styles[name].color)
        ax.axis("off")
    if shared_scale and shown is not None:
        fig.colorbar(shown, ax=axes[0].tolist(), shrink=0.85, label=colorbar_label)
    fig.suptitle(title or f"{colorbar_label} ({shape[0]} x {shape[1]} pixels)")
    return fig


def plot_weight_norm_curves(
    epochs: Sequence[int] | np.ndarray,
    norms: Mapping[str, np.ndarray],
    *,
    title: str = "Weight norm during training",
    ylabel: str = "‖w‖₂ of all weights",
    what: Spread = "sd",
) -> Figure:
    """Mean ± sd over seeds (``what="ci"``: 95 % t interval) of a norm per evaluated
    epoch, one line per condition in its regularizer's colour.

    Args:
        epochs: the evaluated epochs.
        norms: ``{condition: seeds x epochs}``.
        title: the figure's title.
        ylabel: the y axis label.
        what: the band: ``"sd"`` or ``"ci"``.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    styles = series_styles(norms, prefer=_PREFER)
    for name, values in norms.items():
        plot_mean_std_curves(ax, np.asarray(epochs), np.asarray(values), label=name,
                             method=styles[name], what=what)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend()
    return fig
