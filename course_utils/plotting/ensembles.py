"""Chapter 03 (ensembles and boosting) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
majority vote: the binomial promise and reality        :func:`plot_vote_theory`
bootstrap (bagging) vs pasting draws                   :func:`plot_bootstrap_draws`
hard / soft vote / member vs ensemble size             :func:`plot_ensemble_size_curves`
bagged regression trees and their average              :func:`plot_bagged_regression`
error or accuracy against boosting rounds              :func:`plot_staged_curves`
training time against the number of members           :func:`plot_training_cost`
the explorer's boundary and staged accuracy            :func:`plot_ensemble_explorer`
=====================================================  ==================================

Decision regions side by side (boosting rounds) are drawn by
:func:`course_utils.plotting.shared.plot_decision_boundaries`.

Ways of building an ensemble (seeds, bagging, pasting, AdaBoost), of combining it (hard
vote, soft vote) and the single member keep their palette styles throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    Spread,
    find_style,
    line_kwargs,
    other_style,
    plot_decision_boundary,
    plot_mean_std_curves,
    series_styles,
    split_of,
    style,
)

_PREFER = ("ensembles",)


def plot_vote_theory(
    sizes: Sequence[int],
    independent: Sequence[float],
    measured: Mapping[str, Sequence[float]],
    wrong_counts: Sequence[int] | np.ndarray,
    independent_pmf: Sequence[float],
    disagreement: Tensor | np.ndarray,
    *,
    p: float,
    method: str = "seeds ensemble",
    ylabel: str = "test accuracy",
) -> Figure:
    """Why voting works, and why it works less than promised: three panels.

    Left: majority-vote accuracy against the number of members, for independent members
    (the binomial formula, a reference line; ``p`` is a fraction, printed as a percentage)
    and measured (``measured``: name -> accuracy per size, in the style of the vote it
    names).
    Middle: how many members get each test image wrong, measured (bars, in the style of
    the ensemble ``method``) against the binomial distribution of independent members
    (``independent_pmf``, dots).
    Right: the members' pairwise disagreement matrix.
    ``ylabel`` labels the left panel's accuracy axis (say the split and the unit).
    """
    fig, (ax_acc, ax_wrong, ax_dis) = plt.subplots(1, 3, figsize=(13, 3.8),
                                                   width_ratios=(1.2, 1.2, 0.9))
    ax_acc.plot(sizes, independent, marker="o", markersize=3, **REFERENCE,
                label=f"independent members, p = {100 * p:.1f} %")
    styles = series_styles(measured, prefer=_PREFER)
    for name, values in measured.items():
        ax_acc.plot(sizes, values, **line_kwargs(styles[name], n_points=len(values)))
    ax_acc.set(xlabel="number of members", ylabel=ylabel,
               title="Majority vote: promise and reality")
    ax_acc.legend(fontsize=8, loc="center right")
    counts = np.bincount(np.asarray(wrong_counts), minlength=len(independent_pmf))
    ks = np.arange(len(counts))
    ax_wrong.bar(ks, counts / counts.sum(), color=style(method).color, alpha=0.7,
                 label=f"measured ({style(method).label})")
    ax_wrong.plot(np.arange(len(independent_pmf)), independent_pmf, "o", color=REFERENCE["color"],
                  markersize=4, label="independent (binomial)")
    ax_wrong.set_yscale("log")
    ax_wrong.set(xlabel="members that misclassify the image", ylabel="fraction of test images",
                 title="Errors come together", ylim=(1e-4, 1.2))
    ax_wrong.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax_wrong.legend(fontsize=8)
    d = np.asarray(disagreement, dtype=float)
    image = ax_dis.imshow(100 * d, cmap="viridis", vmin=0)
    ax_dis.grid(False)
    ticks = np.arange(0, len(d), max(1, len(d) // 5))
    ax_dis.set_xticks(ticks, [str(t + 1) for t in ticks])
    ax_dis.set_yticks(ticks, [str(t + 1) for t in ticks])
    fig.colorbar(image, ax=ax_dis, label="disagreement (% of test images)", shrink=0.85)
    ax_dis.set(xlabel="member", ylabel="member", title="Pairwise disagreement")
    fig.tight_layout()
    return fig


def plot_bootstrap_draws(
    bagging_counts: Tensor | np.ndarray,
    pasting_counts: Tensor | np.ndarray,
    ratios: Sequence[float],
    distinct: Mapping[str, Sequence[float]],
) -> Figure:
    """Left: how often each training image is drawn into one member's sample (bagging vs
    pasting, with the Poisson(1) limit of bagging). Right: the fraction of distinct images
    against the sample size ``m/n``, measured (markers) and in theory (lines)."""
    fig, (ax_counts, ax_ratio) = plt.subplots(1, 2, figsize=(11, 3.6))
    bagging, pasting = style("bagging"), style("pasting")
    bag = np.bincount(np.asarray(bagging_counts), minlength=2)
    paste = np.bincount(np.asarray(pasting_counts), minlength=2)
    k = np.arange(len(bag))
    ax_counts.bar(k - 0.2, bag / bag.sum(), width=0.4, color=bagging.color,
                  label="bagging (with replacement)")
    ax_counts.bar(np.arange(len(paste)) + 0.2, paste / paste.sum(), width=0.4,
                  color=pasting.color, label="pasting (without), half-size")
    poisson = np.exp(-1.0) / np.cumprod(np.r_[1.0, np.arange(1.0, len(k))])  # e^-1 / k!
    ax_counts.plot(k - 0.2, poisson, "k.", markersize=8, label="Poisson(1): $e^{-1}/k!$")
    ax_counts.set(xlabel="times an image is drawn into one sample", ylabel="fraction of images",
                  title="One member's sample of n = 2000 images")
    ax_counts.legend(fontsize=8)
    r = np.linspace(0.05, 1.0, 50)
    ax_ratio.plot(r, 1 - np.exp(-r), color=bagging.color, label="bagging: $1 - e^{-m/n}$")
    ax_ratio.plot(r, r, color=pasting.color, label="pasting: $m/n$")
    styles = series_styles(distinct, prefer=_PREFER)
    for name, values in distinct.items():
        ax_ratio.plot(ratios, values, styles[name].marker, color=styles[name].color,
                      markersize=6, markeredgecolor="k", markeredgewidth=0.5,
                      label=f"{name}, measured")
    ax_ratio.axhline(1 - np.exp(-1.0), **REFERENCE)
    ax_ratio.text(0.05, 1 - np.exp(-1.0) + 0.02, "63.2 %", color=REFERENCE["color"], fontsize=8)
    ax_ratio.set(xlabel="sample size m / n", ylabel="fraction of distinct images",
                 title="Distinct images in a sample of size m", ylim=(0, 1.05))
    ax_ratio.legend(fontsize=8)
    fig.tight_layout()
    return fig


_VOTES = {"soft": ("soft vote", "soft vote"), "hard": ("hard vote", "hard vote"),
          "member": ("single member", "average member")}


def plot_ensemble_size_curves(
    sizes: Sequence[int],
    curves: Mapping[str, Mapping[str, np.ndarray]],
    *,
    title: str = "",
    what: Spread = "sd",
    unit: str = "repetitions",
    ylabel: str = "test accuracy",
) -> Figure:
    """One panel per way of building the ensemble (titled in its palette colour): soft
    vote, hard vote and the average member against the ensemble size, mean ± sd over
    repetitions (``what="ci"``: 95 % t interval), on one shared y axis labelled ``ylabel``
    (say which split the accuracy was measured on).

    ``curves``: ``{way: {"hard": (reps, K), "soft": (reps, K), "member": (reps, K)}}``.
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.6), sharey=True,
                             squeeze=False)
    for ax, (way, runs) in zip(axes[0], curves.items(), strict=True):
        for key in ("soft", "hard", "member"):
            method, label = _VOTES[key]
            plot_mean_std_curves(ax, np.asarray(sizes), np.asarray(runs[key]), label=label,
                                 method=method, what=what, unit=unit)
        found = find_style(way, prefer=_PREFER)
        ax.set_title(way, color=found.color if found else "k")
        ax.set(xlabel="members in the ensemble")
    axes[0, 0].set_ylabel(ylabel)
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.suptitle(title or "Accuracy against the number of members")
    fig.tight_layout()
    return fig


