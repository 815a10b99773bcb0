"""The plotting package: one palette for every chapter, bands that say what they are, and
each chapter module drawing its methods in their palette styles."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.collections import PathCollection

from course_utils import plotting
from course_utils.plotting import PALETTE, style
from course_utils.training import History

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_MODULES = ("introduction", "initialization", "weight_decay", "ensembles", "dropout",
                   "normalization", "search")



@dataclass(frozen=True)
class FakeSummary:
    """The attributes band() reads, without course_utils.stats."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    confidence: float = 0.95


def same_color(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def line_colors(ax) -> list[str]:
    return [mcolors.to_hex(line.get_color()) for line in ax.lines]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------------------------------
# The palette
# ---------------------------------------------------------------------------------------


def test_every_palette_entry_has_its_own_colour_and_marker():
    pairs = [(mcolors.to_hex(s.color), s.marker) for s in PALETTE.values()]
    duplicates = {pair for pair in pairs if pairs.count(pair) > 1}
    assert not duplicates, f"methods sharing colour and marker: {duplicates}"


def test_methods_shown_together_have_different_colours():
    # every family is compared in one figure somewhere, so colour alone must tell them apart
    # (except for the baselines, which are all grey, and random search variants)
    for family, names in plotting.FAMILIES.items():
        if family == "split":
            continue
        colors = [PALETTE[n].color for n in names]
        grey = [n for n in names if PALETTE[n].color == plotting.OKABE_ITO["grey"]]
        assert len(grey) <= 3, (family, grey)
        coloured = [c for c in colors if c != plotting.OKABE_ITO["grey"]]
        if family in ("init", "regularization", "dropout", "normalization"):
            assert len(set(coloured)) == len(coloured), family


def test_palette_colours_are_okabe_ito():
    okabe_ito = {mcolors.to_hex(c) for c in plotting.OKABE_ITO.values()}
    assert {mcolors.to_hex(s.color) for s in PALETTE.values()} <= okabe_ito


def test_palette_covers_the_course_methods():
    for name in ["all zeros", "constant", "N(0, 0.01²)", "N(0, 1)", "LeCun", "Xavier", "He",
                 "PyTorch default", "no regularization", "L2 penalty", "L1 subgradient",
                 "L1 proximal", "AdamW", "Adam + L2", "batch norm", "no normalization",
                 "layer norm", "dropout", "no dropout", "vanilla dropout", "single member",
                 "seeds ensemble", "bagging", "pasting", "hard vote", "soft vote", "AdaBoost",
                 "random search", "grid search", "successive halving", "TPE", "train",
                 "validation", "test"]:
        assert name in PALETTE


@pytest.mark.parametrize(
    ("canonical", "aliases"),
    [
        ("He", ["he", "HE", "kaiming", "He normal", "kaiming_normal_", " he   uniform "]),
        ("Xavier", ["xavier", "Glorot", "glorot uniform", "xavier_normal_"]),
        ("N(0, 0.01²)", ["std 0.01", "N(0, 0.01^2)", "n(0,0.01²)", "normal 0.01"]),
        ("N(0, 1)", ["std 1", "N(0,1)", "standard normal"]),
        ("LeCun", ["lecun", "LeCun normal", "lecun_normal_"]),
        ("PyTorch default", ["torch_default", "pytorch DEFAULT"]),
        ("L2 penalty", ["L2", "l2", "weight decay"]),
        ("AdamW", ["adamw", "decoupled weight decay"]),
        ("L1 proximal", ["proximal", "soft threshold"]),
        ("batch norm", ["BN", "BatchNorm1d", "batch normalization"]),
        ("no normalization", ["without BN", "no BN"]),
        ("layer norm", ["LayerNorm", "LN"]),
        ("dropout", ["inverted", "inverted dropout", "nn.Dropout"]),
        ("AdaBoost", ["adaboost", "SAMME", "boosting"]),
        ("successive halving", ["halving", "Successive Halving"]),
        ("TPE", ["tpe", "TPESampler"]),
        ("validation", ["val", "Validation"]),
    ],
)
def test_aliases_resolve_to_the_same_style(canonical, aliases):
    for alias in aliases:
        assert style(alias) is PALETTE[canonical], alias
    assert style(canonical).label == canonical


def test_an_unknown_method_raises_a_value_error_naming_it_and_the_known_ones():
    with pytest.raises(ValueError, match="unknown method 'Fixup'") as error:
        style("Fixup")
    assert "He" in str(error.value) and "AdaBoost" in str(error.value)


@pytest.mark.parametrize(
    ("label", "canonical", "prefer"),
    [
        ("random (He)", "He", ("init",)),
        ("sigmoid, N(0, 0.01²)", "N(0, 0.01²)", ()),
        ("LeCun N(0, 1/100)", "LeCun", ()),
        ("tanh, Xavier × 5/3", "Xavier", ()),
        ("L2, λ = 0.1", "L2 penalty", ()),
        ("Adam + L2 (0.01)", "Adam + L2", ()),
        ("AdamW (4)", "AdamW", ()),
        ("no decay", "no regularization", ()),
        ("L1 proximal", "L1 proximal", ()),
        ("measured: soft vote", "soft vote", ()),
        ("bagging (soft vote)", "bagging", ()),
        ("AdaBoost (SAMME, eta = 0.2)", "AdaBoost", ()),
        ("one network (mean)", "single member", ()),
        ("pasting (half)", "pasting", ()),
        ("p = 0.2", "dropout", ()),
        ("784-100x6-10, no dropout", "no dropout", ()),
        ("300 images + dropout 0.2", "dropout", ()),
        ("BN + injected shift", "BN + injected shift", ()),
        ("sigmoid, no BN", "no normalization", ()),
        ("random, uniform", "random, uniform scale", ()),
        ("log-uniform", "random search", ()),
        ("grid 3x3", "grid search", ()),
        ("early stop, patience 5", "early stopping", ()),
        ("tuned on the test set", "chosen on test", ()),
        ("5-fold mean (of 3)", "k-fold cross-validation", ()),
    ],
)
def test_find_style_reads_the_method_out_of_notebook_labels(label, canonical, prefer):
    assert plotting.find_style(label, prefer=prefer) is PALETTE[canonical]


@pytest.mark.parametrize("label", ["784-100-10", "momentum = None (cumulative)",
                                   "one fit() per member", "train error"])
def test_labels_that_name_no_method_find_none(label):
    assert plotting.find_style(label) is None


def test_split_of_and_series_styles():
    assert plotting.split_of("test error (1,000 new points)") == "test"
    assert plotting.split_of("no decay: train") == "train"
    assert plotting.split_of("AdaBoost") is None
    styles = plotting.series_styles(["relu, BN", "relu, no BN", "sigmoid, BN", "784-100-10"])
    bn = style("batch norm")
    assert styles["relu, BN"].color == bn.color and styles["relu, no BN"].color == style("no BN").color
    assert styles["sigmoid, BN"].marker == bn.marker and styles["sigmoid, BN"].color != bn.color
    assert styles["784-100-10"].color in plotting.OTHER_COLORS
    assert plotting.series_styles(["train error"], splits=True)["train error"].color == "#000000"


def test_splits_differ_by_line_style():
    assert [plotting.SPLITS[s].linestyle for s in ("train", "validation", "test")] == ["-", "--", ":"]


# ---------------------------------------------------------------------------------------
# Bands and error bars
# ---------------------------------------------------------------------------------------


def test_band_labels_say_sd_or_ci_and_the_seed_count():
    summaries = [FakeSummary(0.5, 0.1, 0.4, 0.6, 10), FakeSummary(0.7, 0.1, 0.6, 0.8, 10)]
    fig, ax = plt.subplots()
    sd_line = plotting.band(ax, [1, 2], summaries, what="sd", method="He")
    ci_line = plotting.band(ax, [1, 2], summaries, what="ci", method="kaiming", label="mine")
    assert sd_line.get_label() == "He (mean ± sd, 10 seeds)"
    assert ci_line.get_label() == "mine (mean, 95 % CI, 10 seeds)"
    assert same_color(sd_line.get_color(), style("He").color)
    [sd_band, ci_band] = ax.collections
    assert np.allclose(sd_band.get_paths()[0].vertices[:, 1].min(), 0.4)
    assert np.allclose(ci_band.get_paths()[0].vertices[:, 1].max(), 0.8)


def test_band_with_real_stats_summaries_uses_the_sample_sd():
    from course_utils.stats import summarize_curves

    runs = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    fig, ax = plt.subplots()
    plotting.band(ax, [0, 1], summarize_curves(runs), what="sd", method="Xavier", unit="runs")
    [poly] = ax.collections
    top = poly.get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(runs[:, 1].mean() + runs[:, 1].std(ddof=1))
    assert legend_labels(ax) == ["Xavier (mean ± sd, 3 runs)"]


def legend_labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def test_spread_label_names_ranges_and_rejects_unknown_kinds():
    summaries = [FakeSummary(0, 1, -1, 1, 2), FakeSummary(0, 1, -1, 1, 3, 0.9)]
    assert plotting.spread_label(summaries, "sd") == "mean ± sd, 2-3 seeds"
    assert plotting.spread_label(summaries[:1], "ci", unit="folds") == "mean, 95 % CI, 2 folds"
    with pytest.raises(ValueError, match="what must be 'sd' or 'ci', but got 'se'"):
        plotting.spread_label(summaries, "se")


def test_errorbars_say_what_they_are():
    fig, ax = plt.subplots()
    container = plotting.errorbars(ax, [0, 1], [FakeSummary(0.8, 0.05, 0.7, 0.9, 5)] * 2,
                                   what="ci", method="bagging")
    assert container.get_label() == "bagging (mean, 95 % CI, 5 seeds)"
    assert same_color(container.lines[0].get_color(), style("bagging").color)


def test_bar_errors_skip_single_runs():
    errors, note = plotting.bar_errors([[0.8, 0.9], [0.5, 0.7]], "sd")
    assert errors.shape == (2, 2) and note == "mean ± sd, 2 seeds"
    assert errors[0, 0] == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert plotting.bar_errors([[0.8]], "sd") == (None, "1 run")


def test_mean_std_curves_of_one_run_draw_no_band():
    fig, ax = plt.subplots()
    line = plotting.plot_mean_std_curves(ax, [1, 2], np.array([[0.1, 0.2]]), label="He")
    assert line.get_label() == "He (1 seed)" and not ax.collections


# ---------------------------------------------------------------------------------------
# Each chapter module draws methods in their palette styles
# ---------------------------------------------------------------------------------------


def _history(values):
    return History(epoch=list(range(1, len(values) + 1)), train_acc=list(values),
                   val_acc=[v * 0.9 for v in values])


def test_initialization_figures_use_the_schemes_colours():
    rng = np.random.default_rng(0)
    fig = plotting.plot_loss_curves({"He": rng.random((3, 60)), "N(0, 0.01²)": rng.random((3, 60))},
                                    window=10)
    ax = fig.axes[0]
    assert line_colors(ax) == [style("He").color.lower(), style("std 0.01").color.lower()]
    assert legend_texts(ax)[0] == "He (mean ± sd, 3 seeds)"
    fig = plotting.plot_sigmoid_derivative(torch.linspace(-3, 3, 7), {"LeCun": [1.0, 0.5]})
    assert same_color(fig.axes[1].lines[0].get_color(), style("LeCun").color)


def test_weight_decay_figures_use_the_regularizers_colours():
    runs = np.random.default_rng(0).random((3, 4))
    fig = plotting.plot_train_test_curves({"no decay": {"train": runs, "test": runs},
                                           "L2, λ = 0.1": {"train": runs, "test": runs}},
                                          epochs=[1, 2, 3, 4])
    ax = fig.axes[0]
    grey, blue = style("no decay").color.lower(), style("L2").color.lower()
    assert line_colors(ax) == [grey, grey, blue, blue]
    assert [line.get_linestyle() for line in ax.lines[:2]] == ["-", ":"]
    assert "no decay: train (mean ± sd, 3 seeds)" in legend_texts(ax)
    fig = plotting.plot_weight_norm_curves([0, 1, 2, 3], {"AdamW (4)": runs})
    assert line_colors(fig.axes[0]) == [style("AdamW").color.lower()]
    fig = plotting.plot_lambda_sweep([0.0, 0.01, 0.1], runs[:, :3], train_acc=runs[:, :3])
    assert "validation (mean ± sd, 3 seeds)" in legend_texts(fig.axes[0])


def test_weight_maps_share_one_colour_scale():
    fig = plotting.plot_input_weight_maps({"a": torch.rand(784), "b": 3 * torch.rand(784)})
    limits = {ax.images[0].get_clim() for ax in fig.axes[:2]}
    assert len(limits) == 1


def test_ensemble_figures_use_the_ensemble_colours():
    rng = np.random.default_rng(0)
    fig = plotting.plot_ensemble_size_curves(
        [1, 2, 3], {"bagging": {k: rng.random((3, 3)) for k in ("hard", "soft", "member")}})
    ax = fig.axes[0]
    assert line_colors(ax) == [style(n).color.lower() for n in ("soft vote", "hard vote",
                                                                 "single member")]
    assert legend_texts(ax)[0] == "soft vote (mean ± sd, 3 repetitions)"
    assert same_color(ax.title.get_color(), style("bagging").color)
    fig = plotting.plot_staged_curves({"AdaBoost (SAMME)": rng.random((3, 4)),
                                       "bagging (soft vote)": rng.random(4)},
                                      ylabel="accuracy", title="t",
                                      hlines={"one network (mean)": 0.5})
    assert line_colors(fig.axes[0])[:2] == [style("AdaBoost").color.lower(),
                                            style("bagging").color.lower()]
    assert same_color(fig.axes[0].lines[2].get_color(), style("single member").color)
    fig = plotting.plot_staged_curves({"train error": rng.random(4), "test error": rng.random(4)},
                                      ylabel="error", title="t")
    assert [line.get_linestyle() for line in fig.axes[0].lines] == ["-", ":"]


def test_dropout_figures_use_the_dropout_colours():
    runs = np.array([[0.5, 1.0], [0.6, 1.0]])
    fig = plotting.plot_train_test_curves({"no dropout": {"train": runs, "test": runs},
                                           "p = 0.2": {"train": runs, "test": runs}},
                                          epochs=[10, 20], gap=True)
    grey, green = style("no dropout").color.lower(), style("dropout").color.lower()
    assert line_colors(fig.axes[0]) == [grey, grey, green, green]
    assert [mcolors.to_hex(bar.get_facecolor()[:3]) for bar in fig.axes[1].patches] == [grey,
                                                                                        green]
    fig = plotting.plot_mask_average({"inverted": np.ones(3), "vanilla": np.ones(3)},
                                     {"inverted": 1.0, "vanilla": 0.5})
    assert line_colors(fig.axes[0])[::2] == [green, style("vanilla").color.lower()]


def test_regularizer_comparison_bars_start_at_zero():
    fig = plotting.plot_regularizer_comparison({"300 images": [0.8, 0.82],
                                                "300 images + dropout 0.2": [0.85]})
    ax = fig.axes[0]
    assert ax.get_xlim()[0] == 0
    assert [t.get_text() for t in ax.get_yticklabels()][1].endswith("(1 run)")
    assert same_color(ax.patches[1].get_facecolor(), style("dropout").color)


def test_normalization_figures_use_the_normalization_colours():
    fig = plotting.plot_lr_sweep([0.1, 1.0], {"relu, BN": [0.5, 0.9], "relu, no BN": [0.4, 0.1],
                                              "sigmoid, BN": [0.3, 0.8]})
    colors = line_colors(fig.axes[0])
    assert colors[:2] == [style("BN").color.lower(), style("no BN").color.lower()]
    assert colors[2] != colors[0] and fig.axes[0].lines[2].get_marker() == style("BN").marker
    fig = plotting.plot_batch_size_effect(
        [2, 4], {"BatchNorm": np.full((2, 3), 0.5), "LayerNorm": np.full((2, 3), 0.6)},
        {"batch_size": [2, 4], "mean_noise": [0.7, 0.5], "var_noise": [1.0, 0.7]},
        images_seen=64)
    data_lines = [container.lines[0] for container in fig.axes[0].containers]
    assert [mcolors.to_hex(line.get_color()) for line in data_lines] == [
        style("batch norm").color.lower(), style("layer norm").color.lower()]
    bars = plotting.plot_grouped_bars({"g": {"BN before activation": [0.5, 0.6]}}, ylabel="acc",
                                      title="t")
    assert bars.axes[0].get_ylim()[0] == 0


def test_search_figures_use_the_sampler_colours():
    fig = plotting.plot_best_found({"grid 3x3": [0.5, 0.6], "random, log scale": [0.7, 0.8]},
                                   title="t")
    points = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(points) == 2
    assert same_color(points[0].get_facecolor()[0], style("grid").color)
    assert same_color(points[1].get_facecolor()[0], style("random").color)
    fig = plotting.plot_budget_bars({"full search": 10, "successive halving": 4},
                                    {"full search": 0.9, "successive halving": 0.9}, title="t")
    assert same_color(fig.axes[0].patches[1].get_facecolor(), style("halving").color)


def test_every_chapter_figure_has_a_title_and_labelled_axes():
    rng = np.random.default_rng(0)
    figures = [
        plotting.plot_digits(torch.rand(3, 784)),
        plotting.plot_train_test_curves({"a": _history([0.5, 0.7])}),
        plotting.plot_weight_histograms({"L1": torch.randn(50)}),
        plotting.plot_ensemble_size_curves([1, 2], {"seeds": {k: rng.random((2, 2))
                                                              for k in ("hard", "soft", "member")}}),
        plotting.plot_grid_vs_random({"grid": ([1e-3, 1e-2], [1e-5, 1e-4], [0.5, 0.6]),
                                      "random": ([2e-3, 3e-2], [2e-5, 3e-4], [0.4, 0.7])},
                                     names=("lr", "wd")),
    ]
    for fig in figures:
        titled = fig.get_suptitle() or any(ax.get_title() for ax in fig.axes)
        assert titled
    grid, random = figures[-1].axes[0], figures[-1].axes[3]
    assert grid.get_xlim() == random.get_xlim() and grid.get_ylim() == random.get_ylim()


# ---------------------------------------------------------------------------------------
# Train and held-out curves, decision regions: one figure for every chapter
# ---------------------------------------------------------------------------------------


def _histories(rows, *, scale=0.9, epochs=None):
    """One History per row of train accuracies (held-out: ``scale`` times them)."""
    rows = np.asarray(rows, dtype=float)
    epochs = list(range(1, rows.shape[1] + 1)) if epochs is None else list(epochs)
    return [History(epoch=epochs, train_acc=list(row), val_acc=list(scale * row),
                    train_loss=list(1 - row), val_loss=list(1.2 - scale * row)) for row in rows]


def _band_range(ax, index=0):
    """Lowest and highest y of the ``index``-th band on ``ax``."""
    vertices = ax.collections[index].get_paths()[0].vertices
    return vertices[:, 1].min(), vertices[:, 1].max()


def test_train_test_curves_of_single_runs_are_plain_lines_by_method_and_split():
    fig = plotting.plot_train_test_curves({"He": _history([0.5, 0.7]),
                                           "Xavier": _history([0.4, 0.6])})
    ax = fig.axes[0]
    assert line_colors(ax) == [style(n).color.lower() for n in ("He", "He", "Xavier", "Xavier")]
    assert [line.get_linestyle() for line in ax.lines] == ["-", ":", "-", ":"]
    assert legend_texts(ax) == ["He: train", "He: test", "Xavier: train", "Xavier: test"]
    assert not ax.collections  # one run has no spread: no band
    assert np.allclose(ax.lines[1].get_ydata(), [0.45, 0.63])
    assert ax.get_xlabel() == "epoch" and ax.get_title() == "Accuracy per epoch"
    fig = plotting.plot_train_test_curves({"He": _history([0.5, 0.7])}, held_out="validation")
    assert fig.axes[0].lines[1].get_linestyle() == "--"
    assert legend_texts(fig.axes[0]) == ["He: train", "He: validation"]


def test_train_test_curves_accept_histories_seeds_and_arrays_alike():
    rows = np.array([[0.5, 0.7, 0.9], [0.6, 0.8, 1.0]])
    arrays = {"train": rows, "test": 0.9 * rows}
    from_histories = plotting.plot_train_test_curves({"L2": _histories(rows)}).axes[0]
    from_arrays = plotting.plot_train_test_curves({"L2": arrays}, epochs=[1, 2, 3]).axes[0]
    for ax in (from_histories, from_arrays):
        assert legend_texts(ax) == ["L2: train (mean ± sd, 2 seeds)",
                                    "L2: test (mean ± sd, 2 seeds)"]
        assert np.allclose(ax.lines[0].get_ydata(), rows.mean(axis=0))
        assert np.allclose(ax.lines[1].get_ydata(), 0.9 * rows.mean(axis=0))
        assert len(ax.collections) == 2
        assert ax.get_title() == "Accuracy per epoch (mean ± sd)"
    fig = plotting.plot_train_test_curves({"L2": _histories(rows[:1])})
    assert legend_texts(fig.axes[0])[0] == "L2: train (1 seed)" and not fig.axes[0].collections


def test_train_test_curves_draw_each_split_in_its_line_style_and_name_it():
    runs = np.random.default_rng(0).random((3, 4))
    fig = plotting.plot_train_test_curves(
        {"AdamW": {"train": runs, "validation": runs, "test": runs, "holdout": runs}},
        epochs=[1, 2, 3, 4])
    ax = fig.axes[0]
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", ":", ":"]
    assert [text.split(" (")[0] for text in legend_texts(ax)] == [
        "AdamW: train", "AdamW: validation", "AdamW: test", "AdamW: holdout"]
    assert ax.lines[0].get_markerfacecolor() != "white"
    assert all(line.get_markerfacecolor() == "white" for line in ax.lines[1:])
    assert set(line_colors(ax)) == {style("AdamW").color.lower()}


@pytest.mark.parametrize("what", ["sd", "ci"])
def test_train_test_curves_band_is_the_sample_sd_or_the_t_interval(what):
    from course_utils.stats import summarize

    rows = np.array([[0.5, 0.6], [0.7, 0.6], [0.9, 0.6]])
    fig = plotting.plot_train_test_curves({"He": {"train": rows}}, epochs=[1, 2], what=what)
    ax = fig.axes[0]
    first = summarize(rows[:, 0])
    low, high = ((first.mean - first.sd, first.mean + first.sd) if what == "sd"
                 else (first.low, first.high))
    assert _band_range(ax) == pytest.approx((low, high))
    words = "mean ± sd" if what == "sd" else "mean, 95 % CI"
    assert legend_texts(ax) == [f"He: train ({words}, 3 seeds)"]
    assert ax.get_title() == f"Accuracy per epoch ({words})"


def test_train_test_curves_against_the_training_step():
    runs = {"BN, batch 20": _histories([[0.5, 0.7]], epochs=[2, 4]),
            "BN, batch 100": _histories([[0.5, 0.7]], epochs=[2, 4])}
    fig = plotting.plot_train_test_curves(runs, steps_per_epoch={"BN, batch 20": 15,
                                                                 "BN, batch 100": 3})
    ax = fig.axes[0]
    assert [list(line.get_xdata()) for line in ax.lines] == [[30, 60], [30, 60], [6, 12], [6, 12]]
    assert ax.get_xlabel() == "training step" and ax.get_title() == "Accuracy per training step"
    fig = plotting.plot_train_test_curves({"a": {"train": np.ones((2, 2))}}, epochs=[1, 2],
                                          steps_per_epoch=10)
    assert list(fig.axes[0].lines[0].get_xdata()) == [10, 20]


def test_train_test_curves_of_losses_read_the_loss_curves():
    rows = np.array([[0.5, 0.7], [0.6, 0.8]])
    fig = plotting.plot_train_test_curves({"He": _histories(rows)}, metric="loss")
    ax = fig.axes[0]
    assert np.allclose(ax.lines[0].get_ydata(), (1 - rows).mean(axis=0))
    assert np.allclose(ax.lines[1].get_ydata(), (1.2 - 0.9 * rows).mean(axis=0))
    assert ax.get_ylabel() == "loss" and ax.get_title().startswith("Loss per epoch")


def test_train_test_curves_skip_a_curve_that_was_not_recorded():
    history = History(epoch=[1, 2], val_acc=[0.4, 0.6])  # fit(..., eval_train=False)
    fig = plotting.plot_train_test_curves({"He": history})
    assert legend_texts(fig.axes[0]) == ["He: test"]


def test_train_test_curves_draw_on_given_axes_with_a_title_ylabel_and_limits():
    fig, ax = plt.subplots()
    out = plotting.plot_train_test_curves({"a": _history([0.5, 0.7])}, ax=ax, title="t",
                                          ylabel="top-1 accuracy", ylim=(0, 1.02))
    assert out is fig and ax.get_title() == "t" and ax.get_ylabel() == "top-1 accuracy"
    assert ax.get_ylim() == (0, 1.02)


def test_train_test_curves_put_a_long_legend_beside_the_curves():
    runs = {f"He {k}": _histories([[0.5, 0.7], [0.6, 0.8]]) for k in range(3)}
    fig = plotting.plot_train_test_curves(runs)
    legend = fig.axes[0].get_legend()
    assert len(legend.get_texts()) == 6 and legend._loc == 2  # upper left, outside the axes


def test_train_test_curves_gap_panel_shows_each_seeds_final_gap_and_their_mean():
    from course_utils.stats import summarize

    train = np.array([[0.9, 1.0], [0.8, 1.0], [0.9, 0.96]])
    test = np.array([[0.7, 0.80], [0.7, 0.84], [0.7, 0.82]])
    gaps = 100 * (train[:, -1] - test[:, -1])
    fig = plotting.plot_train_test_curves({"no dropout": {"train": train, "test": test},
                                           "p = 0.2": {"train": train, "test": test - 0.01}},
                                          epochs=[1, 2], gap=True)
    ax_gap = fig.axes[1]
    assert [bar.get_height() for bar in ax_gap.patches] == pytest.approx(
        [gaps.mean(), gaps.mean() + 1])
    dots = [c for c in ax_gap.collections if isinstance(c, PathCollection)]
    assert np.allclose(dots[0].get_offsets()[:, 1], gaps)
    assert np.allclose(dots[1].get_offsets()[:, 1], gaps + 1)
    [caps_low, _] = ax_gap.lines[:2]  # the first error bar's caps: mean ± sd
    assert caps_low.get_ydata()[0] == pytest.approx(gaps.mean() - summarize(gaps).sd)
    assert [t.get_text() for t in ax_gap.get_xticklabels()] == ["no dropout", "p = 0.2"]
    assert ax_gap.get_ylabel() == "final train - test accuracy (points)"
    assert ax_gap.get_title() == "Final gap (bar: mean ± sd, 3 seeds; dots: seeds)"
    fig = plotting.plot_train_test_curves({"p = 0.2": _histories(train)}, held_out="validation",
                                          gap=True, what="ci")
    gaps = 100 * (train[:, -1] - 0.9 * train[:, -1])
    assert fig.axes[1].patches[0].get_height() == pytest.approx(gaps.mean())
    assert "validation" in fig.axes[1].get_ylabel() and "95 % CI" in fig.axes[1].get_title()


def test_train_test_curves_gap_of_losses_is_held_out_minus_train():
    rows = np.array([[0.5, 0.7], [0.6, 0.8]])
    fig = plotting.plot_train_test_curves({"He": _histories(rows)}, metric="loss", gap=True)
    expected = (1.2 - 0.9 * rows[:, -1]) - (1 - rows[:, -1])
    assert fig.axes[1].patches[0].get_height() == pytest.approx(expected.mean())
    assert fig.axes[1].get_ylabel() == "final test - train loss"


def test_train_test_curves_gap_of_one_run_has_no_error_bar():
    fig = plotting.plot_train_test_curves({"He": _history([0.5, 0.7])}, gap=True)
    ax_gap = fig.axes[1]
    assert ax_gap.patches[0].get_height() == pytest.approx(100 * (0.7 - 0.63))
    assert not ax_gap.lines and ax_gap.get_title() == "Final gap (bar: mean, 1 seed; dots: seeds)"


@pytest.mark.parametrize(("runs", "kwargs", "message"), [
    ({}, {}, "runs must hold at least one condition, but got {}"),
    ({"a": {}}, {"epochs": [1, 2]}, r"runs\['a'\] must map splits to seeds x epochs arrays, "
                                    r"but got \{\}"),
    ({"a": []}, {}, r"runs\['a'\] must be a History, a sequence of History .* but got list"),
    ({"a": "train"}, {}, r"runs\['a'\] must be a History, .* but got str"),
    ({"a": {"train": np.ones((2, 3))}}, {"epochs": [1, 2]},
     r"runs\['a'\]\['train'\] must be a seeds x epochs array with 2 epochs \(as in epochs\), "
     r"but got shape \(2, 3\)"),
    ({"a": {"train": np.ones((2, 2))}}, {}, "epochs must be given when runs\\['a'\\] holds arrays"),
    ({"a": _histories([[0.5, 0.7]]) + _histories([[0.5]])}, {},
     r"runs\['a'\] must hold runs with one train_acc value per epoch \(2 epochs\), "
     r"but got lengths \[1, 2\]"),
    ({"a": History(epoch=[1])}, {}, r"runs\['a'\] recorded no 'acc' curve"),
    ({"a": _history([0.5])}, {"what": "iqr"}, "what must be 'sd' or 'ci', but got 'iqr'"),
    ({"a": _history([0.5])}, {"metric": "f1"}, "metric must be 'acc' or 'loss', but got 'f1'"),
    ({"a": _history([0.5])}, {"held_out": "train"},
     "held_out must be 'validation' or 'test', but got 'train'"),
    ({"a": _history([0.5])}, {"steps_per_epoch": {"b": 3}},
     "steps_per_epoch must give every condition's steps, but 'a' is missing"),
    ({"a": _history([0.5])}, {"steps_per_epoch": 0},
     r"steps_per_epoch must be positive integers, but got \{'a': 0\}"),
    ({"a": {"train": np.ones((2, 2))}}, {"epochs": [1, 2], "gap": True},
     r"with gap=True each condition needs a 'train' curve and one held-out curve .*"
     r"runs\['a'\] has \['train'\]"),
])
def test_train_test_curves_reject_bad_input_naming_the_parameter(runs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_train_test_curves(runs, **kwargs)


def test_train_test_curves_with_a_gap_need_their_own_figure():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="ax cannot be given with gap=True"):
        plotting.plot_train_test_curves({"a": _history([0.5])}, gap=True, ax=ax)


def _moons_and_classifier():
    x = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    def predict_proba(points):
        right = (points[:, 0] > 0).float()
        return torch.stack([1 - right, right], dim=1)

    return x, torch.tensor([0, 1, 0]), predict_proba


def test_decision_boundaries_side_by_side_share_the_data_and_limits():
    x, y, predict_proba = _moons_and_classifier()
    fig = plotting.plot_decision_boundaries({"no decay": predict_proba,
                                             "stump 1\n(marker area = weight)":
                                                 (predict_proba, np.array([10.0, 20.0, 30.0])),
                                             "vote": (predict_proba, None)},
                                            x, y, title="panels", resolution=20)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["no decay", "stump 1\n(marker area = weight)",
                                               "vote"]
    assert fig.get_suptitle() == "panels"
    assert len({ax.get_xlim() for ax in axes}) == 1 and len({ax.get_ylim() for ax in axes}) == 1
    points = [[c for c in ax.collections if isinstance(c, PathCollection)][0] for ax in axes]
    assert list(points[1].get_sizes()) == [10.0, 20.0, 30.0]
    assert list(points[0].get_sizes()) == list(points[2].get_sizes()) == [12.0]


@pytest.mark.parametrize(("panels", "message"), [
    ({}, "panels must hold at least one classifier, but got {}"),
    ({"a": "not a function"}, r"panels\['a'\] must be predict_proba or a \(predict_proba, sizes\) "
                              "pair, but got str"),
])
def test_decision_boundaries_reject_bad_panels(panels, message):
    x, y, _ = _moons_and_classifier()
    with pytest.raises(ValueError, match=message):
        plotting.plot_decision_boundaries(panels, x, y)


# ---------------------------------------------------------------------------------------
# Package layout and the old module's names
# ---------------------------------------------------------------------------------------


def _names_used_outside_plotting() -> set[str]:
    """Every ``plotting.X`` / ``P.X`` attribute and ``from course_utils.plotting import X``."""
    sources = [p.read_text() for p in (ROOT / "course_utils").glob("*.py")]
    sources += [p.read_text() for p in (ROOT / "tests").glob("*.py") if p.name != "test_plotting.py"]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text())["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    names = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell with IPython magics
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "course_utils.plotting":
                names |= {alias.name for alias in node.names}
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in ("plotting", "P")):
                names.add(node.attr)
    return names


def test_every_name_the_course_uses_is_exported():
    used = _names_used_outside_plotting()
    assert {"plot_train_test_curves", "plot_decision_boundaries", "plot_grouped_bars",
            "show_figure", "set_style"} <= used
    missing = sorted(n for n in used if not hasattr(plotting, n))
    assert not missing
    assert set(plotting.__all__) <= set(dir(plotting))


@pytest.mark.parametrize("module", CHAPTER_MODULES)
def test_each_chapter_module_maps_its_figures_in_its_docstring(module):
    import importlib

    mod = importlib.import_module(f"course_utils.plotting.{module}")
    defined = [n for n, f in vars(mod).items()
               if n.startswith("plot_") and getattr(f, "__module__", "") == mod.__name__]
    assert defined
    for name in defined:
        assert f":func:`{name}`" in mod.__doc__, name
        assert getattr(plotting, name) is getattr(mod, name)


def test_only_plotting_imports_matplotlib():
    for path in (ROOT / "course_utils").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] == "matplotlib" for m in modules), path.name


def test_plotting_does_not_import_training_at_runtime():
    code = ("import sys, course_utils.plotting; "
            "print('course_utils.training' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
