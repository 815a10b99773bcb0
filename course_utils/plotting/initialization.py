"""Chapter 01 (weight initialization) figures.

=====================================================  ==================================
figure                                                 function
=====================================================  ==================================
incoming weights of hidden units (symmetry)            :func:`plot_unit_weights`
the sigmoid's slope and gradient std per layer         :func:`plot_sigmoid_derivative`
activation histograms, one row per scheme              :func:`plot_layer_histograms`
activation / gradient std through 50 layers            :func:`plot_depth_profiles`
pre-activation spread against the fan-in (width)       :func:`plot_width_sweep`
normal and uniform draws of one scheme side by side    :func:`plot_weight_draws`
training loss per step, mean ± sd over seeds           :func:`plot_loss_curves`
validation accuracy against the learning rate          :func:`plot_lr_sweeps`
a result against depth, per scheme, with intervals     :func:`plot_depth_sweep`
the explorer's histograms and depth profile            :func:`plot_init_explorer`
=====================================================  ==================================

Every scheme (He, Xavier, LeCun, N(0, 0.01²), ...) keeps its palette style
(:data:`course_utils.plotting.shared.PALETTE`), found from the run's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from course_utils.plotting.shared import (
    OTHER_COLORS,
    REFERENCE,
    Spread,
    errorbars,
    line_kwargs,
    other_style,
    plot_mean_std_curves,
    series_styles,
    shade,
    summarize_values,
)

_HIST_RANGES = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}
_PREFER = ("init",)


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
    z: Tensor, gradient_profiles: Mapping[str, Sequence[float]], *, title: str = "",
    gradient_title: str = "Gradient size on the way back",
) -> Figure:
    """Left: sigmoid and its derivative over ``z``. Right: gradient std per layer (log).

    ``gradient_profiles`` maps a run's name to the std of the loss gradient at the output
    of each layer, from the first layer to the last; each run in its scheme's style. The
    two curves of the left panel are not schemes: they get colours no scheme uses.
    ``title`` is the figure's title over both panels, ``gradient_title`` the right panel's.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    s = torch.sigmoid(z)
    left.plot(z.numpy(), s.numpy(), color=OTHER_COLORS[0], label=r"$\sigma(z)$")
    left.plot(z.numpy(), (s * (1 - s)).numpy(), color=OTHER_COLORS[3], linestyle="--",
              label=r"$\sigma'(z) = \sigma(1-\sigma)$")
    left.axhline(0.25, **REFERENCE, label="0.25")
    left.set(xlabel="pre-activation z", ylabel="value",
             title="The sigmoid and its slope (max 0.25)")
    left.legend()
    styles = series_styles(gradient_profiles, prefer=_PREFER)
    for name, profile in gradient_profiles.items():
        layers = np.arange(1, len(profile) + 1)
        right.semilogy(layers, profile, **line_kwargs(styles[name]))
    right.set(xlabel="layer (1 = nearest the input)", ylabel="std of dLoss/d(activation)",
              title=gradient_title)
    right.legend()
    fig.suptitle(title or "The sigmoid's slope and the gradient through sigmoid layers")
    fig.tight_layout()
    return fig


def _layer_values(stats: object) -> np.ndarray:
    output = getattr(stats, "output", None)
    if output is None:
        raise ValueError("stats must carry outputs: use keep_outputs=True")
    values = output.flatten().numpy()
    return values[values != 0] if getattr(stats, "name", "") == "ReLU" else values


def _row_colors(rows: Mapping[str, object], styles: Mapping[str, object]) -> dict[str, object]:
    """Each row's fill colour: its scheme's, darkened for a later row of the same colour
    (e.g. "tanh, Xavier × 5/3" after "tanh, Xavier"), so no two rows look alike."""
    colors: dict[str, object] = {}
    for name in rows:
        color = styles[name].color  # type: ignore[attr-defined]
        taken = sum(mcolors.to_hex(styles[other].color) == mcolors.to_hex(color)  # type: ignore[attr-defined]
                    and other.split(",")[0] == name.split(",")[0] for other in colors)
        colors[name] = shade(color, 0.4 * taken) if taken else color
    return colors


