"""Chapter 00 (introduction) figures, also used by later chapters.

=====================================  ================================================
figure                                 function
=====================================  ================================================
a grid of digits with labels           :func:`plot_digits` (00, 03 boosting weights)
images per class in each split         :func:`plot_class_counts` (00, 06)
per-seed results of one or two         :func:`plot_seed_spread` (00, "How the course
recipes, their mean ± sd and the       reports results")
paired difference with its 95 % CI
train and test accuracy against width  :func:`plot_capacity_sweep` (00)
=====================================  ================================================

The chapter's training curves (train and test accuracy per epoch) are drawn by
:func:`course_utils.plotting.shared.plot_train_test_curves`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    REFERENCE,
    SPLITS,
    MethodStyle,
    SummaryLike,
    errorbars,
    other_style,
    split_of,
)


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
    ax.set_ylim(top=ax.get_ylim()[1] * 1.25)  # room for the legend above the bars
    ax.legend(loc="upper center", ncols=len(splits), fontsize=8)
    return fig


def plot_seed_spread(
    arms: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    scale: float = 100.0,
    ylabel: str = "test accuracy (%)",
) -> Figure:
    """Per-seed results of one or two training recipes run on the same seeds.

    Left panel: each seed's result as a point, with each arm's mean ± sd (ddof = 1, from
    :func:`course_utils.stats.summarize`) as an error bar beside its points; with two arms,
    seed ``i`` of both is joined by a thin grey line (the arms share seeds). With two arms a
    right panel shows the per-seed differences ``second - first`` with their mean and 95 %
    t interval (:func:`course_utils.stats.paired_difference`) and a reference line at 0.

    Args:
        arms: name -> one value per seed (the same seeds in the same order for every arm);
            one or two arms.
        title: the figure's title.
        scale: factor for the values on the axes (100 shows accuracies in percent and
            differences in points).
        ylabel: the left panel's y label.

    Raises:
        ValueError: not one or two arms, or arms of different lengths.
    """
    from course_utils.stats import paired_difference, summarize

    if not 1 <= len(arms) <= 2:
        raise ValueError(f"arms must hold one or two recipes, but got {len(arms)}")
    values = {name: np.asarray(v, dtype=float) * scale for name, v in arms.items()}
    lengths = sorted({len(v) for v in values.values()})
    if len(lengths) != 1:
        raise ValueError("every arm must have one value per seed (the same seeds), "
                         f"but got lengths {lengths}")
    paired = len(values) == 2
    fig, axes = plt.subplots(1, 2 if paired else 1, figsize=(9.6 if paired else 5.0, 3.8),
                             gridspec_kw={"width_ratios": [1.3, 1]} if paired else None)
    ax = axes[0] if paired else axes
    positions = np.arange(len(values), dtype=float)
    if paired:
        pairs = np.vstack(list(values.values()))
        ax.plot(np.repeat(positions[:, None], pairs.shape[1], axis=1), pairs, color="0.8",
                linewidth=0.8, zorder=1)
    for i, (position, (name, v)) in enumerate(zip(positions, values.items(), strict=True)):
        arm_style = other_style(i, name)
        ax.scatter(np.full(len(v), position), v, color=arm_style.color, marker=arm_style.marker,
                   s=22, zorder=2, label=f"{name}: one point per seed")
        errorbars(ax, [position + 0.2], [summarize(v)], what="sd", method=arm_style, label=name,
                  linestyle="none")
    ax.set_xticks(positions, list(values))
    ax.set_xlim(-0.4, len(values) - 0.4)
    ax.set(ylabel=ylabel, title="each recipe over seeds")
    ax.legend(fontsize=8, loc="best")
    if paired:
        (first_name, first), (second_name, second) = values.items()
        right = axes[1]
        right.axhline(0.0, **REFERENCE, label="no difference")
        right.scatter(np.zeros(len(first)), second - first, color="0.35", marker="o", s=22,
                      zorder=2, label="one point per seed")
        errorbars(right, [0.2], [paired_difference(second, first)], what="ci",
                  method=MethodStyle("black", "D"), label="paired difference",
                  linestyle="none")
        right.set_xticks([0.0], [f"{second_name} minus {first_name}"])
        right.set_xlim(-0.4, 0.6)
        right.set(ylabel="difference (points)" if scale == 100 else "difference",
                  title="per-seed difference")
        right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16))  # off the zero line
    fig.suptitle(title or f"{lengths[0]} seeds per recipe")
    fig.tight_layout()
    return fig


def plot_capacity_sweep(
    widths: Sequence[int],
    train: Sequence[SummaryLike],
    test: Sequence[SummaryLike],
    *,
    title: str = "",
    scale: float = 100.0,
    chance: float | None = 0.1,
    chance_label: str = "chance",
    what: Literal["sd", "ci"] = "sd",
    held_out: str = "test",
    notes: Mapping[int, str] | None = None,
) -> Figure:
    """Training and held-out accuracy against the number of hidden units (log axis).

    Each point is the mean over seeds of one width (a :class:`course_utils.stats.Summary`
    per width, e.g. from ``summarize``) with its spread as an error bar (``what``: ``"sd"``
    or the ``"ci"`` of the mean); thin lines join the measured widths only, with a marker
    at each, so the underfitting end (both low and close) and the overfitting end
    (training accuracy at 100 %, a large gap to held-out data) are in one picture.

    Args:
        widths: hidden units of each network, increasing.
        train: one summary of the training accuracy (in [0, 1]) per width.
        test: one summary of the held-out accuracy per width.
        title: the figure's title.
        scale: factor for the accuracies on the axis (100: percent).
        chance: a floor drawn as a reference line (None: no line), e.g. the share of the
            most frequent class, which a network that always predicts one class reaches.
        chance_label: the floor's legend text (its value is appended).
        what: the error bars: ``"sd"`` (spread over seeds) or ``"ci"`` (95 % t interval).
        held_out: the name of the held-out split (``"test"`` or ``"validation"``).
        notes: width -> a short text written beside that width's training point (e.g.
            ``"still improving"`` for a width whose budget was not enough).

    Raises:
        ValueError: ``widths``, ``train`` and ``test`` of different lengths, widths not
            positive and increasing, an unknown ``what``, or a note for an unmeasured width.
    """
    if not len(widths) == len(train) == len(test):
        raise ValueError(f"widths, train and test must have the same length, but got "
                         f"{len(widths)}, {len(train)} and {len(test)}")
    steps = np.diff(np.asarray(widths, dtype=float))
    if any(w <= 0 for w in widths) or np.any(steps <= 0):
        raise ValueError(f"widths must be positive and increasing, but got {list(widths)}")
    if what not in ("sd", "ci"):
        raise ValueError(f"what must be 'sd' or 'ci', but got {what!r}")
    notes = dict(notes or {})
    if not set(notes) <= set(widths):
        raise ValueError(f"notes must name measured widths {list(widths)}, but got {sorted(notes)}")
    split = split_of(held_out) or "test"
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    if chance is not None:
        ax.axhline(chance * scale, **REFERENCE, label=f"{chance_label} ({chance * scale:.1f} %)")
    for name, summaries in (("train", train), (held_out, test)):
        part = "train" if name == "train" else split
        errorbars(ax, list(widths), [_scaled(s, scale) for s in summaries], what=what,
                  method=SPLITS[part], label=name, split=part)
    for width, text in notes.items():
        ax.annotate(text, (width, train[list(widths).index(width)].mean * scale), xytext=(8, 4),
                    textcoords="offset points", fontsize=8, color="0.3")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(widths), [str(w) for w in widths])
    ax.set_ylim(0, 105)
    ax.set(xlabel="hidden units w (784-w-10, log scale; lines join measured widths)",
           ylabel="accuracy (%)", title=title or "Accuracy against width")
    ax.legend(fontsize=8, loc="center right")
    return fig


def _scaled(summary: SummaryLike, scale: float) -> SimpleNamespace:
    """A copy of a summary with its mean, sd and interval multiplied by ``scale``."""
    return SimpleNamespace(mean=summary.mean * scale, sd=summary.sd * scale,
                           low=summary.low * scale, high=summary.high * scale, n=summary.n,
                           confidence=summary.confidence)
