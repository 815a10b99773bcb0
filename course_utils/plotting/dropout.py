"""Chapter 04 (dropout) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
a digit and a hidden layer under random keep masks     :func:`plot_dropout_masks`
train and validation accuracy over seeds, with gaps    :func:`plot_dropout_curves`
mean over masks converges to the evaluation output     :func:`plot_mask_average`
final accuracy against the drop probability p          :func:`plot_dropout_rate_sweep`
Monte-Carlo averaging vs one evaluation-mode pass      :func:`plot_mc_dropout`
accuracy drop when single units are removed            :func:`plot_unit_ablation`
forgetting ``model.eval()``                            :func:`plot_eval_pitfall`
accuracy per condition, mean ± sd and runs             :func:`plot_regularizer_comparison`
the explorer's masks and accuracies                    :func:`plot_dropout_explorer`
=====================================================  ==================================

Train and held-out accuracy with and without dropout, with the final gap per seed, are
drawn by :func:`plot_dropout_curves`: :func:`course_utils.plotting.shared.plot_train_test_curves`
(``gap=True``) with its bands clipped to the range an accuracy can take.

"no dropout" (p = 0) is grey triangles, (inverted) dropout green circles, vanilla dropout
vermillion, Monte-Carlo dropout purple, in every figure of the chapter; a condition named
``"p = 0.2"`` is dropout. Train curves are solid, validation dashed, test dotted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    SPLITS,
    Spread,
    bar_errors,
    errorbars,
    line_kwargs,
    plot_train_test_curves,
    series_styles,
    split_of,
    style,
    summarize_values,
)

_PREFER = ("dropout",)
#: The cross that marks a dropped hidden unit in :func:`plot_dropout_masks` (a marking, not
#: a method: no colour of the palette, so it is never read as vanilla dropout).
DROPPED_COLOR = "0.15"


def _hidden_grid(values: Tensor) -> np.ndarray:
    """Lay a vector of hidden activations out as a near-square image (padded with NaN)."""
    flat = np.asarray(values, dtype=float).ravel()
    side = int(np.ceil(np.sqrt(flat.size)))
    grid = np.full(side * side, np.nan)
    grid[: flat.size] = flat
    return grid.reshape(side, side)


def plot_dropout_masks(
    digit: Tensor,
    digit_masks: Tensor,
    hidden: Tensor,
    hidden_masks: Tensor,
    *,
    p: float,
) -> Figure:
    """Row 1: a digit and the digit under several keep masks; row 2: a hidden layer's
    activations (units laid out on a square grid) under as many masks. A dropped unit is
    white (its output is 0) and marked with a dark cross; each row has a colour bar (pixel
    value, activation)."""
    n = len(digit_masks)
    fig, axes = plt.subplots(2, n + 1, figsize=(1.5 * (n + 1) + 0.9, 3.9), layout="constrained")
    cmap = mpl.colormaps["gray_r"].with_extremes(bad="white")
    hidden_max = float(hidden.max()) or 1.0
    rows = [(digit.reshape(28, 28), digit_masks.reshape(n, 28, 28), 1.0, "digit", "pixel value"),
            (torch.as_tensor(_hidden_grid(hidden)), None, hidden_max, "hidden layer",
             "activation\n(ReLU output)")]
    for row, (image, masks, vmax, name, quantity) in enumerate(rows):
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if row == 1 and col > 0:
                masks_here = torch.as_tensor(_hidden_grid(hidden_masks[col - 1].float()))
            elif row == 0 and col > 0:
                masks_here = masks[col - 1].float()
            else:
                masks_here = torch.ones_like(image)
            shown = np.where(masks_here.numpy() > 0, image.numpy(), 0.0)
            shown[np.isnan(image.numpy())] = np.nan
            drawn = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax)
            if row == 1 and col > 0:  # hidden units: mark every dropped unit with a cross
                rows_, cols_ = np.nonzero(masks_here.numpy() == 0)
                ax.scatter(cols_, rows_, marker="x", s=14, linewidths=0.9, color=DROPPED_COLOR)
            ax.set_title(f"{name}" if col == 0 else f"mask {col}", fontsize=9)
        bar = fig.colorbar(drawn, ax=list(axes[row]), fraction=0.025, pad=0.02)
        bar.set_label(quantity, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    fig.suptitle(f"Dropout with p = {p}: a new random mask on every forward pass "
                 "(× = dropped hidden unit)", fontsize=10)
    return fig


def plot_dropout_curves(
    runs: Mapping[str, object],
    *,
    held_out: str = "validation",
    what: Spread = "ci",
    gap: bool = True,
    title: str = "",
) -> Figure:
    """Train and held-out accuracy per epoch of several conditions over seeds, and (with
    ``gap``) each condition's final train - held-out gap, as
    :func:`course_utils.plotting.shared.plot_train_test_curves` draws them, by default with
    95 % t intervals of the mean (``what="ci"``; ``"sd"``: mean ± sample sd). The shaded
    bands are clipped to [0, 1]: a symmetric interval around a mean near 100 % would
    otherwise reach above an accuracy of 1, which no run can have.

    Args:
        runs: ``{condition: histories}`` (one :class:`course_utils.training.History` per
            seed, the same epochs), as for ``plot_train_test_curves``.
        held_out: the split of the histories' ``val_*`` curves.
        what: ``"ci"`` or ``"sd"``, for the bands and the gap's error bars.
        gap: draw the panel of final gaps.
        title: the curves' title.

    Raises:
        ValueError: as ``plot_train_test_curves`` (empty ``runs``, an unknown ``what`` or
            ``held_out``, mismatched curves).
    """
    fig = plot_train_test_curves(runs, held_out=held_out, what=what, gap=gap, title=title)
    ax = fig.axes[0]
    for band in ax.collections:
        if isinstance(band, PolyCollection):
            for path in band.get_paths():
                path.vertices[:, 1] = np.clip(path.vertices[:, 1], 0.0, 1.0)
    ax.set_ylim(top=1.02)
    return fig


def plot_mask_average(
    running_means: Mapping[str, np.ndarray],
    targets: Mapping[str, float],
    *,
    title: str = "Averaging the training output over masks",
) -> Figure:
    """Running mean of the training-time output over 1..K masks (log x axis), one line per
    rule (inverted, vanilla) in its style, with the evaluation-time output of the same
    rule as a dash-dotted line."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    styles = series_styles(running_means, prefer=_PREFER)
    for name, means in running_means.items():
        means = np.asarray(means, dtype=float)
        kwargs = line_kwargs(styles[name], n_points=len(means))
        ax.plot(np.arange(1, len(means) + 1), means,
                **{**kwargs, "label": f"{name}: mean over K masks"})
        ax.axhline(targets[name], color=styles[name].color, linestyle="-.",
                   label=f"{name}: evaluation output")
    ax.set_xscale("log")
    ax.set(xlabel="number of masks K", ylabel="output (sum of 4 inputs)", title=title)
    ax.legend(fontsize=8)
    return fig