def plot_layer_histograms(
    rows: Mapping[str, Sequence[object]], *, bins: int = 30, relu_max: float = 4.0,
    title: str = "",
) -> Figure:
    """A grid of activation histograms: one row per run, one column per layer.

    Each entry of ``rows`` is a list of :class:`course_utils.diagnostics.LayerStats`
    holding outputs (``keep_outputs=True``). Sigmoid rows span [0, 1], tanh rows [-1, 1],
    ReLU rows [0, ``relu_max``] without the exact zeros (about half of the values, given as
    a number instead) and without values beyond ``relu_max`` (their share is given too).
    The y axis is the fraction of all values per bin, shared along a row; each panel names
    the std and the saturated share. A row is filled in its scheme's colour; a later row
    of the same activation and colour (a variant of the scheme, such as a gain) is darker.
    """
    n_cols = max(len(stats) for stats in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.0 * n_cols + 1.2, 1.45 * len(rows)),
                             squeeze=False, sharey="row")
    styles = series_styles(rows, prefer=_PREFER, distinct=False)
    colors = _row_colors(rows, styles)
    for r, (row_axes, (name, stats)) in enumerate(zip(axes, rows.items(), strict=True)):
        for c, (ax, layer) in enumerate(zip(row_axes, stats, strict=False)):
            values = _layer_values(layer)
            span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
            total = layer.output.numel()
            counts, edges = np.histogram(values, bins=bins, range=span)
            ax.stairs(counts / total, edges, fill=True, color=colors[name], alpha=0.85)
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
            if c == 0:  # "sigmoid, N(0, 1)" on two lines, so it stays clear of the ticks
                ax.set_ylabel(name.replace(", ", ",\n", 1), fontsize=8)
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
    every run is one thin line in the scheme's colour (its marker about every tenth
    layer). Zeros (float32 underflow) cannot be drawn on a log axis, so a line stops where
    its values reach exactly 0.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9), sharex=True)
    styles = series_styles(profiles, prefer=_PREFER)
    for name, runs in profiles.items():
        for k, run in enumerate(runs):
            layers = np.array([s.index for s in run])
            kwargs = line_kwargs(styles[name], n_points=len(layers))
            kwargs.update(linewidth=1.2, alpha=0.8, label=name if k == 0 else None)
            for ax, attribute in zip(axes, ("std", "grad_std"), strict=True):
                values = np.array([getattr(s, attribute) for s in run], dtype=float)
                values[values <= 0] = np.nan
                ax.semilogy(layers, values, **kwargs)
    axes[0].set(xlabel="layer", ylabel="std of the activations", title="Forward: activations")
    axes[1].set(xlabel="layer", ylabel="std of dLoss/d(activation)",
                title="Backward: gradients (sent back from the last layer)")
    axes[0].legend()
    fig.suptitle(title or "A 50-layer ReLU network at initialization")
    fig.tight_layout()
    return fig


def plot_loss_curves(
    step_losses: Mapping[str, np.ndarray], *, window: int = 50, reference: float | None = None,
    title: str = "", what: Spread = "sd",
) -> Figure:
    """Training loss per step, smoothed by a moving average, mean ± sd over seeds.

    ``step_losses`` maps a run's name to an array ``(seeds, steps)``; a window longer than
    the shortest run is shortened to its length. ``reference`` draws
    a horizontal line (e.g. ln 10, the loss of a uniform guess over 10 classes). The band
    is the sample sd (``what="sd"``) or the 95 % t interval of the mean (``what="ci"``),
    computed by :mod:`course_utils.stats`, and the legend says which.
    """
    if window < 1:
        raise ValueError(f"window must be positive, but got {window}")
    # a run shorter than the window is smoothed over its whole length
    window = min(window, min(np.asarray(runs).shape[-1] for runs in step_losses.values()))
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    kernel = np.ones(window) / window
    styles = series_styles(step_losses, prefer=_PREFER)
    for name, runs in step_losses.items():
        runs = np.asarray(runs, dtype=float)
        smooth = np.stack([np.convolve(run, kernel, mode="valid") for run in runs])
        plot_mean_std_curves(ax, np.arange(window, runs.shape[1] + 1), smooth, label=name,
                             method=styles[name], what=what)
    if reference is not None:
        ax.axhline(reference, **REFERENCE, label=f"ln 10 = {reference:.3f}")
    ax.set(xlabel="iteration (mini-batch of 128)", ylabel=f"training loss ({window}-step mean)",
           title=title or "Training loss", ylim=(0, None))
    ax.legend()
    return fig


