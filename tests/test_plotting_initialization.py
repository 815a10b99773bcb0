"""Chapter 01's figures: every scheme in its palette colour in every figure, the spread a
figure shows named, and bad input rejected with the parameter's name."""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import diagnostics as diag
from course_utils import plotting
from course_utils.plotting import PALETTE, style

pytestmark = pytest.mark.init



def _hex(color) -> str:
    return mcolors.to_hex(color)


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_sigmoid_derivative_curves_use_no_scheme_colour_and_titles_both_levels():
    fig = plotting.plot_sigmoid_derivative(torch.linspace(-3, 3, 7), {"LeCun": [1.0, 0.5]},
                                           title="whole figure", gradient_title="right panel")
    left, right = fig.axes
    scheme_colours = {_hex(s.color) for s in PALETTE.values()}
    assert not {_hex(line.get_color()) for line in left.lines[:2]} & scheme_colours
    assert _hex(right.lines[0].get_color()) == _hex(style("LeCun").color)
    assert fig.get_suptitle() == "whole figure" and right.get_title() == "right panel"


def test_width_sweep_draws_each_scheme_in_its_colour_with_dotted_theory_lines():
    widths = [10, 100, 1000]
    spreads = {"N(0, 1)": [3.2, 10.0, 31.6], "He": [1.4, 1.4, 1.4]}
    theory = {name: [math.sqrt(n) if name == "N(0, 1)" else math.sqrt(2) for n in widths]
              for name in spreads}
    fig = plotting.plot_width_sweep(widths, spreads, theory=theory)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    measured, dotted = ax.lines[:2], ax.lines[2:4]
    assert [_hex(line.get_color()) for line in measured] == [
        _hex(style("N(0, 1)").color), _hex(style("He").color)]
    assert [_hex(line.get_color()) for line in dotted] == [_hex(line.get_color()) for line in measured]
    assert all(line.get_linestyle() == ":" for line in dotted)
    assert any(text.startswith("theory") for text in _legend(ax))
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize(("widths", "spreads", "theory", "message"), [
    ([], {}, None, r"widths must be positive integers, but got \[\]"),
    ([0, 10], {"He": [1, 1]}, None, r"widths must be positive integers, but got \[0, 10\]"),
    ([10, 100], {"He": [1.0]}, None, r"spreads\['He'\] must have one value per width \(2\), but got 1"),
    ([10, 100], {"He": [1, 1]}, {"He": [1, 1, 1]}, r"theory\['He'\] must have one value per width"),
])
def test_width_sweep_rejects_bad_input_naming_the_parameter(widths, spreads, theory, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_width_sweep(widths, spreads, theory=theory)


def test_weight_draws_overlay_the_forms_in_the_schemes_colour_with_the_bounds():
    g = torch.Generator().manual_seed(0)
    draws = {name: {"normal": torch.randn(2000, generator=g) * 0.05,
                    "uniform": (torch.rand(2000, generator=g) * 2 - 1) * 0.05 * math.sqrt(3)}
             for name in ("Xavier", "He")}
    bounds = {name: 0.05 * math.sqrt(3) for name in draws}
    fig = plotting.plot_weight_draws(draws, bounds=bounds, bins=40)
    assert [ax.get_title() for ax in fig.axes] == ["Xavier", "He"]
    for ax, name in zip(fig.axes, draws, strict=True):
        filled, outline = ax.patches[:2]  # the two stairs
        assert _hex(filled.get_facecolor()) == _hex(style(name).color)
        assert _hex(outline.get_edgecolor()) != _hex(style(name).color)
        assert [line.get_xdata()[0] for line in ax.lines] == [-bounds[name], bounds[name]]
        assert _legend(ax)[:2] == ["normal", "uniform"]
        # a density: the bars of the filled form integrate to (almost) 1 within +-2a
        heights, edges = filled.get_data().values, filled.get_data().edges
        assert np.sum(heights * np.diff(edges)) == pytest.approx(1.0, abs=0.01)
        assert edges[0] == pytest.approx(-2 * bounds[name])
        assert np.isclose(edges, bounds[name]).any()  # a bin edge on +a


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"draws": {}}, "draws must map at least one scheme"),
    ({"draws": {"He": {}}}, "draws must map at least one scheme"),
    ({"bins": 0}, "bins must be positive, but got 0"),
    ({"bounds": {"He": 0.0}}, r"bounds\['He'\] must be positive, but got 0.0"),
])
def test_weight_draws_reject_bad_input_naming_the_parameter(kwargs, message):
    arguments = {"draws": {"He": {"normal": torch.randn(100)}}} | kwargs
    with pytest.raises(ValueError, match=message):
        plotting.plot_weight_draws(**arguments)


