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

_HIST_RANGES = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}


def plot_unit_weights(
    weights: Mapping[str, Tensor], *, n_units: int = 6, title: str = ""
) -> Figure:
    """First-layer weights of a few hidden units as 28x28 images, one row per run.

    Each row shares one symmetric colour scale (blue negative, red positive), so identical
    units look identical and all-zero units look blank.
    """
    if n_units < 1:
        raise ValueError(f"n_units must be positive, but got {n_units}")
    size = (1.1 * n_units + 1.6, 1.2 * len(weights))
    fig, axes = plt.subplots(len(weights), n_units, figsize=size, squeeze=False)
    for r, (row, (name, weight)) in enumerate(zip(axes, weights.items(), strict=True)):
        images = weight.detach()[:n_units].reshape(-1, 28, 28)
        scale = max(float(images.abs().max()), 1e-12)
        for i, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if i < len(images):
                ax.imshow(images[i].numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
            if i == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
            if r == 0:
                ax.set_title(f"unit {i + 1}", fontsize=9)
    fig.suptitle(title or "Incoming weights of hidden units (28 x 28 pixels each)")
    fig.tight_layout()
    return fig


def plot_sigmoid_derivative(
    z: Tensor, gradient_profiles: Mapping[str, Sequence[float]], *, title: str = ""
) -> Figure:
    """Left: sigmoid and its derivative over ``z``. Right: gradient std per layer (log).

    ``gradient_profiles`` maps a run's name to the std of the loss gradient at the output
    of each layer, from the first layer to the last.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    s = torch.sigmoid(z)
    left.plot(z.numpy(), s.numpy(), label=r"$\sigma(z)$")
    left.plot(z.numpy(), (s * (1 - s)).numpy(), "--", label=r"$\sigma'(z) = \sigma(1-\sigma)$")
    left.axhline(0.25, color="gray", linewidth=0.8, linestyle=":")
    left.set(xlabel="pre-activation z", ylabel="value",
             title="The sigmoid and its slope (max 0.25)")
    left.legend()
    for name, profile in gradient_profiles.items():
        layers = np.arange(1, len(profile) + 1)
        right.semilogy(layers, profile, "o-", label=name)
    right.set(xlabel="layer (1 = nearest the input)", ylabel="std of dLoss/d(activation)",
              title="Gradient size on the way back")
    right.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _layer_values(stats: object) -> np.ndarray:
    output = getattr(stats, "output", None)
    if output is None:
        raise ValueError("stats must carry outputs: use keep_outputs=True")
    values = output.flatten().numpy()
    return values[values != 0] if getattr(stats, "name", "") == "ReLU" else values


def plot_layer_histograms(
    rows: Mapping[str, Sequence[object]], *, bins: int = 30, relu_max: float = 4.0,
    title: str = "",
) -> Figure:
    """A grid of activation histograms: one row per run, one column per layer.

    Each entry of ``rows`` is a list of :class:`course_utils.diagnostics.LayerStats`
    holding outputs (``keep_outputs=True``). Sigmoid rows span [0, 1], tanh rows [-1, 1],
    ReLU rows [0, ``relu_max``] without the exact zeros (about half of the values, given as
    a number instead) and without values beyond ``relu_max`` (their share is given too).
    The y axis is the fraction of all values per bin; each panel names the std and the
    saturated share.
    """
    n_cols = max(len(stats) for stats in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.0 * n_cols + 1.2, 1.45 * len(rows)),
                             squeeze=False, sharey="row")
    for r, (row_axes, (name, stats)) in enumerate(zip(axes, rows.items(), strict=True)):
        for c, (ax, layer) in enumerate(zip(row_axes, stats, strict=False)):
            values = _layer_values(layer)
            span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
            total = layer.output.numel()
            counts, edges = np.histogram(values, bins=bins, range=span)
            ax.stairs(counts / total, edges, fill=True, color=PALETTE[0])
            note = f"std {layer.std:.2g}"
            if layer.saturated is not None:
                note += f"\nsat {100 * layer.saturated:.0f}%"
            if layer.name == "ReLU":
                note += f"\nzeros {100 * (1 - len(values) / total):.0f}%"
                beyond = np.mean(values > relu_max) * len(values) / total if len(values) else 0
                note += f"\n> {relu_max:g}: {100 * beyond:.1f}%" if beyond >= 5e-4 else ""
            ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize=7)
            ax.set_xlim(*span)
            ax.locator_params(nbins=4)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == 0:
                ax.set_title(f"layer {layer.index}", fontsize=9)
        for ax in row_axes[len(stats):]:
            ax.axis("off")
    fig.supxlabel("activation value (y axis: fraction of all values per bin)", fontsize=9)
    fig.suptitle(title or "Activations per layer at initialization")
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.5 / fig.get_figheight(),
                        top=1 - 0.8 / fig.get_figheight(), hspace=0.45, wspace=0.18)
    return fig


def plot_depth_profiles(
    profiles: Mapping[str, Sequence[Sequence[object]]], *, title: str = ""
) -> Figure:
    """Activation std (left) and output-gradient std (right) per layer, log scale.

    ``profiles`` maps a scheme to several runs (seeds), each a list of ``LayerStats``;
    every run is one thin line in the scheme's colour. Zeros (float32 underflow) cannot be
    drawn on a log axis, so a line stops where its values reach exactly 0.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9))
    for color, (name, runs) in zip(PALETTE * 2, profiles.items(), strict=False):
        for k, run in enumerate(runs):
            layers = np.array([s.index for s in run])
            for ax, attribute in zip(axes, ("std", "grad_std"), strict=True):
                values = np.array([getattr(s, attribute) for s in run], dtype=float)
                values[values <= 0] = np.nan
                ax.semilogy(layers, values, color=color, linewidth=1.2, alpha=0.8,
                            label=name if k == 0 else None)
    axes[0].set(xlabel="layer", ylabel="std of the activations", title="Forward: activations")
    axes[1].set(xlabel="layer", ylabel="std of dLoss/d(activation)",
                title="Backward: gradients (sent back from the last layer)")
    axes[0].legend()
    fig.suptitle(title or "A 50-layer ReLU network at initialization")
    fig.tight_layout()
    return fig