def plot_bagged_regression(
    x_grid: np.ndarray,
    member_predictions: np.ndarray,
    bagged: np.ndarray,
    truth: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    title: str = "",
) -> Figure:
    """Bagged regressors on a 1-D curve: every member (thin, the single member's grey),
    their average (thick, bagging's colour), the true function (reference line) and the
    noisy training points."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, prediction in enumerate(member_predictions):
        ax.plot(x_grid, prediction, color=style("single member").color, alpha=0.35,
                linewidth=0.8, label="members" if i == 0 else None)
    ax.plot(x_grid, bagged, color=style("bagging").color, linewidth=2.4,
            label="average of the members (bagging)")
    ax.plot(x_grid, truth, **{**REFERENCE, "linewidth": 1.6, "color": "k"}, label="true function")
    ax.scatter(x_train, y_train, s=12, color="k", alpha=0.6, label="training points")
    ax.set(xlabel="x", ylabel="y", title=title or "Bagging regressors: average, don't vote")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def plot_staged_curves(
    curves: Mapping[str, np.ndarray | Sequence[float]],
    *,
    ylabel: str,
    title: str,
    xlabel: str = "boosting round (members in the ensemble)",
    hlines: Mapping[str, float] | None = None,
    vlines: Mapping[str, float] | None = None,
    logx: bool = False,
    what: Spread = "sd",
    unit: str = "seeds",
) -> Figure:
    """Curves against the number of rounds or members: a 1-D array is one line, a 2-D
    ``(runs, K)`` array a mean ± sd band (``what="ci"``: 95 % t interval). A curve named
    after a method gets its style (``"AdaBoost ..."``, ``"bagging ..."``); one named
    after a split the split's (``"train error"`` solid, ``"validation error"`` dashed,
    ``"test error"`` dotted). ``hlines`` draws reference levels, in their method's colour
    when they name one; ``vlines`` marks rounds (e.g. the one chosen on validation)."""
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    styles = series_styles(curves, prefer=_PREFER, splits=True)
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        rounds = np.arange(1, values.shape[-1] + 1)
        if values.ndim == 2:
            plot_mean_std_curves(ax, rounds, values, label=name, method=styles[name],
                                 split=split_of(name), what=what, unit=unit)
        else:
            ax.plot(rounds, values, **line_kwargs(styles[name], split=split_of(name),
                                                  n_points=len(values)))
    for i, (name, level) in enumerate((hlines or {}).items()):
        found = find_style(name, prefer=_PREFER) or other_style(len(curves) + i)
        ax.axhline(level, color=found.color, linestyle="-.", linewidth=1.4, label=name)
    for name, position in (vlines or {}).items():
        ax.axvline(position, **{**REFERENCE, "linestyle": ":", "linewidth": 1.4}, label=name)
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))  # 1, 10, 100
    else:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))  # whole rounds
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return fig


def plot_training_cost(
    n_members: Sequence[int],
    seconds: Mapping[str, Sequence[float]],
    *,
    title: str = "Training cost grows with the number of members",
    relative: bool = False,
) -> Figure:
    """Measured training time against the number of members, one line per method (or
    member size). With ``relative``, each line is divided by its first value (the time of
    the smallest ensemble, usually one member) and a dashed line marks exact proportionality
    (``M`` members cost ``M`` times one)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    styles = series_styles(seconds, prefer=_PREFER)
    counts = np.asarray(n_members, dtype=float)
    for name, values in seconds.items():
        values = np.asarray(values, dtype=float)
        ax.plot(counts, values / values[0] if relative else values, **line_kwargs(styles[name]))
    if relative:
        ax.plot(counts, counts / counts[0], **{**REFERENCE, "linestyle": "--", "linewidth": 1.2},
                label="proportional to the members")
        first = "one member" if n_members[0] == 1 else f"{n_members[0]:g} members"
        ax.set(ylabel=f"training time / time of {first}")
    else:
        ax.set(ylabel="training time (s)")
    ax.set(xlabel="members", title=title, ylim=(0, None))
    ax.legend(fontsize=8)
    return fig