def plot_width_sweep(
    widths: Sequence[int],
    spreads: Mapping[str, Sequence[float]],
    *,
    theory: Mapping[str, Sequence[float]] | None = None,
    title: str = "",
) -> Figure:
    """The std of a layer's pre-activations against its fan-in, log-log, one line per scheme.

    ``spreads`` maps a scheme to one measured std per width; ``theory`` (optional) maps a
    scheme to its predicted std per width, drawn as a thin dotted line in the scheme's
    colour without markers. Each scheme keeps its palette style.

    Raises:
        ValueError: no widths, a width below 1, or a series of another length than ``widths``.
    """
    widths = list(widths)
    if not widths or min(widths) < 1:
        raise ValueError(f"widths must be positive integers, but got {widths}")
    for argument, series in (("spreads", spreads), ("theory", theory or {})):
        for name, values in series.items():
            if len(values) != len(widths):
                raise ValueError(f"{argument}[{name!r}] must have one value per width "
                                 f"({len(widths)}), but got {len(values)}")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    styles = series_styles(list(spreads) + [n for n in (theory or {}) if n not in spreads],
                           prefer=_PREFER, distinct=False)
    for name, values in spreads.items():
        ax.loglog(widths, values, **line_kwargs(styles[name]))
    for name, values in (theory or {}).items():
        ax.loglog(widths, values, color=styles[name].color, linestyle=":", linewidth=1.2)
    if theory:  # one legend entry for all the dotted lines, in a neutral grey
        ax.plot([], [], color="0.4", linestyle=":", linewidth=1.2,
                label=r"theory $\sqrt{n_{in}\,\mathrm{Var}(w)}$, in each scheme's colour")
    ax.set(xlabel="fan-in $n_{in}$ (inputs summed per unit, log scale)",
           ylabel="std of the pre-activations z (log scale)",
           title=title or "Pre-activation spread against the width of the layer below")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def plot_weight_draws(
    draws: Mapping[str, Mapping[str, Tensor]],
    *,
    bounds: Mapping[str, float] | None = None,
    bins: int = 48,
    title: str = "",
) -> Figure:
    """Histograms of drawn weights, one panel per scheme, its forms overlaid.

    ``draws`` maps a scheme (the panel, in the scheme's colour) to ``{label: weights}``:
    the first form (e.g. the normal one) is drawn filled, the others (the uniform one) as
    a darker outline. ``bounds`` maps a scheme to the uniform bound ``a``, marked at
    ``±a``. The panels share their x axis. With ``bounds`` each panel's bins span
    ``±2a`` of its own scheme, so that bin edges fall on ``±a`` (``bins`` divisible by 4);
    otherwise the bins span the largest weight. The y axis is a density (area 1 over all
    the weights, those outside the bins included).

    Raises:
        ValueError: no schemes, a scheme without forms, ``bins`` below 1, or a bound that
            is not positive.
    """
    if not draws or any(not forms for forms in draws.values()):
        raise ValueError("draws must map at least one scheme to at least one set of weights, "
                         f"but got {dict(draws)!r}")
    if bins < 1:
        raise ValueError(f"bins must be positive, but got {bins}")
    for name, bound in (bounds or {}).items():
        if not bound > 0:
            raise ValueError(f"bounds[{name!r}] must be positive, but got {bound}")
    fig, axes = plt.subplots(1, len(draws), figsize=(3.6 * len(draws) + 0.6, 3.4),
                             sharex=True, squeeze=False)
    styles = series_styles(draws, prefer=_PREFER, distinct=False)
    limit = max(float(w.detach().abs().max()) for forms in draws.values() for w in forms.values())
    for ax, (name, forms) in zip(axes[0], draws.items(), strict=True):
        color = styles[name].color
        span = 2 * bounds[name] if bounds is not None and name in bounds else limit
        edges = np.linspace(-span, span, bins + 1)
        for k, (label, weights) in enumerate(forms.items()):
            values = weights.detach().flatten().numpy()
            counts, _ = np.histogram(values, bins=edges)
            density = counts / (len(values) * np.diff(edges))
            if k == 0:
                ax.stairs(density, edges, fill=True, color=color, alpha=0.45, label=label)
            else:
                ax.stairs(density, edges, color=shade(color, 0.45), linewidth=1.6,
                          linestyle="-" if k == 1 else "--", label=label)
        if bounds is not None and name in bounds:
            a = bounds[name]
            ax.axvline(-a, **REFERENCE, label=f"±a = ±{a:.3g}")
            ax.axvline(a, **REFERENCE)
        ax.set(title=name, xlabel="weight value", ylabel="density" if ax is axes[0][0] else "")
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title or "Normal and uniform draws of each scheme")
    fig.tight_layout()
    return fig