def plot_loss_curves(
    step_losses: Mapping[str, np.ndarray], *, window: int = 50, reference: float | None = None,
    title: str = "",
) -> Figure:
    """Training loss per step, smoothed by a moving average, mean ± std over seeds.

    ``step_losses`` maps a run's name to an array ``(seeds, steps)``. ``reference`` draws
    a horizontal line (e.g. ln 10, the loss of a uniform guess over 10 classes).
    """
    if window < 1:
        raise ValueError(f"window must be positive, but got {window}")
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    kernel = np.ones(window) / window
    for color, (name, runs) in zip(PALETTE * 2, step_losses.items(), strict=False):
        runs = np.asarray(runs, dtype=float)
        smooth = np.stack([np.convolve(run, kernel, mode="valid") for run in runs])
        plot_mean_std_curves(ax, np.arange(window, runs.shape[1] + 1), smooth, label=name,
                             color=color)
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle=":", linewidth=1,
                   label=f"ln 10 = {reference:.3f}")
    ax.set(xlabel="iteration (mini-batch of 128)", ylabel=f"training loss ({window}-step mean)",
           title=title or "Training loss", ylim=(0, None))
    ax.legend()
    return fig


def plot_init_explorer(
    stats: Sequence[object], *, title: str = "", max_panels: int = 5, relu_max: float = 3.0
) -> Figure:
    """The chapter 01 explorer's view: histograms of a few layers and std per layer.

    Shows ``max_panels`` layers spread evenly from the first to the last (fixed ranges as
    in :func:`plot_layer_histograms`, values beyond them piled into the end bins), then the
    std of the activations and of the gradients against depth on a log axis.
    """
    if not stats:
        raise ValueError("stats must hold at least one layer, but got none")
    picks = sorted({round(i) for i in np.linspace(0, len(stats) - 1, min(max_panels, len(stats)))})
    fig = plt.figure(figsize=(11, 3.4))
    grid = fig.add_gridspec(1, len(picks) + 2)
    for col, i in enumerate(picks):
        layer = stats[i]
        ax = fig.add_subplot(grid[0, col])
        values = _layer_values(layer)
        span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
        counts, edges = np.histogram(np.clip(values, *span), bins=30, range=span)
        ax.stairs(counts / layer.output.numel(), edges, fill=True, color=PALETTE[0])
        ax.set_title(f"layer {layer.index}\nstd {layer.std:.2g}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("activation", fontsize=8)
        if col == 0:
            ax.set_ylabel("fraction of values", fontsize=8)
    ax = fig.add_subplot(grid[0, len(picks):])
    layers = [s.index for s in stats]
    for attribute, label in (("std", "activation std"), ("grad_std", "gradient std")):
        values = np.array([getattr(s, attribute) or np.nan for s in stats], dtype=float)
        values[values <= 0] = np.nan
        ax.semilogy(layers, values, "o-", markersize=3, label=label)
    ax.set(xlabel="layer", ylabel="std (log scale)", title="Through depth")
    ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


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


def plot_vote_theory(
    sizes: Sequence[int],
    independent: Sequence[float],
    measured: Mapping[str, Sequence[float]],
    wrong_counts: Sequence[int] | np.ndarray,
    independent_pmf: Sequence[float],
    disagreement: Tensor | np.ndarray,
    *,
    p: float,
) -> Figure:
    """Why voting works, and why it works less than promised: three panels.

    Left: majority-vote accuracy against the number of members, for independent members
    (the binomial formula) and measured (``measured``: name -> accuracy per size).
    Middle: how many members get each test image wrong, measured (bars) against the
    binomial distribution of independent members (``independent_pmf``, dots).
    Right: the members' pairwise disagreement matrix.
    """
    fig, (ax_acc, ax_wrong, ax_dis) = plt.subplots(1, 3, figsize=(13, 3.8),
                                                   width_ratios=(1.2, 1.2, 0.9))
    ax_acc.plot(sizes, independent, "o-", color="grey", markersize=3,
                label=f"independent members, p = {p:.3f}")
    for color, (name, values) in zip(PALETTE, measured.items(), strict=False):
        ax_acc.plot(sizes, values, "o-", color=color, markersize=3, label=name)
    ax_acc.set(xlabel="number of members", ylabel="test accuracy",
               title="Majority vote: promise and reality")
    ax_acc.legend(fontsize=8, loc="center right")
    counts = np.bincount(np.asarray(wrong_counts), minlength=len(independent_pmf))
    ks = np.arange(len(counts))
    ax_wrong.bar(ks, counts / counts.sum(), color=PALETTE[0], alpha=0.7, label="measured")
    ax_wrong.plot(np.arange(len(independent_pmf)), independent_pmf, "o", color="k",
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
    against the sample size ``m/n``, measured (dots) and in theory (lines)."""
    fig, (ax_counts, ax_ratio) = plt.subplots(1, 2, figsize=(11, 3.6))
    bag = np.bincount(np.asarray(bagging_counts), minlength=2)
    paste = np.bincount(np.asarray(pasting_counts), minlength=2)
    k = np.arange(len(bag))
    ax_counts.bar(k - 0.2, bag / bag.sum(), width=0.4, label="bagging (with replacement)")
    ax_counts.bar(np.arange(len(paste)) + 0.2, paste / paste.sum(), width=0.4,
                  label="pasting (without), half-size")
    poisson = np.exp(-1.0) / np.cumprod(np.r_[1.0, np.arange(1.0, len(k))])  # e^-1 / k!
    ax_counts.plot(k - 0.2, poisson, "k.", markersize=8, label="Poisson(1): $e^{-1}/k!$")
    ax_counts.set(xlabel="times an image is drawn into one sample", ylabel="fraction of images",
                  title="One member's sample of n = 2000 images")
    ax_counts.legend(fontsize=8)
    r = np.linspace(0.05, 1.0, 50)
    ax_ratio.plot(r, 1 - np.exp(-r), color=PALETTE[0], label="bagging: $1 - e^{-m/n}$")
    ax_ratio.plot(r, r, color=PALETTE[1], label="pasting: $m/n$")
    for color, (name, values) in zip(PALETTE, distinct.items(), strict=False):
        ax_ratio.plot(ratios, values, "o", color=color, markersize=5, label=f"{name}, measured")
    ax_ratio.axhline(1 - np.exp(-1.0), color="grey", linestyle=":", linewidth=1)
    ax_ratio.text(0.05, 1 - np.exp(-1.0) + 0.02, "63.2 %", color="grey", fontsize=8)
    ax_ratio.set(xlabel="sample size m / n", ylabel="fraction of distinct images",
                 title="Distinct images in a sample of size m")
    ax_ratio.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_ensemble_size_curves(
    sizes: Sequence[int],
    curves: Mapping[str, Mapping[str, np.ndarray]],
    *,
    title: str = "",
) -> Figure:
    """One panel per way of building the ensemble: hard vote, soft vote and the average
    member against the ensemble size, mean ± std over repetitions.

    ``curves``: ``{way: {"hard": (reps, K), "soft": (reps, K), "member": (reps, K)}}``.
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.6), sharey=True,
                             squeeze=False)
    names = {"soft": "soft vote", "hard": "hard vote", "member": "average member"}
    for ax, (way, runs) in zip(axes[0], curves.items(), strict=True):
        for color, key in zip(PALETTE, ("soft", "hard", "member"), strict=False):
            plot_mean_std_curves(ax, np.asarray(sizes), np.asarray(runs[key]),
                                 label=names[key], color=color,
                                 linestyle="--" if key == "member" else "-")
        ax.set(xlabel="members in the ensemble", title=way)
    axes[0, 0].set_ylabel("test accuracy (mean ± std)")
    axes[0, 0].legend(loc="lower right")
    if title:
        fig.suptitle(title)
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
    """Bagged regressors on a 1-D curve: every member (thin), their average (thick), the
    true function (dashed) and the noisy training points."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, prediction in enumerate(member_predictions):
        ax.plot(x_grid, prediction, color=PALETTE[0], alpha=0.18, linewidth=0.8,
                label="members" if i == 0 else None)
    ax.plot(x_grid, bagged, color=PALETTE[1], linewidth=2.2, label="average of the members")
    ax.plot(x_grid, truth, "k--", linewidth=1.2, label="true function")
    ax.scatter(x_train, y_train, s=12, color="k", alpha=0.6, label="training points")
    ax.set(xlabel="x", ylabel="y", title=title or "Bagging regressors: average, don't vote")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def plot_boundaries(
    panels: Sequence[tuple[Callable[[Tensor], Tensor], np.ndarray | None, str]],
    x: Tensor,
    y: Tensor,
    *,
    title: str = "",
) -> Figure:
    """Decision boundaries side by side: each panel is ``(predict_proba, marker sizes or
    None, title)`` drawn with :func:`plot_decision_boundary` on the same data."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.5), squeeze=False)
    for ax, (predict_proba, sizes, panel_title) in zip(axes[0], panels, strict=True):
        plot_decision_boundary(ax, predict_proba, x, y, title=panel_title, sizes=sizes,
                               resolution=120)
        ax.title.set_fontsize(9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_staged_curves(
    curves: Mapping[str, np.ndarray | Sequence[float]],
    *,
    ylabel: str,
    title: str,
    xlabel: str = "boosting round (members in the ensemble)",
    hlines: Mapping[str, float] | None = None,
    logx: bool = False,
) -> Figure:
    """Curves against the number of rounds or members: a 1-D array is one line, a 2-D
    ``(runs, K)`` array a mean ± std band. ``hlines`` draws reference levels."""
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for color, (name, values) in zip(PALETTE, curves.items(), strict=False):
        values = np.asarray(values, dtype=float)
        rounds = np.arange(1, values.shape[-1] + 1)
        if values.ndim == 2:
            plot_mean_std_curves(ax, rounds, values, label=name, color=color)
        else:
            ax.plot(rounds, values, color=color, label=name)
    for color, (name, level) in zip(PALETTE[len(curves):] + PALETTE, (hlines or {}).items(),
                                    strict=False):
        ax.axhline(level, color=color, linestyle=":", label=name)
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return fig


def plot_training_cost(
    n_members: Sequence[int],
    seconds: Mapping[str, Sequence[float]],
    *,
    title: str = "Training cost grows with the number of members",
) -> Figure:
    """Measured training time against the number of members, one line per method."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, values in seconds.items():
        ax.plot(n_members, values, "o-", label=name)
    ax.set(xlabel="members", ylabel="training time (s)", title=title, ylim=(0, None))
    ax.legend()
    return fig


def plot_ensemble_explorer(result: Mapping[str, object]) -> Figure:
    """The chapter 03 explorer: the ensemble's boundary on the training set (left) and its
    train/test accuracy against the number of members (right)."""
    fig, (ax, ax_curve) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(1, 1.3))
    model = result["model"]
    plot_decision_boundary(ax, lambda g: model.predict_proba(g.numpy()), result["x_train"],
                           result["y_train"], resolution=100,
                           title=f"{result['method']}, {result['n_estimators']} members, "
                                 f"depth {result['max_depth']}")
    ax.title.set_fontsize(9)
    rounds = np.arange(1, len(result["train_curve"]) + 1)
    ax_curve.plot(rounds, result["train_curve"], label="train")
    ax_curve.plot(rounds, result["test_curve"], "--", label="test")
    ax_curve.set(xlabel="members", ylabel="accuracy", ylim=(0.5, 1.01),
                 title=f"train {result['train_acc']:.1%}, test {result['test_acc']:.1%}")
    ax_curve.legend(loc="lower right")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# Chapter 04: dropout
# ---------------------------------------------------------------------------------------


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
    activations (units laid out on a square grid) under as many masks. Dropped units are
    shown in red."""
    n = len(digit_masks)
    fig, axes = plt.subplots(2, n + 1, figsize=(1.45 * (n + 1), 3.7))
    cmap = mpl.colormaps["gray_r"].with_extremes(bad="white")
    hidden_max = float(hidden.max()) or 1.0
    rows = [(digit.reshape(28, 28), digit_masks.reshape(n, 28, 28), 1.0, "digit"),
            (torch.as_tensor(_hidden_grid(hidden)), None, hidden_max, "hidden layer")]
    for row, (image, masks, vmax, name) in enumerate(rows):
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
            ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax)
            dropped = np.ma.masked_where(masks_here.numpy() != 0, np.ones(shown.shape))
            if row == 1:  # hidden units: mark every dropped unit
                ax.imshow(dropped, cmap=mpl.colors.ListedColormap(["#d62728"]), alpha=0.55)
            ax.set_title(f"{name}" if col == 0 else f"mask {col}", fontsize=9)
    fig.suptitle(f"Dropout with p = {p}: a new random mask on every forward pass "
                 "(red = dropped hidden unit)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_mask_average(
    running_means: Mapping[str, np.ndarray],
    targets: Mapping[str, float],
    *,
    title: str = "Averaging the training output over masks",
) -> Figure:
    """Running mean of the training-time output over 1..K masks (log x axis), one line per
    rule, with the evaluation-time output of the same rule as a dashed line."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for color, (name, means) in zip(PALETTE, running_means.items(), strict=False):
        means = np.asarray(means, dtype=float)
        ax.plot(np.arange(1, len(means) + 1), means, color=color, label=f"{name}: mean over K masks")
        ax.axhline(targets[name], color=color, linestyle="--", label=f"{name}: evaluation output")
    ax.set_xscale("log")
    ax.set(xlabel="number of masks K", ylabel="output (sum of 4 inputs)", title=title)
    ax.legend(fontsize=8)
    return fig


def plot_overfitting_curves(
    epochs: Sequence[int] | np.ndarray,
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    title: str = "",
) -> Figure:
    """Left: mean ± 1 std over seeds of train (solid) and test (dashed) accuracy per
    condition; right: the final train-test gap of each seed, its mean and sample std.

    Args:
        epochs: the evaluated epochs.
        runs: ``{condition: {"train": seeds x epochs, "test": seeds x epochs}}``.
    """
    fig, (ax, ax_gap) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(2.2, 1))
    for i, (color, (condition, curves)) in enumerate(zip(PALETTE, runs.items(), strict=False)):
        train, test = np.asarray(curves["train"]), np.asarray(curves["test"])
        plot_mean_std_curves(ax, np.asarray(epochs), train, label=f"{condition}: train",
                             color=color)
        plot_mean_std_curves(ax, np.asarray(epochs), test, label=f"{condition}: test",
                             color=color, linestyle="--")
        gaps = 100 * (train[:, -1] - test[:, -1])
        ax_gap.bar(i, gaps.mean(), yerr=gaps.std(ddof=1) if len(gaps) > 1 else None,
                   color=color, alpha=0.6, capsize=6)
        ax_gap.scatter(np.full(len(gaps), i), gaps, color="k", s=14, zorder=3)
    ax.set(xlabel="epoch", ylabel="accuracy", title=title or "Accuracy (mean ± std over seeds)")
    ax.legend(loc="lower right", fontsize=8)
    ax_gap.set_xticks(range(len(runs)), list(runs))
    ax_gap.set(ylabel="final train - test accuracy (points)", title="Final gap (dots: seeds)")
    fig.tight_layout()
    return fig


def plot_dropout_rate_sweep(
    ps: Sequence[float],
    train_acc: Sequence[float],
    test_acc: Sequence[float],
    *,
    title: str = "The dropout rate: too little does nothing, too much underfits",
) -> Figure:
    """Final train and test accuracy against the drop probability p."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(ps, train_acc, "o-", label="train")
    ax.plot(ps, test_acc, "s--", label="test")
    ax.axhline(0.1, color="grey", linestyle=":", label="chance (10 classes)")
    ax.set(xlabel="drop probability p", ylabel="final accuracy", title=title, ylim=(0, 1.05))
    ax.legend()
    return fig