def plot_dropout_rate_sweep(
    ps: Sequence[float],
    train_acc: Sequence[float] | Sequence[Sequence[float]],
    test_acc: Sequence[float] | Sequence[Sequence[float]],
    *,
    title: str = "The dropout rate: too little does nothing, too much underfits",
    diverged: Sequence[bool] | None = None,
    chosen: float | None = None,
    held_out: str = "test",
    what: Spread = "sd",
) -> Figure:
    """Final train (filled markers) and held-out (``held_out``; hollow markers) accuracy
    against the drop probability p; accuracy from 0. p = 0 is drawn in the style of "no
    dropout" (grey triangles), every p > 0 in dropout's (green circles), as in the
    chapter's other figures. The points are not connected and the x ticks are the
    trained rates: nothing is claimed between them.

    Each entry of ``train_acc`` / ``test_acc`` is one number (one run) or the values of
    several seeds: then the mean is drawn with error bars (``what``: sample sd or 95 % t
    interval) and the legend says which. Rates marked in ``diverged`` (a NaN or infinite
    training loss) get no accuracy point, only a cross at the bottom labelled "diverged";
    ``chosen`` marks the rate picked (on the held-out split) with a vertical line.
    """
    fig, ax = plt.subplots(figsize=(8.6, 3.6))
    ps = [float(p) for p in ps]
    diverged = [False] * len(ps) if diverged is None else [bool(d) for d in diverged]
    split = split_of(held_out) or "test"
    groups = (("no dropout (p = 0)", style("no dropout"), lambda rate: rate == 0.0),
              ("dropout (p > 0)", style("dropout"), lambda rate: rate > 0.0))
    for name, values, line_split in (("train", train_acc, "train"), (held_out, test_acc, split)):
        for method_name, method, member in groups:
            keep = [i for i, bad in enumerate(diverged) if not bad and member(ps[i])]
            if not keep:
                continue
            runs = [np.atleast_1d(np.asarray(values[i], dtype=float)) for i in keep]
            x = [ps[i] for i in keep]
            label = f"{method_name}: {name}"
            if min(len(r) for r in runs) >= 2:
                summaries = [summarize_values(r) for r in runs]
                errorbars(ax, x, summaries, what=what, label=label,
                          method=replace(method, label=label), split=line_split,
                          linestyle="none")
            else:
                ax.plot(x, [float(r.mean()) for r in runs],
                        **{**line_kwargs(method, split=line_split), "label": f"{label} (1 run)",
                           "linestyle": "none"})
    bad = [p for p, d in zip(ps, diverged, strict=True) if d]
    if bad:
        ax.plot(bad, [0.03] * len(bad), "x", color="k", markersize=9,
                label="diverged (training loss NaN or inf)")
    if chosen is not None:
        chosen_style = style("no dropout" if chosen == 0 else "dropout")
        ax.axvline(chosen, color=chosen_style.color, linestyle=":", linewidth=1.2,
                   label=f"chosen on {held_out}: p = {chosen:g}")
    ax.axhline(0.1, **REFERENCE, label="chance (10 classes)")
    ax.set(xlabel="drop probability p (only the rates marked on the axis were trained)",
           ylabel="final accuracy", title=title, ylim=(0, 1.05))
    ax.set_xticks(ps)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_mc_dropout(
    ks: Sequence[int],
    mc_accuracy: Sequence[float],
    eval_accuracy: float,
    distance: Sequence[float],
    *,
    title: str = "Monte-Carlo averaging over K masks vs one pass in evaluation mode",
) -> Figure:
    """Left: test accuracy of the K-mask average (MC dropout) and of the evaluation-mode
    pass (dropout); right: mean distance between their predicted probabilities, both
    against K (log scale)."""
    fig, (ax_acc, ax_dist) = plt.subplots(1, 2, figsize=(10, 3.5))
    mc, eval_mode = style("MC dropout"), style("dropout")
    ax_acc.plot(ks, mc_accuracy, **{**line_kwargs(mc, n_points=len(ks)),
                                    "label": "average of K masked passes (MC dropout)"})
    ax_acc.axhline(eval_accuracy, color=eval_mode.color, linestyle="-.",
                   label="one pass, model.eval()")
    ax_acc.set(xlabel="number of masks K", ylabel="test accuracy", xscale="log",
               title="Accuracy")
    ax_acc.legend(loc="lower right")
    ax_dist.plot(ks, distance, **{**line_kwargs(mc, n_points=len(ks)), "label": None})
    ax_dist.set(xlabel="number of masks K", xscale="log", ylim=(0, None),
                ylabel=r"mean distance $\frac{1}{2}\sum_k |\hat p_k - p_k|$",
                title="Distance of predicted probabilities")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_unit_ablation(
    drops: Mapping[str, Sequence[Tensor]],
    *,
    title: str = "Removing one hidden unit at a time (last hidden layer)",
) -> Figure:
    """Accuracy drop per removed unit, sorted from most to least harmful, one line per
    seed, one colour per condition (its dropout style)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    styles = series_styles(drops, prefer=_PREFER, default="dropout")
    for condition, per_seed in drops.items():
        for i, seed_drops in enumerate(per_seed):
            ranked = np.sort(100 * np.asarray(seed_drops, dtype=float))[::-1]
            kwargs = line_kwargs(styles[condition], n_points=len(ranked), markers=False)
            ax.plot(np.arange(1, len(ranked) + 1), ranked,
                    **{**kwargs, "alpha": 0.8, "label": condition if i == 0 else None})
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="unit rank (most harmful to remove first)",
           ylabel="test accuracy drop (points)", title=title, xscale="log")
    ax.legend()
    return fig


def plot_eval_pitfall(
    train_mode_accuracy: Sequence[float],
    eval_accuracy: float,
    *,
    title: str = "Forgetting model.eval(): every call gives another answer",
) -> Figure:
    """Test accuracy of repeated calls in training mode (random masks, MC dropout's style)
    against the single evaluation-mode value (dropout's style)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    calls = np.arange(1, len(train_mode_accuracy) + 1)
    mc = style("MC dropout")
    ax.plot(calls, train_mode_accuracy, mc.marker, color=mc.color,
            label="model.train(): dropout still on")
    ax.axhline(eval_accuracy, color=style("dropout").color, linestyle="-.", label="model.eval()")
    ax.set(xlabel="call", ylabel="test accuracy", title=title)
    ax.set_xticks(calls)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def plot_regularizer_comparison(
    results: Mapping[str, Sequence[float]],
    *,
    title: str = "Test accuracy by condition (bars: mean ± sd; dots: runs)",
    xlabel: str = "test accuracy",
    what: Spread = "sd",
) -> Figure:
    """Horizontal bars from 0: the mean of each condition's values with its sample sd
    (``what="ci"``: 95 % t interval), each run a dot and its mean written at the bar.
    Conditions naming dropout are green, the others grey ("no dropout"). A condition with
    one run has no error bar and says "(1 run)"."""
    fig, ax = plt.subplots(figsize=(6.8, 0.45 * len(results) + 1.4))
    names = list(results)
    styles = series_styles(names, prefer=_PREFER, default="no dropout", distinct=False)
    ticks = []
    for i, name in enumerate(names):
        values = np.asarray(results[name], dtype=float)
        error, _ = bar_errors([values], what)
        ax.barh(i, values.mean(), xerr=error, color=styles[name].color, alpha=0.55, capsize=4)
        ax.scatter(values, np.full(len(values), i), color="k", s=12, zorder=3)
        ax.text(0.01, i, f"{values.mean():.1%}", va="center", fontsize=8)
        ticks.append(f"{name} ({len(values)} run{'s' if len(values) > 1 else ''})")
    ax.set_xlim(0, 1)
    ax.set_yticks(range(len(names)), ticks)
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, title=title)
    return fig


def plot_dropout_explorer(result: Mapping[str, object]) -> Figure:
    """The chapter 04 explorer: a digit under four masks and the quick run's train (solid)
    and validation (hatched) accuracy, in dropout's colour (grey for p = 0)."""
    masks = torch.as_tensor(result["digit_masks"])
    digit = torch.as_tensor(result["digit"]).reshape(28, 28)
    fig, axes = plt.subplots(1, len(masks) + 1, figsize=(8.5, 2.4),
                             width_ratios=[1] * len(masks) + [1.6])
    for ax, mask in zip(axes[:-1], masks, strict=True):
        ax.imshow((digit * mask.reshape(28, 28)).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
    axes[0].set_title("one digit, 4 masks", fontsize=9, loc="left")
    bars = axes[-1]
    values = [result["train_acc"], result["val_acc"]]
    color = style("dropout" if result["p"] else "no dropout").color
    for i, split in enumerate(("train", "validation")):
        bars.bar(i, values[i], color=color, alpha=0.85 if split == "train" else 0.4,
                 hatch=SPLITS[split].hatch, edgecolor="k", linewidth=0.6)
        bars.text(i, values[i] + 0.02, f"{values[i]:.1%}", ha="center", fontsize=9)
    bars.set_xticks([0, 1], ["train", "validation"])
    decay = f", weight decay {result['weight_decay']:g}" if result.get("weight_decay") else ""
    bars.set(ylim=(0, 1.15), ylabel="accuracy", title="after training")
    fig.suptitle(f"Dropout p = {result['p']}{decay}: train - validation gap "
                 f"{values[0] - values[1]:+.1%}", fontsize=11)
    fig.tight_layout()
    return fig