def plot_ensemble_explorer(result: Mapping[str, object]) -> Figure:
    """The chapter 03 explorer: the ensemble's boundary on the training set (left) and its
    train (solid) / held-out accuracy against the number of members (right), in the
    colour of its method.

    The held-out curve is ``result["val_curve"]`` (validation points, dashed) when given,
    else ``result["test_curve"]`` (dotted). The x axis counts members in whole numbers, and
    the left title says when boosting stopped before the requested number of members."""
    fig, (ax, ax_curve) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(1, 1.3))
    model = result["model"]
    asked, fitted = int(result["n_estimators"]), len(result["train_curve"])
    members = (f"{asked} members" if fitted == asked
               else f"{asked} members asked, {fitted} fitted (boosting stopped)")
    plot_decision_boundary(ax, lambda g: model.predict_proba(g.numpy()), result["x_train"],
                           result["y_train"], resolution=100,
                           title=f"{result['method']}, {members}, depth {result['max_depth']}")
    ax.title.set_fontsize(9)
    method = find_style(str(result["method"]), prefer=_PREFER) or other_style(0)
    rounds = np.arange(1, fitted + 1)
    held_out = ("validation", result["val_curve"]) if "val_curve" in result else (
        "test", result["test_curve"])
    for split, curve in (("train", result["train_curve"]), held_out):
        kwargs = line_kwargs(method, split=split, n_points=len(rounds))
        ax_curve.plot(rounds, 100 * np.asarray(curve, dtype=float), **{**kwargs, "label": split})
    ax_curve.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax_curve.set(xlabel="members in the ensemble", ylabel="accuracy (%)", ylim=(50, 101),
                 title=f"train {100 * result['train_curve'][-1]:.1f} %, "
                       f"{held_out[0]} {100 * held_out[1][-1]:.1f} %")
    ax_curve.legend(loc="lower right")
    fig.tight_layout()
    return fig