def plot_mc_dropout(
    ks: Sequence[int],
    mc_accuracy: Sequence[float],
    eval_accuracy: float,
    distance: Sequence[float],
    *,
    title: str = "Monte-Carlo averaging over K masks vs one pass in evaluation mode",
) -> Figure:
    """Left: test accuracy of the K-mask average and of the evaluation-mode pass; right:
    mean distance between their predicted probabilities, both against K (log scale)."""
    fig, (ax_acc, ax_dist) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_acc.plot(ks, mc_accuracy, label="average of K masked passes")
    ax_acc.axhline(eval_accuracy, color=PALETTE[1], linestyle="--", label="one pass, model.eval()")
    ax_acc.set(xlabel="number of masks K", ylabel="test accuracy", xscale="log",
               title="Accuracy")
    ax_acc.legend(loc="lower right")
    ax_dist.plot(ks, distance, color=PALETTE[2])
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
    seed, one colour per condition."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for color, (condition, per_seed) in zip(PALETTE, drops.items(), strict=False):
        for i, seed_drops in enumerate(per_seed):
            ranked = np.sort(100 * np.asarray(seed_drops, dtype=float))[::-1]
            ax.plot(np.arange(1, len(ranked) + 1), ranked, color=color, alpha=0.8,
                    label=condition if i == 0 else None)
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
    """Test accuracy of repeated calls in training mode against the single evaluation-mode
    value."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    calls = np.arange(1, len(train_mode_accuracy) + 1)
    ax.plot(calls, train_mode_accuracy, "o", label="model.train(): dropout still on")
    ax.axhline(eval_accuracy, color=PALETTE[1], linestyle="--", label="model.eval()")
    ax.set(xlabel="call", ylabel="test accuracy", title=title)
    ax.set_xticks(calls)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def plot_regularizer_comparison(
    results: Mapping[str, Sequence[float]],
    *,
    title: str = "Test accuracy by condition (bars: mean ± std; dots: runs)",
    xlabel: str = "test accuracy",
) -> Figure:
    """Horizontal bars: mean ± sample std of each condition's values, each run a dot."""
    fig, ax = plt.subplots(figsize=(6.8, 0.45 * len(results) + 1.4))
    names = list(results)
    for i, name in enumerate(names):
        values = np.asarray(results[name], dtype=float)
        color = PALETTE[1] if "dropout" in name else PALETTE[0]
        ax.barh(i, values.mean(), xerr=values.std(ddof=1) if len(values) > 1 else None,
                color=color, alpha=0.55, capsize=4)
        ax.scatter(values, np.full(len(values), i), color="k", s=12, zorder=3)
    lo = min(min(v) for v in results.values())
    hi = max(max(v) for v in results.values())
    ax.set_xlim(lo - 0.25 * (hi - lo) - 0.005, hi + 0.1 * (hi - lo) + 0.005)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, title=title)
    return fig


