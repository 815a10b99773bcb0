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
) -> Figure:
    """Per-epoch curves of several runs: one colour per run, one line style per metric."""
    styles = {"train_acc": "-", "val_acc": "--", "train_loss": "-", "val_loss": "--"}
    if axes is None:
        fig, ax = plt.subplots()
    else:
        ax = axes[0]
        fig = ax.figure
    for color, (name, history) in zip(PALETTE * 4, histories.items(), strict=False):
        for metric in metrics:
            values = getattr(history, metric)
            label = f"{name}, {metric.replace('_', ' ').replace('val', 'test/val')}"
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
