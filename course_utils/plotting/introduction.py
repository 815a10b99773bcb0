"""Chapter 00 (introduction) figures, also used by later chapters.

=====================================  ================================================
figure                                 function
=====================================  ================================================
a grid of digits with labels           :func:`plot_digits` (00, 03 boosting weights)
images per class in each split         :func:`plot_class_counts` (00, 06)
per-epoch curves of several runs       :func:`plot_histories` (00, 04, explorers)
=====================================  ================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import SPLITS, line_kwargs, series_styles, split_of

if TYPE_CHECKING:
    from course_utils.training import History


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
    fig.suptitle(title or f"{len(images)} digits (28 x 28 pixels each)")
    fig.tight_layout()
    return fig


def plot_class_counts(splits: Mapping[str, Tensor], *, title: str = "Images per class") -> Figure:
    """Grouped bars of the number of images of each digit in each split.

    Splits keep the course's split styles: training solid, validation and test hatched.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    width = 0.8 / max(1, len(splits))
    for i, (name, labels) in enumerate(splits.items()):
        counts = torch.bincount(torch.as_tensor(labels), minlength=10).numpy()
        split = SPLITS[split_of(name) or "train"]
        ax.bar(np.arange(10) + i * width, counts, width=width, label=f"{name} ({counts.sum():,})",
               color="0.25" if not split.hatch else "white", edgecolor="0.25",
               hatch=split.hatch, linewidth=0.8)
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
    """Per-epoch curves of several runs: one colour per run (its method's, when the run's
    name names one), the split in the line style: solid for training metrics, dashed for
    validation, dotted for test (the held-out set is called ``val_name`` in the legend:
    "test" or "validation").
    """
    if axes is None:
        fig, ax = plt.subplots()
    else:
        ax = axes[0]
        fig = ax.figure
    held_out = split_of(val_name) or "test"
    styles = series_styles(histories)
    for name, history in histories.items():
        for metric in metrics:
            values = getattr(history, metric)
            split = held_out if metric.startswith("val") else "train"
            kind = metric.split("_")[-1]
            shown = val_name if metric.startswith("val") else "train"
            label = f"{name}: {shown}" if len(metrics) <= 2 else f"{name}: {shown} {kind}"
            kwargs = line_kwargs(styles[name], split=split, n_points=len(values))
            ax.plot(history.epoch[: len(values)], values, **{**kwargs, "label": label})
    ax.set(xlabel="epoch", ylabel=ylabel, title=title or f"{ylabel.capitalize()} per epoch")
    ax.legend()
    return fig