def plot_dropout_explorer(result: Mapping[str, object]) -> Figure:
    """The chapter 04 explorer: a digit under four masks and the quick run's accuracies."""
    masks = torch.as_tensor(result["digit_masks"])
    digit = torch.as_tensor(result["digit"]).reshape(28, 28)
    fig, axes = plt.subplots(1, len(masks) + 1, figsize=(8.5, 2.4),
                             width_ratios=[1] * len(masks) + [1.6])
    for ax, mask in zip(axes[:-1], masks, strict=True):
        ax.imshow((digit * mask.reshape(28, 28)).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
    axes[0].set_title("one digit, 4 masks", fontsize=9, loc="left")
    bars = axes[-1]
    values = [result["train_acc"], result["test_acc"]]
    bars.bar(["train", "test"], values, color=PALETTE[:2])
    for i, value in enumerate(values):
        bars.text(i, value + 0.02, f"{value:.1%}", ha="center", fontsize=9)
    decay = f", weight decay {result['weight_decay']:g}" if result.get("weight_decay") else ""
    bars.set(ylim=(0, 1.15), ylabel="accuracy", title="after training")
    fig.suptitle(f"Dropout p = {result['p']}{decay}: train - test gap "
                 f"{values[0] - values[1]:+.1%}", fontsize=11)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# Chapter 05: batch normalization
# ---------------------------------------------------------------------------------------


def plot_activation_drift(
    runs: Mapping[str, Mapping[str, Tensor]],
    *,
    percentiles: Sequence[float] = (15, 50, 85),
    title: str = "Input of the last hidden sigmoid over training (fixed probe batch)",
) -> Figure:
    """One panel per run: percentiles of the last activation's input against the step.

    ``runs`` maps a name to the dict of
    :func:`course_utils.normalization.track_activation_inputs` (``step``, ``percentiles``).
    """
    fig, axes = plt.subplots(1, len(runs), figsize=(3.3 * len(runs), 3.3), sharey=True)
    for ax, (name, record) in zip(np.atleast_1d(axes), runs.items(), strict=True):
        steps = np.asarray(record["step"])
        values = np.asarray(record["percentiles"])
        for j, (color, q) in enumerate(zip(PALETTE, percentiles, strict=False)):
            ax.plot(steps, values[:, j], color=color, label=f"{q:g}th percentile")
        ax.set(title=name, xlabel="training step")
    np.atleast_1d(axes)[0].set_ylabel("sigmoid input")
    np.atleast_1d(axes)[0].legend(loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sigmoid_linear_region(samples: Mapping[str, Tensor], *, threshold: float) -> Figure:
    """Left: the sigmoid, its tangent at 0 and the near-linear band; right: histograms of
    where some layer inputs (``samples``, name -> values) fall.

    ``threshold`` is the half-width of the band in which the sigmoid stays close to its
    tangent line :math:`1/2 + z/4`.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.8, 3.3))
    z = np.linspace(-6, 6, 400)
    left.plot(z, 1 / (1 + np.exp(-z)), label=r"$\sigma(z)$")
    left.plot(z, np.clip(0.5 + z / 4, -0.2, 1.2), "--", label="tangent $1/2 + z/4$")
    for ax in (left, right):
        ax.axvspan(-threshold, threshold, color=PALETTE[2], alpha=0.15, label="near-linear band")
    left.set(xlabel="z", ylabel="output", title="The sigmoid is almost linear near 0",
             ylim=(-0.2, 1.2))
    left.legend(loc="upper left")
    bins = np.linspace(-6, 6, 61)
    for color, (name, data) in zip(PALETTE[::3], samples.items(), strict=False):
        values = np.clip(np.asarray(data, dtype=float).ravel(), -6, 6)
        right.hist(values, bins=bins, density=True, alpha=0.55, color=color, label=name)
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
    """Per-step batch values (dots) and running estimates under several conventions."""
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    steps = np.arange(1, len(batch_values) + 1)
    ax.plot(steps, batch_values, "o", color="0.6", markersize=3, label="batch mean")
    styles = ["-", "--", ":", "-."]
    for i, (name, values) in enumerate(estimates.items()):
        ax.plot(steps, values, styles[i % 4], color=PALETTE[i], linewidth=2 - 0.3 * (i % 2),
                label=name)
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
    """Analytic against numerical gradient entries, one panel per case; the diagonal is
    perfect agreement."""
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.1 * len(pairs), 3.4))
    for ax, (name, (analytic, numeric)) in zip(np.atleast_1d(axes), pairs.items(), strict=True):
        a, n = np.asarray(analytic, dtype=float).ravel(), np.asarray(numeric, dtype=float).ravel()
        bound = max(0.05, float(np.abs(np.concatenate([a, n])).max()) * 1.1)
        ax.plot([-bound, bound], [-bound, bound], color="0.7", linewidth=1)
        ax.plot(n, a, "o", markersize=4)
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
    """Grid of training curves, one panel per initial weight scale: with BN (solid) and
    without (dashed), as in *Deep Learning from Scratch* Figure 6-19."""
    nrows = -(-len(scales) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 1.9 * nrows + 0.5),
                             sharex=True, sharey=True, squeeze=False)
    for ax, scale, h_plain, h_norm in zip(axes.flat, scales, plain, normalized, strict=False):
        ax.plot(h_norm.epoch, getattr(h_norm, metric), color=PALETTE[0], label="with BN")
        ax.plot(h_plain.epoch, getattr(h_plain, metric), "--", color=PALETTE[1],
                label="without BN")
        ax.set_title(f"weight std {scale:.2g}", fontsize=9)
        ax.set_ylim(0, 1.02)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("train accuracy")
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
    """Final accuracy against the learning rate (log axis), one line per configuration."""
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, (name, values) in enumerate(results.items()):
        style = "-" if "BN" in name and "no BN" not in name else "--"
        ax.plot(lrs, values, style, marker=markers[i % 6], color=PALETTE[i], label=name)
    ax.axhline(chance, color="0.5", linewidth=0.8, linestyle=":", label="chance")
    ax.set_xscale("log")
    ax.set(xlabel="learning rate", ylabel=ylabel, title=title, ylim=(0, 1))
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
) -> Figure:
    """Bars with ±1 std error bars: outer keys are groups on the x axis (named by
    ``xlabel``), inner keys are the bars of a group (one colour each), values are the runs
    (e.g. seeds)."""
    import textwrap

    groups = list(values)
    series = list(dict.fromkeys(name for group in values.values() for name in group))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 4.0), 3.5))
    for j, name in enumerate(series):
        xs, means, stds = [], [], []
        for i, group in enumerate(groups):
            if name in values[group]:
                runs = np.asarray(values[group][name], dtype=float)
                xs.append(i + (j - (len(series) - 1) / 2) * width)
                means.append(runs.mean())
                stds.append(runs.std())
        ax.bar(xs, means, width=width, yerr=stds, capsize=3, color=PALETTE[j], label=name)
        for x, mean in zip(xs, means, strict=True):
            ax.text(x, mean + 0.01, f"{mean:.1%}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)), [textwrap.fill(g, 16) for g in groups])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_batch_size_effect(
    batch_sizes: Sequence[int],
    accuracy: Mapping[str, np.ndarray],
    noise: Mapping[str, Sequence[float]],
    *,
    images_seen: int,
) -> Figure:
    """Left: test accuracy (mean ± std over seeds) against the batch size for each
    normalization, every run seeing ``images_seen`` training images; right: the noise of
    BN's batch statistics against the batch size (from
    :func:`course_utils.normalization.batch_stat_noise`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    for i, (name, runs) in enumerate(accuracy.items()):
        runs = np.asarray(runs, dtype=float)
        left.errorbar(batch_sizes, runs.mean(axis=1), yerr=runs.std(axis=1), marker="o",
                      capsize=3, color=PALETTE[i], label=name)
    left.set_xscale("log", base=2)
    left.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    left.set(xlabel="batch size", ylabel="test accuracy",
             title=f"Every run sees the same {images_seen:,} training images")
    left.legend(fontsize=8)
    sizes = np.asarray(noise["batch_size"], dtype=float)
    right.plot(sizes, noise["mean_noise"], "o-", label="batch mean (in std units)")
    right.plot(sizes, noise["var_noise"], "s-", label="batch variance (relative)")
    right.plot(sizes, 1 / np.sqrt(sizes), "k:", label=r"$1/\sqrt{B}$")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    right.set(xlabel="batch size B", ylabel="rms error of the batch statistic",
              title="How noisy BN's statistics are")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_train_test_curves(
    results: Mapping[str, Sequence[History]],
    *,
    steps_per_epoch: Mapping[str, int] | None = None,
    title: str = "Train (solid) and test (dashed) accuracy, mean ± std over seeds",
) -> Figure:
    """Mean ± std curves of train and test accuracy for several settings (lists of runs).

    With ``steps_per_epoch`` (per setting) the x axis is the training step, so settings
    with different batch sizes line up.
    """
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    for color, (name, runs) in zip(PALETTE, results.items(), strict=False):
        scale = steps_per_epoch[name] if steps_per_epoch else 1
        x = np.asarray(runs[0].epoch) * scale
        plot_mean_std_curves(ax, x, np.array([h.train_acc for h in runs]),
                             label=f"{name}, train", color=color)
        plot_mean_std_curves(ax, x, np.array([h.val_acc for h in runs]),
                             label=f"{name}, test", color=color, linestyle="--")
    xlabel = "training step" if steps_per_epoch else "epoch"
    ax.set(xlabel=xlabel, ylabel="accuracy", title=title, ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# Chapter 06: hyperparameter search
# ---------------------------------------------------------------------------------------


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
    """Scores of a few runs against one hyperparameter (log axis), joined by a line."""
    fig, ax = plt.subplots(figsize=(6.0, 3.3))
    order = np.argsort(values)
    ax.plot(np.asarray(values)[order], np.asarray(scores)[order], "o-")
    for value, score in zip(values, scores, strict=True):
        ax.annotate(f"{score:.0%}", (value, score), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    if chance is not None:
        ax.axhline(chance, color="0.5", linestyle=":", linewidth=0.8, label="chance")
        ax.legend(loc="upper left")
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
) -> Figure:
    """One panel per hyperparameter: validation score against its value (log axis), the
    ``top`` best trials in colour; a last panel places the trials in the plane of the
    first two hyperparameters, coloured by score. ``ranges`` shades a range per
    hyperparameter (e.g. the previous round's), labelled ``range_label``."""
    names = list(params)
    scores = np.asarray(scores, dtype=float)
    best = np.argsort(-scores, kind="stable")[:top]
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(4.0 * (len(names) + 1), 3.5))
    for ax in axes:
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    for ax, name in zip(axes, names, strict=False):
        values = np.asarray(params[name], dtype=float)
        if ranges and name in ranges:
            ax.axvspan(*ranges[name], color=PALETTE[2], alpha=0.12, zorder=0, label=range_label)
        ax.scatter(values, scores, s=14, color="0.6", label="all trials")
        ax.scatter(values[best], scores[best], s=18, color=PALETTE[1], label=f"best {top}")
        ax.set_xscale("log")
        ax.set(xlabel=_log_axis_label(name), ylabel="validation accuracy", ylim=(0, 1))
        ax.legend(fontsize=7, loc="lower left" if scores.mean() > 0.5 else "upper left")
    plane = axes[-1]
    points = plane.scatter(params[names[0]], params[names[1]], c=scores, cmap="viridis",
                           s=18, vmin=0, vmax=1)
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


def plot_top_curves(
    curves: Sequence[Sequence[float]],
    labels: Sequence[str],
    *,
    ncols: int = 5,
    title: str,
) -> Figure:
    """Small multiples of validation-accuracy curves (one panel per run, best first)."""
    nrows = max(1, -(-len(curves) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols, 1.55 * nrows + 0.6),
                             sharex=True, sharey=True)
    for i, ax in enumerate(np.atleast_1d(axes).flat):
        if i >= len(curves):
            ax.axis("off")
            continue
        epochs = np.arange(1, len(curves[i]) + 1)
        ax.plot(epochs, curves[i], color=PALETTE[0], linewidth=1.2)
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
) -> Figure:
    """Histograms of ``reported - fresh`` accuracy (in points) for several ways of picking
    a model, with each mean marked."""
    fig, ax = plt.subplots(figsize=(6.6, 3.5))
    all_values = np.concatenate([100 * np.asarray(v, dtype=float) for v in optimism.values()])
    bins = np.linspace(all_values.min(), all_values.max(), 31)
    for color, (name, values) in zip(PALETTE, optimism.items(), strict=False):
        points = 100 * np.asarray(values, dtype=float)
        ax.hist(points, bins=bins, alpha=0.5, color=color,
                label=f"{name}: mean {points.mean():+.1f}")
        ax.axvline(points.mean(), color=color, linewidth=2)
    ax.axvline(0, color="k", linewidth=0.8, linestyle=":")
    ax.set(xlabel="optimism (percentage points)", ylabel="draws", title=title)
    ax.legend(fontsize=8)
    return fig


def plot_decade_shares(
    decades: Sequence[str],
    shares: Mapping[str, Sequence[float]],
    *,
    title: str,
) -> Figure:
    """Grouped bars: the share of samples that falls into each decade, per sampler."""
    fig, ax = plt.subplots(figsize=(6.4, 3.3))
    width = 0.8 / len(shares)
    for j, (name, values) in enumerate(shares.items()):
        xs = np.arange(len(decades)) + (j - (len(shares) - 1) / 2) * width
        ax.bar(xs, values, width=width, color=PALETTE[j], label=name)
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
    """The best score each search found, one dot per repetition and a bar for the mean,
    per search method."""
    fig, ax = plt.subplots(figsize=(1.7 * len(best) + 2.6, 3.4))
    for i, values in enumerate(best.values()):
        values = np.asarray(values, dtype=float)
        jitter = np.linspace(-0.15, 0.15, len(values))
        ax.scatter(i + jitter, values, s=14, color=PALETTE[i], alpha=0.7)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color="k", linewidth=2)
        ax.text(i + 0.32, values.mean(), f"{values.mean():.3f}", va="center", fontsize=8)
    ax.set_xticks(range(len(best)), list(best))
    ax.set(xlabel="search method (one dot per repetition)", ylabel=ylabel, title=title)
    return fig


