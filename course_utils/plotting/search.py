"""Chapter 06 (hyperparameter search) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
validation score against one hyperparameter            :func:`plot_score_vs_hyperparameter`
trials of a search: score per hyperparameter, plane    :func:`plot_search_scatter`
small multiples of validation curves                   :func:`plot_top_curves`
optimism of picking on the test set vs validation      :func:`plot_optimism` (and the
                                                       picks' fresh accuracy)
share of samples per decade (uniform vs log)           :func:`plot_decade_shares`
best score each search found, per repetition           :func:`plot_best_found`
grid vs random layouts (Bergstra & Bengio)             :func:`plot_grid_vs_random`
successive halving on recorded curves                  :func:`plot_halving`
epochs spent by each search strategy                   :func:`plot_budget_bars`
k-fold scores and which configuration wins             :func:`plot_cv_scores`
single split vs k-fold over draws of little data       :func:`plot_cv_stability`
every trial of a study by state                        :func:`plot_study_trials`
the explorer's grid vs random coverage                 :func:`plot_search_coverage`
=====================================================  ==================================

Samplers and strategies keep their palette styles: random search blue, random on a uniform
scale purple, grid search orange, successive halving green, early stopping vermillion, the
full budget grey; choosing on the test set vermillion, on validation green.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    SPLITS,
    MethodStyle,
    Spread,
    errorbars,
    find_style,
    line_kwargs,
    other_style,
    series_styles,
    shade,
    share_limits,
    style,
    summarize_values,
)

_PREFER = ("search",)


def _log_axis_label(name: str) -> str:
    return f"{name} (log scale)"


def plot_score_vs_hyperparameter(
    values: Sequence[float],
    scores: Sequence[float],
    *,
    name: str,
    title: str,
    ylabel: str = "validation accuracy",
    chance: float | None = 0.1,
) -> Figure:
    """Scores of a few runs against one hyperparameter (log axis): one marker per tested
    value, in the marker of the split the scores are measured on (``ylabel``), and no line
    between them (nothing was measured in between).

    Raises:
        ValueError: ``values`` and ``scores`` differ in length, or no values.
    """
    if len(values) == 0 or len(values) != len(scores):
        raise ValueError(f"values and scores must be non-empty and of one length, but got "
                         f"{len(values)} values and {len(scores)} scores")
    fig, ax = plt.subplots(figsize=(6.0, 3.3))
    split = "test" if "test" in ylabel else "train" if "train" in ylabel else "validation"
    ax.plot(np.asarray(values), np.asarray(scores),
            **{**line_kwargs(SPLITS[split], split=split), "linestyle": "none", "markersize": 7,
               "label": f"{ylabel}, one run per value"})
    for value, score in zip(values, scores, strict=True):
        ax.annotate(f"{score:.0%}", (value, score), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    if chance is not None:
        ax.axhline(chance, **REFERENCE, label="chance")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_xscale("log")
    ax.set(xlabel=_log_axis_label(name), ylabel=ylabel, title=title, ylim=(0, 1))
    return fig


def plot_search_scatter(
    params: Mapping[str, Sequence[float]],
    scores: Sequence[float],
    *,
    top: int = 20,
    title: str,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    range_label: str = "searched range",
    method: str = "random search",
) -> Figure:
    """One panel per hyperparameter: validation score against its value (log axis), the
    ``top`` best trials in the colour of the search ``method``, the others in a light
    shade of it; a last panel places the trials in the plane of the first two
    hyperparameters, coloured by score. ``ranges`` shades a range per hyperparameter (e.g.
    the previous round's), labelled ``range_label``."""
    names = list(params)
    scores = np.asarray(scores, dtype=float)
    best = np.argsort(-scores, kind="stable")[:top]
    searched = style(method)
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(4.0 * (len(names) + 1), 3.5))
    for ax in axes:
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    for ax, name in zip(axes, names, strict=False):
        values = np.asarray(params[name], dtype=float)
        if ranges and name in ranges:
            ax.axvspan(*ranges[name], color="0.5", alpha=0.12, zorder=0, label=range_label)
        ax.scatter(values, scores, s=14, marker=searched.marker,
                   color=shade(searched.color, -0.65), label="all trials")
        ax.scatter(values[best], scores[best], s=20, marker=searched.marker,
                   color=searched.color, label=f"best {top}")
        ax.set_xscale("log")
        ax.set(xlabel=_log_axis_label(name), ylabel="validation accuracy", ylim=(0, 1),
               title=f"score against {name}")
        ax.legend(fontsize=7, loc="lower left" if scores.mean() > 0.5 else "upper left")
    plane = axes[-1]
    points = plane.scatter(params[names[0]], params[names[1]], c=scores, cmap="viridis",
                           s=18, vmin=0, vmax=1, marker=searched.marker)
    plane.set_xscale("log")
    plane.set_yscale("log")
    plane.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    plane.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    plane.set(xlabel=_log_axis_label(names[0]), ylabel=_log_axis_label(names[1]),
              title="trials in the plane")
    plane.grid(False)
    fig.colorbar(points, ax=plane, label="validation accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_epochs(name: str, epochs: Sequence[int] | None,
                  curves: Sequence[Sequence[float]]) -> None:
    if epochs is None:
        return
    lengths = sorted({len(curve) for curve in curves})
    if any(length != len(epochs) for length in lengths):
        raise ValueError(f"{name} must give one epoch per point of every curve ({lengths} points), "
                         f"but got {len(epochs)} epochs")