def test_lr_sweeps_share_the_accuracy_axis_and_circle_the_chosen_rates():
    lrs = {"sigmoid": [0.3, 1.0, 3.0], "tanh": [0.03, 0.1, 0.3]}
    results = {"sigmoid": {"N(0, 1)": [0.6, 0.7, 0.1], "Xavier": [0.1, 0.1, 0.2]},
               "tanh": {"N(0, 1)": [0.3, 0.3, 0.2], "Xavier": [0.9, 0.9, 0.8]}}
    chosen = {"sigmoid": {"N(0, 1)": 1.0, "Xavier": 3.0}, "tanh": {"N(0, 1)": 0.03, "Xavier": 0.1}}
    fig = plotting.plot_lr_sweeps(lrs, results, chosen=chosen)
    left, right = fig.axes
    assert left.get_ylim() == right.get_ylim() == (0, 1)
    assert left.get_xscale() == "log" and [left.get_title(), right.get_title()] == ["sigmoid", "tanh"]
    # each scheme: its line, then the circle at the chosen rate, in the scheme's colour
    line, circle = left.lines[0], left.lines[1]
    assert _hex(line.get_color()) == _hex(style("N(0, 1)").color)
    assert list(circle.get_xdata()) == [1.0] and list(circle.get_ydata()) == [0.7]
    assert _hex(circle.get_markeredgecolor()) == _hex(style("N(0, 1)").color)
    assert "chance" in _legend(right)