def plot_grid_vs_random(
    layouts: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    names: tuple[str, str],
    background: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
) -> Figure:
    """Bergstra & Bengio's picture: for each layout, the trials in the plane of an
    important (x) and an unimportant (y) hyperparameter, with the score of each trial
    projected onto both axes (top: score against x; right: score against y). Grey dots
    (``background``: x, y, score of many other trials) show the response."""
    fig = plt.figure(figsize=(5.6 * len(layouts), 4.6))
    outer = fig.add_gridspec(1, len(layouts), wspace=0.3)
    for i, (label, (xs, ys, scores)) in enumerate(layouts.items()):
        inner = outer[i].subgridspec(2, 2, width_ratios=(3, 1), height_ratios=(1, 3),
                                     wspace=0.12, hspace=0.06)
        main = fig.add_subplot(inner[1, 0])
        top = fig.add_subplot(inner[0, 0], sharex=main)
        side = fig.add_subplot(inner[1, 1], sharey=main)
        if background is not None:
            top.scatter(background[0], background[2], s=4, color="0.8")
            side.scatter(background[2], background[1], s=4, color="0.8")
        main.scatter(xs, ys, s=40, color=PALETTE[i], edgecolors="k", linewidths=0.5)
        top.scatter(xs, scores, s=30, color=PALETTE[i], edgecolors="k", linewidths=0.5)
        side.scatter(scores, ys, s=30, color=PALETTE[i], edgecolors="k", linewidths=0.5)
        main.set_xscale("log")
        main.set_yscale("log")
        main.set(xlabel=f"{names[0]} (important)", ylabel=f"{names[1]} (barely matters)")
        top.set_ylabel("val acc", fontsize=8)
        top.set_title(f"{label}: {len(set(np.round(np.log10(xs), 6)))} distinct {names[0]} "
                      f"values; best {max(scores):.3f}")
        side.set_xlabel("val acc", fontsize=8)
        side.set_xticks([0.4, 0.8])
        top.set_yticks([0.4, 0.8])
        top.tick_params(labelbottom=False)
        side.tick_params(labelleft=False)
    return fig