def plot_top_curves(
    curves: Sequence[Sequence[float]],
    labels: Sequence[str],
    *,
    ncols: int = 5,
    title: str,
    epochs: Sequence[int] | None = None,
) -> Figure:
    """Small multiples of validation-accuracy curves (one panel per run, best first, shared
    axes), in the validation split's style.

    ``epochs`` gives the epoch of each point of a curve (e.g. ``[2, 4, ..., 50]`` for a run
    evaluated every 2 epochs); by default the points are epochs 1, 2, 3, ...

    Raises:
        ValueError: ``epochs`` whose length differs from a curve's.
    """
    _check_epochs("epochs", epochs, curves)
    nrows = max(1, -(-len(curves) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols, 1.55 * nrows + 0.6),
                             sharex=True, sharey=True)
    validation = SPLITS["validation"]
    for i, ax in enumerate(np.atleast_1d(axes).flat):
        if i >= len(curves):
            ax.axis("off")
            continue
        x = np.arange(1, len(curves[i]) + 1) if epochs is None else np.asarray(epochs)
        ax.plot(x, curves[i], color=validation.color, linestyle=validation.linestyle,
                linewidth=1.2)
        ax.set_title(labels[i], fontsize=7)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    fig.supxlabel("epoch", fontsize=9)
    fig.supylabel("validation accuracy", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_optimism(
    optimism: Mapping[str, Sequence[float]],
    *,
    title: str = "Reported test accuracy minus accuracy on fresh data",
    fresh: Mapping[str, Sequence[float]] | None = None,
    marks: Mapping[str, float] | None = None,
) -> Figure:
    """Histograms of ``reported - fresh`` accuracy (in points) for several ways of picking
    a model (chosen on the test set vermillion, on validation green), with each mean
    marked.

    With ``fresh`` (the same names -> the picked model's accuracy on fresh data, per draw),
    a second panel shows those accuracies in percent, so that how good the *pick* is can be
    told apart from how honest its *report* is; ``marks`` draws labelled vertical lines
    there (e.g. one fixed model's fresh accuracy).

    Raises:
        ValueError: ``fresh`` names a way of picking that ``optimism`` does not have.
    """
    if fresh is not None and set(fresh) - set(optimism):
        raise ValueError(f"fresh must use the names of optimism {sorted(optimism)}, but got "
                         f"{sorted(fresh)}")
    panels = 1 if fresh is None else 2
    fig, axes = plt.subplots(1, panels, figsize=(6.6 * panels, 3.5), squeeze=False)
    ax = axes[0, 0]
    styles = series_styles(optimism, prefer=_PREFER)
    _histograms(ax, {k: 100 * np.asarray(v, dtype=float) for k, v in optimism.items()}, styles,
                signed=True)
    ax.axvline(0, color="k", linewidth=0.8, linestyle=":")
    ax.set(xlabel="optimism = reported - fresh (percentage points)", ylabel="draws",
           title=title if fresh is None else "how far the report is from the truth")
    ax.legend(fontsize=8, loc="upper left")
    if fresh is not None:
        right = axes[0, 1]
        _histograms(right, {k: 100 * np.asarray(v, dtype=float) for k, v in fresh.items()},
                    styles, signed=False)
        for i, (label, value) in enumerate((marks or {}).items()):
            right.axvline(100 * value, color="k", linewidth=1.2, linestyle=("--", ":", "-.")[i % 3],
                          label=f"{label}: {100 * value:.1f}")
        right.set(xlabel="accuracy of the picked network on fresh data (%)", ylabel="draws",
                  title="how good the pick is")
        right.legend(fontsize=8, loc="upper left")
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def _histograms(ax: Axes, values: Mapping[str, np.ndarray], styles: Mapping[str, MethodStyle], *,
                signed: bool) -> None:
    """Overlaid histograms on shared bins, each with its mean as a vertical line."""
    pooled = np.concatenate(list(values.values()))
    bins = np.linspace(pooled.min(), pooled.max(), 31)
    number = "+.1f" if signed else ".1f"
    for name, points in values.items():
        color = styles[name].color
        ax.hist(points, bins=bins, alpha=0.5, color=color, label=f"{name}: mean {points.mean():{number}}")
        ax.axvline(points.mean(), color=color, linewidth=2)


def plot_decade_shares(
    decades: Sequence[str],
    shares: Mapping[str, Sequence[float]],
    *,
    title: str,
) -> Figure:
    """Grouped bars from 0: the share of samples that falls into each decade, per sampler
    (uniform purple, log-uniform the random-search blue)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.3))
    width = 0.8 / len(shares)
    styles = series_styles(shares, prefer=_PREFER)
    for j, (name, values) in enumerate(shares.items()):
        xs = np.arange(len(decades)) + (j - (len(shares) - 1) / 2) * width
        ax.bar(xs, values, width=width, color=styles[name].color, label=name)
        for x, value in zip(xs, values, strict=True):
            ax.text(x, value + 0.01, f"{value:.1%}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(decades)), decades)
    ax.set(xlabel="decade of the learning rate", ylabel="share of samples", title=title,
           ylim=(0, 1.05))
    ax.legend()
    return fig


def plot_best_found(
    best: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str = "best validation accuracy found",
) -> Figure:
    """The best score each search found, one dot per repetition (in the search's style)
    and a black bar for the mean, per search method, on a 0-1 axis."""
    fig, ax = plt.subplots(figsize=(1.7 * len(best) + 2.6, 3.4))
    styles = series_styles(best, prefer=_PREFER)
    for i, (name, values) in enumerate(best.items()):
        values = np.asarray(values, dtype=float)
        jitter = np.linspace(-0.15, 0.15, len(values))
        ax.scatter(i + jitter, values, s=16, marker=styles[name].marker,
                   color=styles[name].color, alpha=0.8)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color="k", linewidth=2)
        ax.text(i + 0.32, values.mean(), f"{values.mean():.3f}", va="center", fontsize=8)
    ax.set_xticks(range(len(best)), list(best))
    ax.set_xlim(-0.5, len(best) - 0.2)
    ax.set(xlabel="search method (one dot per repetition, bar: mean)", ylabel=ylabel,
           title=title, ylim=(0, 1))
    return fig


def plot_grid_vs_random(
    layouts: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    names: tuple[str, str],
    background: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
    title: str = "The same budget, laid out as a grid or at random",
) -> Figure:
    """Bergstra & Bengio's picture: for each layout, the trials in the plane of an
    important (x) and an unimportant (y) hyperparameter, with the score of each trial
    projected onto both axes (top: score against x; right: score against y). Grey dots
    (``background``: x, y, score of many other trials) show the response. Layouts are
    drawn in their sampler's style; all layouts share their axis limits."""
    fig = plt.figure(figsize=(5.6 * len(layouts), 4.9))
    outer = fig.add_gridspec(1, len(layouts), wspace=0.3)
    styles = series_styles(layouts, prefer=_PREFER)
    mains, tops, sides = [], [], []
    for i, (label, (xs, ys, scores)) in enumerate(layouts.items()):
        inner = outer[i].subgridspec(2, 2, width_ratios=(3, 1), height_ratios=(1, 3),
                                     wspace=0.12, hspace=0.06)
        main = fig.add_subplot(inner[1, 0])
        top = fig.add_subplot(inner[0, 0], sharex=main)
        side = fig.add_subplot(inner[1, 1], sharey=main)
        mains.append(main), tops.append(top), sides.append(side)
        if background is not None:
            top.scatter(background[0], background[2], s=4, color="0.8")
            side.scatter(background[2], background[1], s=4, color="0.8")
        points = {"s": 40, "color": styles[label].color, "marker": styles[label].marker,
                  "edgecolors": "k", "linewidths": 0.5}
        main.scatter(xs, ys, **points)
        top.scatter(xs, scores, **{**points, "s": 30})
        side.scatter(scores, ys, **{**points, "s": 30})
        main.set_xscale("log")
        main.set_yscale("log")
        main.set(xlabel=f"{names[0]} (important, log scale)",
                 ylabel=f"{names[1]} (barely matters, log scale)")
        top.set_ylabel("val acc", fontsize=8)
        top.set_title(f"{label}: {len(set(np.round(np.log10(xs), 6)))} distinct {names[0]} "
                      f"values; best {max(scores):.3f}", color=styles[label].color)
        side.set_xlabel("val acc", fontsize=8)
        side.set_xticks([0.4, 0.8])
        top.set_yticks([0.4, 0.8])
        top.tick_params(labelbottom=False)
        side.tick_params(labelleft=False)
    share_limits(mains)
    share_limits(tops, x=False)
    share_limits(sides, y=False)
    fig.suptitle(title)
    return fig


def plot_halving(
    curves: Sequence[Sequence[float]],
    resources: Sequence[int],
    candidates: Sequence[Sequence[int]],
    *,
    title: str,
    epochs: Sequence[int] | None = None,
) -> Figure:
    """Successive halving on recorded curves: every run in light grey, and the runs still
    in the race drawn up to the budget of the rung they reached, in successive halving's
    colour, lighter for early rungs and darker for later ones.

    ``epochs`` gives the epoch of each point of a curve (default 1, 2, 3, ...); a rung's
    runs are drawn up to the last point at or before its budget.

    Raises:
        ValueError: ``epochs`` whose length differs from a curve's.
    """
    _check_epochs("epochs", epochs, curves)
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    for curve in curves:
        x = np.arange(1, len(curve) + 1) if epochs is None else np.asarray(epochs)
        ax.plot(x, curve, color="0.88", linewidth=0.7)
    base = style("successive halving").color
    shades = np.linspace(-0.6, 0.45, max(2, len(resources)))
    for rung, (resource, members) in enumerate(zip(resources, candidates, strict=True)):
        color = shade(base, shades[rung]) if shades[rung] else base
        for member in members:
            x = np.arange(1, len(curves[member]) + 1) if epochs is None else np.asarray(epochs)
            shown = x <= resource
            ax.plot(x[shown], np.asarray(curves[member], dtype=float)[shown], color=color,
                    linewidth=0.9)
        ax.axvline(resource, color=color, linestyle="-.", linewidth=0.9,
                   label=f"rung {rung}: {len(members)} runs to epoch {resource}")
    ax.set(xlabel="epoch", ylabel="validation accuracy", title=title, ylim=(0, 1))
    ax.legend(fontsize=7, loc="upper left")
    return fig


def plot_budget_bars(
    epochs: Mapping[str, float],
    best: Mapping[str, float],
    *,
    title: str,
    score_label: str = "best",
    intervals: Mapping[str, tuple[float, float]] | None = None,
    interval_label: str | None = None,
) -> Figure:
    """Epochs spent by each search strategy (bars from 0 in the strategy's colour),
    annotated with a score of each strategy: ``score_label`` names it (e.g. "held-out
    accuracy of the pick"), and ``intervals`` adds its ``(low, high)`` interval, which
    ``interval_label`` names (e.g. "95 % CI") on the line below.

    Raises:
        ValueError: ``interval_label`` without ``intervals``.
    """
    if interval_label is not None and intervals is None:
        raise ValueError(f"interval_label needs intervals, but got interval_label={interval_label!r} "
                         "and intervals=None")
    fig, ax = plt.subplots(figsize=(1.9 * len(epochs) + 1.6, 3.5))
    names = list(epochs)
    styles = series_styles(names, prefer=_PREFER)
    ax.bar(names, [epochs[n] for n in names], color=[styles[n].color for n in names])
    for i, name in enumerate(names):
        text = f"{epochs[name]:,.0f} epochs\n{score_label}\n{best[name]:.3f}"
        if intervals is not None and name in intervals:
            low, high = intervals[name]
            text += f" ({low:.3f}-{high:.3f})"
            if interval_label is not None:
                text += f"\n{interval_label}"
        ax.text(i, epochs[name], text, ha="center", va="bottom", fontsize=7.5)
    ax.set(xlabel="search strategy", ylabel="epochs trained, all trials", title=title)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylim(0, (1.4 if interval_label is None else 1.6) * max(epochs.values()))
    return fig


def plot_cv_scores(
    scores: Tensor | np.ndarray,
    labels: Sequence[str],
    wins: Mapping[str, Sequence[int]],
    *,
    title: str,
    what: Spread = "sd",
) -> Figure:
    """Left: each configuration's accuracy on every fold (grey dots) with the mean ± sd
    over folds (``what="ci"``: 95 % t interval), in k-fold cross-validation's style; right:
    the share of its splits (or draws) in which each configuration wins, with one split
    versus with the k-fold mean (``wins``: counts per configuration, turned into shares so
    that series with different numbers of splits can be compared)."""
    scores = np.asarray(scores, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.5))
    for i, row in enumerate(scores):
        left.scatter(np.full(len(row), i) + np.linspace(-0.12, 0.12, len(row)), row, s=14,
                     color="0.6", label="one fold" if i == 0 else None)
    summaries = [summarize_values(row) for row in scores]
    errorbars(left, np.arange(len(scores)), summaries, what=what,
              method="k-fold cross-validation", label="k-fold", unit="folds", linestyle="none")
    left.set_xticks(range(len(labels)), labels, fontsize=8)
    left.set(xlabel="configuration", ylabel="validation accuracy",
             title="per fold (grey) and over the folds")
    left.legend(fontsize=7, loc="lower right")
    width = 0.8 / len(wins)
    styles = series_styles(wins, prefer=_PREFER)
    for j, (name, counts) in enumerate(wins.items()):
        xs = np.arange(len(labels)) + (j - (len(wins) - 1) / 2) * width
        counts = np.asarray(counts, dtype=float)
        right.bar(xs, counts / max(counts.sum(), 1.0), width=width, color=styles[name].color,
                  label=name)
    right.set_xticks(range(len(labels)), labels, fontsize=8)
    right.set(xlabel="configuration", ylabel="share ranked first", ylim=(0, 1.3),
              title="which configuration wins")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_cv_stability(
    errors: Mapping[str, Tensor | np.ndarray],
    picks: Mapping[str, Sequence[int]],
    labels: Sequence[str],
    *,
    best: int,
    title: str,
) -> Figure:
    """How well a single split and k-fold cross-validation estimate and choose, over
    repeated draws of little data.

    Left: for each configuration, every draw's estimation error (the validation estimate
    minus the accuracy of the same networks on new data, in points) of each method, with
    its mean ± sd over the draws and a reference line at 0. Right: the share of the draws
    in which each method picked each configuration, bars from 0 to 1; the configuration
    that is best on new data (``best``) is marked. Single split grey, k-fold green.

    Args:
        errors: method -> a ``(draws, configurations)`` array of errors, accuracies in [0, 1].
        picks: method (the same names) -> the index of the configuration picked in each draw.
        labels: one name per configuration.
        best: the index of the configuration that is best on new data.
        title: the figure's title.

    Raises:
        ValueError: no methods, ``picks`` with other names than ``errors``, arrays that are
            not ``(draws, len(labels))`` or have fewer than 2 draws, picks out of range or
            not one per draw, or ``best`` out of range.
    """
    if not errors:
        raise ValueError("errors must hold at least one method, but got none")
    if set(picks) != set(errors):
        raise ValueError(f"picks must name the methods of errors {sorted(errors)}, but got "
                         f"{sorted(picks)}")
    if not 0 <= best < len(labels):
        raise ValueError(f"best must index one of the {len(labels)} configurations, but got {best}")
    arrays = {name: np.asarray(value, dtype=float) for name, value in errors.items()}
    for name, array in arrays.items():
        if array.ndim != 2 or array.shape[1] != len(labels) or array.shape[0] < 2:
            raise ValueError(f"errors[{name!r}] must have shape (draws >= 2, {len(labels)}), "
                             f"but got {array.shape}")
        chosen = np.asarray(picks[name])
        if chosen.shape != (array.shape[0],) or chosen.min() < 0 or chosen.max() >= len(labels):
            raise ValueError(f"picks[{name!r}] must hold one configuration index in "
                             f"[0, {len(labels)}) per draw ({array.shape[0]}), but got "
                             f"{chosen.tolist()}")
    styles = series_styles(arrays, prefer=_PREFER)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.4, 3.9))
    width = 0.7 / len(arrays)
    for j, (name, array) in enumerate(arrays.items()):
        offset = (j - (len(arrays) - 1) / 2) * width
        for i in range(len(labels)):
            left.scatter(i + offset + np.linspace(-0.06, 0.06, len(array)), 100 * array[:, i],
                         s=10, color=shade(styles[name].color, -0.5), zorder=2)
        summaries = [summarize_values(100 * array[:, i]) for i in range(len(labels))]
        errorbars(left, np.arange(len(labels)) + offset + 0.12, summaries, what="sd",
                  method=styles[name], label=name, unit="draws", linestyle="none")
        shares = np.bincount(np.asarray(picks[name]), minlength=len(labels)) / len(array)
        right.bar(np.arange(len(labels)) + offset, shares, width=width, color=styles[name].color,
                  label=name)
        for i, value in enumerate(shares):
            right.text(i + offset, value + 0.02, f"{value:.0%}", ha="center", va="bottom", fontsize=7)
    left.axhline(0, color="k", linewidth=0.8, linestyle=":")
    low, high = left.get_ylim()
    left.set_ylim(low - 0.3 * (high - low), high)  # room for the legend below the dots
    left.set_xticks(range(len(labels)), labels, fontsize=8)
    left.set(xlabel="configuration", ylabel="estimate - accuracy on new data (points)",
             title="estimation error of each draw")
    left.legend(fontsize=7, loc="lower left")
    marked = [f"{label}\n(best on new data)" if i == best else label for i, label in enumerate(labels)]
    right.set_xticks(range(len(labels)), marked, fontsize=8)
    right.set(xlabel="configuration", ylabel="share of the draws", ylim=(0, 1.35),
              title="which configuration each method picks")
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_STATES = {"COMPLETE": other_style(0), "PRUNED": style("successive halving"),
           "FAIL": MethodStyle("#000000", "x"), "RUNNING": other_style(3)}