@pytest.mark.parametrize(("lrs", "results", "chosen", "message"), [
    ({"a": [1]}, {"b": {"He": [0.5]}}, None, "lrs and results must name the same groups"),
    ({"a": [1, 2]}, {"a": {"He": [0.5]}}, None, r"results\['a'\]\['He'\] must have one value per"),
    ({"a": [1, 2]}, {"a": {"He": [0.5, 0.6]}}, {"a": {"He": 3}}, r"chosen\['a'\]\['He'\] must be one of"),
])
def test_lr_sweeps_reject_bad_input_naming_the_parameter(lrs, results, chosen, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_lr_sweeps(lrs, results, chosen=chosen)


def test_depth_sweep_draws_the_t_interval_of_each_scheme_and_the_references():
    rng = np.random.default_rng(0)
    depths = [5, 10, 20]
    panels = {"final training loss": {"Xavier": rng.random((5, 3)), "He": rng.random((5, 3))},
              "validation accuracy": {"Xavier": rng.random((5, 3)), "He": rng.random((5, 3))}}
    fig = plotting.plot_depth_sweep(depths, panels,
                                    references={"validation accuracy": (0.1, "chance")})
    loss, accuracy = fig.axes
    assert [loss.get_ylabel(), accuracy.get_ylabel()] == list(panels)
    assert list(loss.get_xticks()) == depths and loss.get_ylim()[0] == 0
    assert [_hex(c.lines[0].get_color()) for c in loss.containers] == [
        _hex(style("Xavier").color), _hex(style("He").color)]
    assert "Xavier (mean, 95 % CI, 5 seeds)" in _legend(loss)
    assert "chance" in _legend(accuracy) and "chance" not in _legend(loss)
    # the error bar of the first point is the t interval of its 5 values
    values = panels["final training loss"]["Xavier"][:, 0]
    half = 2.7764451051977987 * values.std(ddof=1) / math.sqrt(5)
    segment = loss.containers[0].lines[2][0].get_segments()[0]
    assert segment[1][1] - segment[0][1] == pytest.approx(2 * half)


@pytest.mark.parametrize(("panels", "message"), [
    ({}, "panels must hold at least one result"),
    ({"loss": {"He": np.ones((1, 2))}}, r"panels\['loss'\]\['He'\] must have shape \(seeds >= 2, 2\)"),
    ({"loss": {"He": np.ones((3, 3))}}, r"but got \(3, 3\)"),
])
def test_depth_sweep_rejects_bad_input_naming_the_parameter(panels, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_depth_sweep([5, 10], panels)


def test_histogram_rows_keep_their_scheme_colour_and_a_two_line_label():
    rows = {"sigmoid, LeCun = Xavier": diag.probe_stack("sigmoid", "lecun_normal", depth=2,
                                                        n_samples=50, keep_outputs=True),
            "ReLU, He": diag.probe_stack("relu", "he_normal", depth=2, n_samples=50,
                                         keep_outputs=True)}
    fig = plotting.plot_layer_histograms(rows)
    assert fig.axes[0].get_ylabel() == "sigmoid,\nLeCun = Xavier"
    assert _hex(fig.axes[0].patches[0].get_facecolor()) == _hex(style("LeCun").color)
    assert _hex(fig.axes[2].patches[0].get_facecolor()) == _hex(style("He").color)


def test_loss_curves_shorten_a_window_longer_than_the_runs():
    fig = plotting.plot_loss_curves({"He": np.ones((3, 10))}, window=50)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "training loss (10-step mean)"
    assert len(ax.lines[0].get_xdata()) == 1
    with pytest.raises(ValueError, match="window must be positive, but got 0"):
        plotting.plot_loss_curves({"He": np.ones((3, 10))}, window=0)


def test_histogram_variant_of_a_scheme_gets_a_darker_shade_of_its_colour():
    stats = diag.probe_stack("tanh", "xavier_normal", depth=1, n_samples=50, keep_outputs=True)
    fig = plotting.plot_layer_histograms({"tanh, Xavier": stats, "tanh, Xavier × 5/3": stats,
                                          "ReLU, Xavier": diag.probe_stack(
                                              "relu", "xavier_normal", depth=1, n_samples=50,
                                              keep_outputs=True)})
    first, variant, other = (_hex(ax.patches[0].get_facecolor()) for ax in fig.axes[:3])
    assert first == _hex(style("Xavier").color) == other  # another activation keeps the colour
    assert variant != first


def test_init_explorer_relu_panels_name_the_zeros_and_the_clipped_share():
    stats = diag.probe_stack("relu", 1.0, depth=2, n_samples=50, keep_outputs=True)
    fig = plotting.plot_init_explorer(stats, relu_max=3.0)
    title = fig.axes[0].get_title()
    assert "\n0: " in title and ">3: " in title
    assert fig.axes[0].get_xlabel() == "activation (last bin: >3)"
    tanh = plotting.plot_init_explorer(diag.probe_stack("tanh", 1.0, depth=2, n_samples=50,
                                                        keep_outputs=True))
    assert ">" not in tanh.axes[0].get_title()


def test_init_explorer_draws_the_per_unit_spread_beside_the_pooled_std():
    stats = diag.probe_stack("sigmoid", "lecun_normal", depth=4, n_samples=100, keep_outputs=True)
    fig = plotting.plot_init_explorer(stats)
    depth_panel = fig.axes[-1]
    labels = [line.get_label() for line in depth_panel.get_lines()]
    assert labels == ["activation std (pooled)",
                      "each unit's spread over the inputs (not drawn below\nthe float resolution)",
                      "gradient std"]
    pooled, per_unit = (line.get_ydata() for line in depth_panel.get_lines()[:2])
    assert np.allclose(per_unit, [s.unit_std for s in stats])
    assert per_unit[-1] < 0.1 * pooled[-1]  # the sigmoid's collapse, hidden in the pooled std
    plt.close(fig)
    # batches of one input have no per-unit spread: the line is left out
    single = diag.probe_stack("relu", "he_normal", depth=2, n_samples=1, keep_outputs=True)
    fig = plotting.plot_init_explorer(single)
    assert not any("each unit" in line.get_label() for line in fig.axes[-1].get_lines())
    plt.close(fig)
    # with PyTorch's default biases the spread falls below float32's resolution of the
    # offsets by layer 30: those points are rounding noise and are not drawn
    deep = diag.probe_stack("relu", "torch_default", depth=30, n_samples=200, keep_outputs=True,
                            bias="torch_default")
    fig = plotting.plot_init_explorer(deep)
    per_unit = fig.axes[-1].get_lines()[1].get_ydata()
    assert np.isnan(per_unit[-1]) and not np.isnan(per_unit[:5]).any()
    assert deep[-1].unit_std > 0  # a measured, non-zero noise value, left out on purpose
    plt.close(fig)