def plot_halving(
    curves: Sequence[Sequence[float]],
    resources: Sequence[int],
    candidates: Sequence[Sequence[int]],
    *,
    title: str,
) -> Figure:
    """Successive halving on recorded curves: every run in grey, and the runs still in the
    race drawn up to the budget of the rung they reached (one colour per rung)."""
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    for curve in curves:
        ax.plot(np.arange(1, len(curve) + 1), curve, color="0.88", linewidth=0.7)
    for rung, (resource, members) in enumerate(zip(resources, candidates, strict=True)):
        color = PALETTE[rung % len(PALETTE)]
        for member in members:
            ax.plot(np.arange(1, resource + 1), curves[member][:resource], color=color,
                    linewidth=0.9)
        ax.axvline(resource, color=color, linestyle="--", linewidth=0.8,
                   label=f"rung {rung}: {len(members)} runs to epoch {resource}")
    ax.set(xlabel="epoch", ylabel="validation accuracy", title=title, ylim=(0, 1))
    ax.legend(fontsize=7, loc="upper left")
    return fig


def plot_budget_bars(
    epochs: Mapping[str, float],
    best: Mapping[str, float],
    *,
    title: str,
) -> Figure:
    """Epochs spent by each search strategy (bars), annotated with the best validation
    accuracy it found."""
    fig, ax = plt.subplots(figsize=(6.4, 3.3))
    names = list(epochs)
    ax.bar(names, [epochs[n] for n in names], color=PALETTE[: len(names)])
    for i, name in enumerate(names):
        ax.text(i, epochs[name], f"{epochs[name]:,.0f} epochs\nbest {best[name]:.3f}",
                ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="search strategy", ylabel="epochs trained, all trials", title=title)
    ax.set_ylim(0, 1.25 * max(epochs.values()))
    return fig