def plot_lr_sweeps(
    lrs: Mapping[str, Sequence[float]],
    results: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    chosen: Mapping[str, Mapping[str, float]] | None = None,
    chance: float | None = 0.1,
    ylabel: str = "validation accuracy",
    title: str = "",
) -> Figure:
    """Validation accuracy against the learning rate, one panel per group (activation).

    ``lrs`` maps a group to its grid; ``results`` maps the group to ``{scheme: one value
    per learning rate}`` (e.g. the mean over the selection seeds). ``chosen`` maps the group
    to ``{scheme: chosen learning rate}``, marked by a large open marker. The panels share
    the y axis (0 to 1) so the groups can be compared.

    Raises:
        ValueError: the groups of ``lrs`` and ``results`` differ, a series has another
            length than its grid, or a chosen rate is not in its grid.
    """
    if list(lrs) != list(results) or not lrs:
        raise ValueError(f"lrs and results must name the same groups, but got {list(lrs)} "
                         f"and {list(results)}")
    fig, axes = plt.subplots(1, len(lrs), figsize=(4.6 * len(lrs) + 2.2, 3.6), sharey=True,
                             squeeze=False)
    for ax, (group, grid) in zip(axes[0], lrs.items(), strict=True):
        styles = series_styles(results[group], prefer=_PREFER)
        for name, values in results[group].items():
            if len(values) != len(grid):
                raise ValueError(f"results[{group!r}][{name!r}] must have one value per "
                                 f"learning rate ({len(grid)}), but got {len(values)}")
            ax.plot(grid, values, **line_kwargs(styles[name]))
            if chosen is not None and name in chosen.get(group, {}):
                lr = chosen[group][name]
                if lr not in list(grid):
                    raise ValueError(f"chosen[{group!r}][{name!r}] must be one of the grid "
                                     f"{list(grid)}, but got {lr}")
                ax.plot([lr], [values[list(grid).index(lr)]], marker="o", markersize=13,
                        markerfacecolor="none", markeredgecolor=styles[name].color,
                        linestyle="none")
        if chance is not None:
            ax.axhline(chance, **REFERENCE, label="chance")
        ax.set_xscale("log")
        ax.set(xlabel="learning rate (log scale)", title=group, ylim=(0, 1))
    axes[0][0].set_ylabel(ylabel)
    note = " (circled: the rate chosen)" if chosen is not None else ""
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(title or f"Accuracy after a fixed budget against the learning rate{note}")
    fig.tight_layout()
    return fig


def plot_depth_sweep(
    depths: Sequence[int],
    panels: Mapping[str, Mapping[str, np.ndarray]],
    *,
    references: Mapping[str, tuple[float, str]] | None = None,
    what: Spread = "ci",
    title: str = "",
) -> Figure:
    """Results against the number of hidden layers: one panel per result, one line per scheme.

    ``panels`` maps a y label (e.g. ``"final training loss"``) to ``{scheme: array of
    shape (seeds, depths)}``; each scheme is drawn in its palette style as the mean with
    error bars (the 95 % t interval by default, or the sample sd with ``what="sd"``), the
    legend saying which. ``references`` maps a y label to ``(value, label)`` for a
    horizontal reference line (chance, ln 10).

    Raises:
        ValueError: no panels, or an array that is not ``(seeds >= 2, len(depths))``.
    """
    depths = list(depths)
    if not panels:
        raise ValueError("panels must hold at least one result, but got none")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels) + 0.6, 3.7),
                             squeeze=False)
    for ax, (ylabel, runs) in zip(axes[0], panels.items(), strict=True):
        styles = series_styles(runs, prefer=_PREFER)
        for name, values in runs.items():
            values = np.asarray(values, dtype=float)
            if values.ndim != 2 or values.shape[1] != len(depths) or values.shape[0] < 2:
                raise ValueError(f"panels[{ylabel!r}][{name!r}] must have shape (seeds >= 2, "
                                 f"{len(depths)}), but got {values.shape}")
            summaries = [summarize_values(column) for column in values.T]
            errorbars(ax, depths, summaries, what=what, method=styles[name])
        if references is not None and ylabel in references:
            value, label = references[ylabel]
            ax.axhline(value, **REFERENCE, label=label)
        ax.set(xlabel="hidden layers", ylabel=ylabel, xticks=depths)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    fig.suptitle(title or "Results against depth")
    fig.tight_layout()
    return fig