_STATE_LABELS = {"COMPLETE": "complete: value after the last epoch",
                 "PRUNED": "pruned: last value reported before it was stopped",
                 "FAIL": "failed: no value (drawn below the axis)",
                 "RUNNING": "running: no value yet (drawn below the axis)"}
_NO_VALUE = -0.08


def plot_study_trials(
    numbers: Sequence[int],
    values: Sequence[float | None],
    states: Sequence[str],
    *,
    title: str,
    steps: Sequence[int | None] | None = None,
) -> Figure:
    """The value of every trial of a study against its number, one colour and marker per
    state, each state's legend entry saying what its points mean: complete trials at their
    final value; pruned trials (in successive halving's style: its pruner stopped them) at
    the last value they reported, which is an early-epoch value, not a final one (``steps``:
    the epoch of that value, written beside each pruned point); trials without a value
    (failed, still running) on a strip below the axis, never at 0.

    Raises:
        ValueError: ``numbers``, ``values``, ``states`` (and ``steps``) of different lengths.
    """
    lengths = {len(numbers), len(values), len(states)} | ({len(steps)} if steps is not None else set())
    if len(lengths) != 1:
        raise ValueError(f"numbers, values, states and steps must have one entry per trial, but "
                         f"got lengths {len(numbers)}, {len(values)}, {len(states)}"
                         + ("" if steps is None else f", {len(steps)}"))
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    epochs = steps if steps is not None else [None] * len(numbers)
    for state, marker in _STATES.items():
        picked = [(n, _NO_VALUE if v is None else v, e) for n, v, s, e in zip(
            numbers, values, states, epochs, strict=True) if s == state]
        if not picked:
            continue
        xs, ys, es = zip(*picked, strict=True)
        ax.scatter(xs, ys, marker=marker.marker, color=marker.color, label=_STATE_LABELS[state],
                   zorder=3)
        if state == "PRUNED":
            for x, y, e in zip(xs, ys, es, strict=True):
                if e is not None:
                    ax.annotate(f"epoch {e}", (x, y), textcoords="offset points", xytext=(5, -3),
                                fontsize=7, color=marker.color)
    ax.axhspan(-0.13, -0.03, color="0.92", zorder=0)
    ax.set_yticks([_NO_VALUE, 0, 0.2, 0.4, 0.6, 0.8, 1.0],
                  ["no value", "0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    ax.set(xlabel="trial number", ylabel="validation accuracy", title=title, ylim=(-0.13, 1.0))
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=2, frameon=False)
    fig.tight_layout()
    return fig


def plot_search_coverage(result: Mapping[str, object]) -> Figure:
    """The explorer's picture: grid and random points over an important axis (x) and an
    unimportant one (y), the response along x, and where each layout's points project;
    each layout in its sampler's style, both panels on the same axes."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
    for ax, layout in zip(axes, ("grid", "random"), strict=True):
        points = np.asarray(result[layout], dtype=float)
        sampler = find_style(layout, prefer=_PREFER) or other_style(0)
        ax.plot(result["curve_x"], result["curve_score"], color="0.4", label="score along x")
        ax.scatter(points[:, 0], points[:, 1], s=18, marker=sampler.marker, color=sampler.color,
                   label="trials")
        ax.scatter(points[:, 0], np.zeros(len(points)) - 0.04, marker="|", s=80,
                   color=sampler.color, label="projection on x")
        ax.set(xlabel="important hyperparameter x", title=(
            f"{layout}: {len(points)} trials, {result[layout + '_distinct']} distinct x, best "
            f"{result[layout + '_best']:.3f}"), xlim=(0, 1), ylim=(-0.08, 1.02))
        ax.title.set_color(sampler.color)
        ax.grid(False)
    axes[0].set_ylabel("unimportant hyperparameter y  /  score")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