def plot_cv_scores(
    scores: Tensor | np.ndarray,
    labels: Sequence[str],
    wins: Mapping[str, Sequence[int]],
    *,
    title: str,
) -> Figure:
    """Left: each configuration's accuracy on every fold (dots) with mean ± std; right:
    how often each configuration wins, with one split versus with the k-fold mean."""
    scores = np.asarray(scores, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.5))
    for i, row in enumerate(scores):
        left.scatter(np.full(len(row), i) + np.linspace(-0.12, 0.12, len(row)), row, s=14,
                     color="0.6")
        left.errorbar(i, row.mean(), yerr=row.std(), fmt="o", color=PALETTE[0], capsize=4)
    left.set_xticks(range(len(labels)), labels, fontsize=8)
    left.set(xlabel="configuration", ylabel="validation accuracy",
             title="per fold (grey) and mean ± std")
    width = 0.8 / len(wins)
    for j, (name, counts) in enumerate(wins.items()):
        xs = np.arange(len(labels)) + (j - (len(wins) - 1) / 2) * width
        right.bar(xs, counts, width=width, color=PALETTE[j + 1], label=name)
    right.set_xticks(range(len(labels)), labels, fontsize=8)
    right.set(xlabel="configuration", ylabel="times ranked first",
              title="which configuration wins")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_study_trials(
    numbers: Sequence[int],
    values: Sequence[float | None],
    states: Sequence[str],
    *,
    title: str,
) -> Figure:
    """The value of every trial of a study against its number, one marker per state."""
    fig, ax = plt.subplots(figsize=(6.4, 3.3))
    markers = {"COMPLETE": ("o", PALETTE[0]), "PRUNED": ("x", PALETTE[1]),
               "FAIL": ("s", "0.3"), "RUNNING": ("^", PALETTE[3])}
    for state, (marker, color) in markers.items():
        picked = [(n, 0.0 if v is None else v) for n, v, s in zip(numbers, values, states,
                                                                  strict=True) if s == state]
        if picked:
            xs, ys = zip(*picked, strict=True)
            ax.scatter(xs, ys, marker=marker, color=color, label=state.lower())
    ax.set(xlabel="trial number", ylabel="validation accuracy", title=title, ylim=(0, 1))
    ax.legend(fontsize=8)
    return fig


def plot_search_coverage(result: Mapping[str, object]) -> Figure:
    """The explorer's picture: grid and random points over an important axis (x) and an
    unimportant one (y), the response along x, and where each layout's points project."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
    for ax, layout in zip(axes, ("grid", "random"), strict=True):
        points = np.asarray(result[layout], dtype=float)
        ax.plot(result["curve_x"], result["curve_score"], color="0.4", label="score along x")
        ax.scatter(points[:, 0], points[:, 1], s=18, color=PALETTE[0], label="trials")
        ax.scatter(points[:, 0], np.zeros(len(points)) - 0.04, marker="|", s=80,
                   color=PALETTE[1], label="projection on x")
        ax.set(xlabel="important hyperparameter x", title=(
            f"{layout}: {result[layout + '_distinct']} distinct x, best score "
            f"{result[layout + '_best']:.3f}"), xlim=(0, 1), ylim=(-0.08, 1.02))
        ax.grid(False)
    axes[0].set_ylabel("unimportant hyperparameter y  /  score")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