def _resolution(stats: Sequence[object]) -> np.ndarray:
    """Per layer, the smallest spread over the inputs a layer's float outputs can resolve:
    10 x the dtype's machine epsilon x the outputs' root mean square (a unit's offset)."""
    floors = []
    for layer in stats:
        output = layer.output
        if output is None:
            floors.append(0.0)
            continue
        rms = float(output.detach().double().pow(2).mean().sqrt())
        floors.append(10 * torch.finfo(output.dtype).eps * rms)
    return np.array(floors)


def plot_init_explorer(
    stats: Sequence[object], *, title: str = "", max_panels: int = 5, relu_max: float = 3.0
) -> Figure:
    """The chapter 01 explorer's view: histograms of a few layers and std per layer.

    Shows ``max_panels`` layers spread evenly from the first to the last (fixed ranges as
    in :func:`plot_layer_histograms`, values beyond them piled into the end bins, one
    shared y axis; a ReLU panel's title gives the share of exact zeros ("0: 50%"), which
    it leaves out, and the share piled into its last bin (">3: 1%")), then, against depth on
    a log axis, the pooled std of the activations, each unit's spread over the inputs
    (``unit_std``, where it was recorded: a pooled std kept up by per-unit offsets, such as
    a sigmoid's mean or PyTorch's default biases, shows as a gap between the two lines; it
    is not drawn where it falls below 10 machine epsilons of the outputs' size, where a
    measured spread is rounding noise) and the std of the gradients.
    """
    if not stats:
        raise ValueError("stats must hold at least one layer, but got none")
    picks = sorted({round(i) for i in np.linspace(0, len(stats) - 1, min(max_panels, len(stats)))})
    fig = plt.figure(figsize=(11, 3.9))
    grid = fig.add_gridspec(1, len(picks) + 2)
    panels = []
    for col, i in enumerate(picks):
        layer = stats[i]
        ax = fig.add_subplot(grid[0, col], sharey=panels[0] if panels else None)
        panels.append(ax)
        values = _layer_values(layer)
        span = _HIST_RANGES.get(layer.name, (0.0, relu_max))
        counts, edges = np.histogram(np.clip(values, *span), bins=30, range=span)
        ax.stairs(counts / layer.output.numel(), edges, fill=True, color=OTHER_COLORS[0])
        heading = f"layer {layer.index}\nstd {layer.std:.2g}"
        if layer.name == "ReLU":  # the zeros are left out; values beyond the range sit in the last bin
            total = layer.output.numel()
            beyond = float(np.sum(values > relu_max)) / total
            heading += f"\n0: {100 * (1 - len(values) / total):.0f}%, >{relu_max:g}: {100 * beyond:.0f}%"
        ax.set_title(heading, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel(f"activation (last bin: >{relu_max:g})" if layer.name == "ReLU" else "activation",
                      fontsize=8)
        if col == 0:
            ax.set_ylabel("fraction of values", fontsize=8)
    ax = fig.add_subplot(grid[0, len(picks):])
    layers = [s.index for s in stats]
    series = (("std", "activation std (pooled)"),
              ("unit_std", "each unit's spread over the inputs"),
              ("grad_std", "gradient std"))
    for k, (attribute, label) in enumerate(series):
        values = np.array([getattr(s, attribute) or np.nan for s in stats], dtype=float)
        if np.isnan(values).all():  # not recorded (e.g. batches of one input)
            continue
        values[values <= 0] = np.nan
        if attribute == "unit_std":  # below the float resolution of the outputs it is rounding noise
            values[values < _resolution(stats)] = np.nan
            label += " (not drawn below\nthe float resolution)"
        ax.semilogy(layers, values, **line_kwargs(other_style(k, label), n_points=len(layers)))
    ax.set(xlabel="layer", ylabel="std (log scale)", title="Through depth")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
    fig.suptitle(title or "Activations and gradients at initialization")
    fig.tight_layout()
    return fig
