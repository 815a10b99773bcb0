"""Every figure the notebooks draw; the only module that imports matplotlib.

Functions take data (histories, tensors, tables) and return the matplotlib ``Figure`` so a
notebook can ``plt.show()`` it and a test can inspect its axes. Sections follow the
chapters. Figures carry a title, axis labels with units, and a legend when there is more
than one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.training import History

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def set_style() -> None:
    """The course's plot style: PNG output at a modest resolution, readable fonts, grids."""
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (6.4, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
        }
    )
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # outside IPython
        pass


def show_figure(fig: Figure) -> None:
    """Display ``fig`` in the notebook (or an explorer's output area) and close it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# Shared figures (chapter 00 and later)
# ---------------------------------------------------------------------------------------


def plot_digits(
    images: Tensor,
    labels: Sequence[int] | Tensor | None = None,
    *,
    ncols: int = 10,
    title: str = "",
    captions: Sequence[str] | None = None,
) -> Figure:
    """A grid of 28x28 digits (rows of ``ncols``) with their labels or captions."""
    if ncols < 1:
        raise ValueError(f"ncols must be positive, but got {ncols}")
    images = torch.as_tensor(images).reshape(-1, 28, 28)
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.9 * ncols, 1.05 * nrows + 0.4))
    for i, ax in enumerate(np.atleast_1d(axes).flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i].numpy(), cmap="gray_r", vmin=0, vmax=1)
        if captions is not None:
            ax.set_title(captions[i], fontsize=8)
        elif labels is not None:
            ax.set_title(str(int(labels[i])), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_counts(splits: Mapping[str, Tensor], *, title: str = "Images per class") -> Figure:
    """Grouped bars of the number of images of each digit in each split."""
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    width = 0.8 / max(1, len(splits))
    for i, (name, labels) in enumerate(splits.items()):
        counts = torch.bincount(torch.as_tensor(labels), minlength=10).numpy()
        ax.bar(np.arange(10) + i * width, counts, width=width, label=f"{name} ({counts.sum():,})")
    ax.set_xticks(np.arange(10) + width * (len(splits) - 1) / 2, [str(d) for d in range(10)])
    ax.set(xlabel="digit", ylabel="images", title=title)
    ax.legend()
    return fig


def plot_histories(
    histories: Mapping[str, History],
    *,
    metrics: Sequence[str] = ("train_acc", "val_acc"),
    title: str = "",
    ylabel: str = "accuracy",
    axes: Sequence[Axes] | None = None,
    val_name: str = "test",
) -> Figure:
    """Per-epoch curves of several runs: one colour per run, solid for training metrics,
    dashed for the held-out set (called ``val_name`` in the legend: "test" or "validation").
    """
    styles = {"train_acc": "-", "val_acc": "--", "train_loss": "-", "val_loss": "--"}
    if axes is None:
        fig, ax = plt.subplots()
    else:
        ax = axes[0]
        fig = ax.figure
    for color, (name, history) in zip(PALETTE * 4, histories.items(), strict=False):
        for metric in metrics:
            values = getattr(history, metric)
            split = val_name if metric.startswith("val") else "train"
            kind = metric.split('_')[-1]
            label = f"{name}: {split}" if len(metrics) <= 2 else f"{name}: {split} {kind}"
            ax.plot(history.epoch[: len(values)], values, styles.get(metric, "-"),
                    color=color, label=label)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend()
    return fig


def plot_mean_std_curves(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    runs: np.ndarray,
    *,
    label: str,
    color: str | None = None,
    linestyle: str = "-",
) -> None:
    """Draw the mean over runs (rows of ``runs``) with a shaded ±1 std band on ``ax``."""
    runs = np.asarray(runs, dtype=float)
    mean, std = runs.mean(axis=0), runs.std(axis=0)
    (line,) = ax.plot(x, mean, linestyle, color=color, label=label)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)


def plot_decision_boundary(
    ax: Axes,
    predict_proba: Callable[[Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    title: str = "",
    resolution: int = 150,
    sizes: Tensor | np.ndarray | None = None,
) -> None:
    """Shade a 2-D classifier's predicted class over the data's range and scatter the data.

    ``predict_proba`` maps ``(n, 2)`` points to ``(n, n_classes)`` probabilities; the
    shading shows the most likely class, its boundary is drawn in black. ``sizes`` sets
    marker areas (e.g. boosting's sample weights).
    """
    x_np, y_np = np.asarray(x), np.asarray(y)
    lo, hi = x_np.min(axis=0) - 0.5, x_np.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.c_[g0.ravel(), g1.ravel()], dtype=torch.float32)
    with torch.no_grad():
        pred = np.asarray(predict_proba(grid)).argmax(axis=1).reshape(g0.shape)
    n_classes = int(max(pred.max(), y_np.max())) + 1
    cmap = mpl.colors.ListedColormap(PALETTE[:n_classes])
    ax.contourf(g0, g1, pred, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.contour(g0, g1, pred, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=0.8)
    ax.scatter(x_np[:, 0], x_np[:, 1], c=y_np, cmap=cmap, s=12 if sizes is None else sizes,
               edgecolors="k", linewidths=0.3, vmin=-0.5, vmax=n_classes - 0.5)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.grid(False)


# ---------------------------------------------------------------------------------------
# Chapter 01: initialization
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 02: weight decay
# ---------------------------------------------------------------------------------------


def plot_accuracy_bands(
    epochs: Sequence[int] | np.ndarray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    title: str = "",
    ylabel: str = "accuracy",
) -> Figure:
    """Mean ± 1 std over seeds of train (solid) and test (dashed) curves, one colour per
    condition.

    Args:
        epochs: the evaluated epochs (x axis).
        runs: ``{condition: {"train": seeds x epochs, "test": seeds x epochs}}``; any key
            other than ``"train"`` is drawn dashed and named in the legend.
    """
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    for color, (condition, curves) in zip(PALETTE * 4, runs.items(), strict=False):
        for split, values in curves.items():
            plot_mean_std_curves(ax, np.asarray(epochs), np.asarray(values),
                                 label=f"{condition}: {split}", color=color,
                                 linestyle="-" if split == "train" else "--")
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend(loc="lower right")
    return fig


def plot_decision_boundaries(
    panels: Mapping[str, Callable[[Tensor], Tensor]],
    x: Tensor,
    y: Tensor,
    *,
    suptitle: str = "",
    resolution: int = 150,
) -> Figure:
    """Side-by-side decision regions of several 2-D classifiers on the same data.

    Args:
        panels: ``{panel title: predict_proba}``, each mapping ``(n, 2)`` points to class
            probabilities.
        x, y: the training points and labels drawn on every panel.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.5), squeeze=False)
    for ax, (title, predict_proba) in zip(axes[0], panels.items(), strict=True):
        plot_decision_boundary(ax, predict_proba, x, y, title=title, resolution=resolution)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _lambda_axis_positions(lambdas: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """x positions on a log axis, with λ = 0 drawn one decade left of the smallest λ > 0."""
    positive = [lam for lam in lambdas if lam > 0]
    zero_at = min(positive) / 10 if positive else 1.0
    positions = np.array([lam if lam > 0 else zero_at for lam in lambdas], dtype=float)
    labels = [f"{lam:g}" for lam in lambdas]
    return positions, labels


def plot_lambda_sweep(
    lambdas: Sequence[float],
    val_acc: np.ndarray,
    *,
    train_acc: np.ndarray | None = None,
    chosen: float | None = None,
    title: str = "Choosing λ on the validation set",
) -> Figure:
    """Validation (and training) accuracy against λ on a log axis, mean ± std over seeds.

    Args:
        lambdas: the λ values (0 allowed: drawn at the left, labelled 0).
        val_acc: ``seeds x len(lambdas)`` validation accuracies.
        train_acc: optional ``seeds x len(lambdas)`` training accuracies.
        chosen: the selected λ, marked by a vertical line.
    """
    positions, labels = _lambda_axis_positions(lambdas)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    series = [("validation", val_acc, "o-")] + ([("train", train_acc, "s--")]
                                                 if train_acc is not None else [])
    for name, values, style in series:
        values = np.asarray(values, dtype=float)
        ax.errorbar(positions, values.mean(axis=0), yerr=values.std(axis=0), fmt=style,
                    capsize=3, label=f"{name} (mean ± std, {len(values)} seeds)")
    if chosen is not None:
        ax.axvline(positions[list(lambdas).index(chosen)], color="k", linestyle=":",
                   label=f"chosen λ = {chosen:g}")
    ax.set_xscale("log")
    ax.set_xticks(positions, labels)
    ax.minorticks_off()
    ax.set(xlabel="λ (L2 coefficient, log scale; 0 = no decay)", ylabel="accuracy", title=title)
    ax.legend()
    return fig


def plot_weight_histograms(
    weights: Mapping[str, Tensor], *, tol: float = 1e-3, value_range: float = 0.3
) -> Figure:
    """Two views of each condition's weights: their values, and log10 of their magnitude.

    The left panel is a histogram of :math:`w` (log count axis); the right one of
    :math:`\\log_{10}|w|` for the non-zero weights, with the share of exact zeros in the
    legend (they have no logarithm) and ``tol`` marked.

    Args:
        weights: ``{condition: all weights as one flat tensor}``.
        tol: the sparsity threshold to mark.
        value_range: the left panel shows ``[-value_range, value_range]``.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.6))
    value_bins = np.linspace(-value_range, value_range, 121)
    log_bins = np.linspace(-9, 0, 91)
    for color, (name, w) in zip(PALETTE * 4, weights.items(), strict=False):
        w = np.asarray(torch.as_tensor(w).detach().flatten(), dtype=float)
        left.hist(np.clip(w, -value_range, value_range), bins=value_bins, histtype="step",
                  color=color, label=name)
        nonzero = np.abs(w[w != 0])
        zeros = 1 - len(nonzero) / len(w)
        right.hist(np.log10(np.clip(nonzero, 1e-9, None)), bins=log_bins, histtype="step",
                   color=color, label=f"{name} (exact zeros: {zeros:.0%})")
    left.set_yscale("log")
    left.set(xlabel="weight value w (clipped to the range)", ylabel="number of weights",
             title="Weight values")
    right.axvline(np.log10(tol), color="k", linestyle=":", label=f"|w| = {tol:g}")
    right.set(xlabel="log10 |w|  (non-zero weights)", ylabel="number of weights",
              title="Weight magnitudes")
    left.legend(loc="upper right")
    right.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_input_weight_maps(
    maps: Mapping[str, Tensor], *, title: str = "", shape: tuple[int, int] = (28, 28)
) -> Figure:
    """One image per condition of a per-input quantity (e.g. first-layer column norms).

    Each panel has its own colour scale, from 0 to its maximum, with a colour bar.
    """
    fig, axes = plt.subplots(1, len(maps), figsize=(2.9 * len(maps), 2.9), squeeze=False)
    for ax, (name, values) in zip(axes[0], maps.items(), strict=True):
        image = np.asarray(torch.as_tensor(values).detach(), dtype=float).reshape(shape)
        shown = ax.imshow(image, cmap="magma", vmin=0, vmax=max(image.max(), 1e-12))
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_weight_norm_curves(
    epochs: Sequence[int] | np.ndarray,
    norms: Mapping[str, np.ndarray],
    *,
    title: str = "Weight norm during training",
    ylabel: str = "‖w‖₂ of all weights",
) -> Figure:
    """Mean ± 1 std over seeds of a norm per evaluated epoch, one line per condition.

    Args:
        epochs: the evaluated epochs.
        norms: ``{condition: seeds x epochs}``.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for color, (name, values) in zip(PALETTE * 4, norms.items(), strict=False):
        plot_mean_std_curves(ax, np.asarray(epochs), np.asarray(values), label=name, color=color)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend()
    return fig


# ---------------------------------------------------------------------------------------
# Chapter 03: ensembles and boosting
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 04: dropout
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 05: batch normalization
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Chapter 06: hyperparameter search
# ---------------------------------------------------------------------------------------
