"""Chapter 05's figures: each measurement drawn in its normalization's colours, on axes a
reader can read (plain numbers on log axes), with the spread it shows named."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pytest
import torch

from course_utils import plotting
from course_utils.plotting import style

pytestmark = pytest.mark.batchnorm



def _colors(ax):
    return [mcolors.to_hex(container.lines[0].get_color()) for container in ax.containers]


def _tick_texts(axis):
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_layer_drift_draws_each_network_in_its_colour_with_seed_error_bars():
    rng = np.random.default_rng(0)
    drift = {"without BN": rng.random((5, 4, 3)) + 0.5, "with BN": rng.random((5, 4, 3)) * 0.01,
             "BN + injected shift": rng.random((5, 4, 3)) + 1}
    fig = plotting.plot_layer_drift(drift, every=25)
    ax = fig.axes[0]
    assert _colors(ax) == [style(n).color.lower() for n in ("no BN", "BN", "injected shift")]
    assert ax.get_yscale() == "log" and "25 steps" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert all("mean ± sd, 5 seeds" in t.get_text() for t in ax.get_legend().get_texts())
    assert not any("10^" in t for t in _tick_texts(ax.yaxis))  # plain numbers
    assert ax.get_title()


def test_layer_drift_of_one_run_has_no_error_bars_and_bad_shapes_are_rejected():
    fig = plotting.plot_layer_drift({"with BN": np.full((4, 2), 0.1)}, every=10)
    assert not fig.axes[0].containers and fig.axes[0].lines
    assert "(1 run)" in fig.axes[0].get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="drift must be an array of 3 dimensions"):
        plotting.plot_layer_drift({"with BN": np.zeros(3)}, every=10)


def test_loss_along_gradient_shows_the_ratio_to_the_loss_before_the_step():
    losses = {"relu, no BN": np.array([[2.0, 1.0, 8.0], [2.0, 1.2, 6.0]]),
              "relu, BN": np.array([[1.0, 0.5, 0.4], [1.0, 0.6, 0.5]])}
    fig = plotting.plot_loss_along_gradient([0.0, 0.1, 1.0], losses)
    ax = fig.axes[0]
    line = ax.containers[0].lines[0]
    assert np.allclose(line.get_xdata(), [0.1, 1.0])
    assert np.allclose(line.get_ydata(), [0.55, 3.5])  # mean of the per-seed ratios
    assert _colors(ax) == [style("no BN").color.lower(), style("BN").color.lower()]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert _tick_texts(ax.xaxis) == ["0.1", "1"]
    with pytest.raises(ValueError, match="step_sizes must start with 0"):
        plotting.plot_loss_along_gradient([0.1, 1.0], losses)
    with pytest.raises(ValueError, match="one column per step size"):
        plotting.plot_loss_along_gradient([0.0, 0.1], losses)


def test_gradient_spread_panels_share_their_log_axis_and_name_the_output_layer():
    panels = {"at initialization": {"sigmoid, no BN": [1e-4, 1e-3, 3e-2],
                                    "sigmoid, BN": [3e-3, 4e-3, 3e-2]},
              "after 100 steps": {"sigmoid, no BN": np.array([[1e-4, 4e-4, 1e-2]] * 3),
                                  "sigmoid, BN": np.array([[1e-3, 1e-3, 8e-3]] * 3)}}
    fig = plotting.plot_gradient_spread(panels)
    first, second = fig.axes
    assert first.get_ylim() == second.get_ylim() and first.get_yscale() == "log"
    assert [t.get_text() for t in first.get_xticklabels()][-1] == "3\n(output)"
    assert [ax.get_title() for ax in fig.axes] == list(panels)
    assert mcolors.to_hex(first.lines[0].get_color()) == style("no BN").color.lower()
    assert len(second.containers) == 2  # several seeds: error bars
    with pytest.raises(ValueError, match="panels must hold at least one panel"):
        plotting.plot_gradient_spread({})


def test_sigmoid_band_histograms_are_side_by_side_with_the_share_inside_the_band():
    inside, outside = torch.zeros(80), torch.full((20,), 3.0)
    fig = plotting.plot_sigmoid_linear_region(
        {"normalized x_hat": torch.cat([inside, outside]), "after gamma, beta": outside},
        threshold=1.4)
    assert len(fig.axes) == 3
    assert "80.0% inside the band" in fig.axes[1].get_title()
    assert "0.0% inside the band" in fig.axes[2].get_title()
    assert fig.axes[1].get_ylim() == fig.axes[2].get_ylim()


def test_lr_sweep_and_batch_noise_axes_show_plain_numbers():
    fig = plotting.plot_lr_sweep([0.03, 0.3, 3.0], {"relu, BN": [0.5, 0.9, 0.8]},
                                 ylabel="validation accuracy after 100 steps")
    assert _tick_texts(fig.axes[0].xaxis) == ["0.03", "0.3", "3"]
    fig = plotting.plot_batch_size_effect(
        [2, 4, 8], {"BN": np.full((3, 2), 0.5)},
        {"batch_size": [2, 4, 8], "mean_noise": [0.7, 0.5, 0.35], "var_noise": [0.9, 0.7, 0.5]},
        images_seen=64)
    texts = _tick_texts(fig.axes[1].yaxis)
    assert texts and not any("10^" in t or "$" in t for t in texts)


def test_drift_over_training_has_one_panel_per_network_sharing_the_log_axis():
    from course_utils.plotting.normalization import plot_drift_over_training

    rng = np.random.default_rng(0)
    drift = {"without BN": rng.random((2, 4, 3)) + 0.5, "with BN": rng.random((2, 4, 3)) * 0.01}
    fig = plot_drift_over_training(drift, every=25)
    first, second = fig.axes
    assert first.get_ylim() == second.get_ylim() and first.get_yscale() == "log"
    assert np.allclose(first.lines[0].get_xdata(), [25, 50, 75, 100])
    assert np.allclose(first.lines[2].get_ydata(), drift["without BN"][:, :, 2].mean(0))
    assert mcolors.to_hex(first.lines[0].get_color()) == style("no BN").color.lower()
    assert mcolors.to_hex(second.lines[0].get_color()) == style("BN").color.lower()
    assert [t.get_text() for t in second.get_legend().get_texts()] == ["layer 1", "layer 2", "layer 3"]
    assert "25 steps" in first.get_ylabel() and "2 seeds" in first.get_title()
    with pytest.raises(ValueError, match="drift must be an array of 3 dimensions"):
        plot_drift_over_training({"with BN": np.zeros(3)}, every=10)
    with pytest.raises(ValueError, match="every must be a positive"):
        plot_drift_over_training(drift, every=0)
    with pytest.raises(ValueError, match="at least one network"):
        plot_drift_over_training({}, every=10)


def test_probe_along_gradient_draws_every_seed_against_the_distance():
    from course_utils.plotting.normalization import plot_probe_along_gradient

    probe = {"distance": [0.0, 0.1, 1.0], "loss": [2.0, 1.0, 4.0],
             "gradient_change": [float("nan"), 3.0, 5.0]}
    fig = plot_probe_along_gradient({"relu, no BN": [probe, probe], "relu, BN": [probe]})
    left, right = fig.axes
    assert len(right.lines) == 3  # one per seed
    assert np.allclose(left.lines[0].get_xdata(), [0.1, 1.0])
    assert np.allclose(left.lines[0].get_ydata(), [0.5, 2.0])
    assert np.allclose(right.lines[0].get_ydata(), [3.0, 5.0])
    assert mcolors.to_hex(left.lines[0].get_color()) == style("no BN").color.lower()
    assert left.get_xscale() == right.get_yscale() == "log"
    assert "2 seeds, one line each" in left.get_legend().get_texts()[0].get_text()
    assert "distance" in left.get_xlabel() and left.get_title() and right.get_title()
    assert left.get_ylim() == (0.3, 30)
    with pytest.raises(ValueError, match="at least one network"):
        plot_probe_along_gradient({})
    with pytest.raises(ValueError, match="start at distance 0"):
        plot_probe_along_gradient({"relu, BN": [{**probe, "distance": [0.1, 0.2, 1.0]}]})


def test_lr_sweep_marks_diverged_runs_as_crosses_not_as_low_accuracy():
    fig = plotting.plot_lr_sweep(
        [0.1, 1.0, 10.0], {"relu, no BN": [0.9, 0.2, 0.1], "relu, BN": [0.9, 0.92, 0.5]},
        diverged={"relu, no BN": [False, False, True]})
    ax = fig.axes[0]
    plain, crosses = ax.lines[0], ax.lines[1]
    assert np.isnan(plain.get_ydata()[2]) and plain.get_ydata()[1] == 0.2  # no accuracy drawn
    assert crosses.get_marker() == "x" and len(crosses.get_xdata()) == 1
    assert crosses.get_ydata()[0] < 0 and ax.get_ylim()[0] < 0  # its own row, below 0
    assert mcolors.to_hex(crosses.get_color()) == style("no BN").color.lower()
    assert "diverged" in _tick_texts(ax.yaxis)
    assert any("diverged" in t.get_text() for t in ax.get_legend().get_texts())
    without = plotting.plot_lr_sweep([0.1, 1.0], {"relu, BN": [0.5, 0.9]})
    assert without.axes[0].get_ylim() == (0, 1) and "diverged" not in _tick_texts(without.axes[0].yaxis)
    with pytest.raises(ValueError, match="one flag per learning rate"):
        plotting.plot_lr_sweep([0.1, 1.0], {"relu, BN": [0.5, 0.9]}, diverged={"relu, BN": [True]})
    with pytest.raises(ValueError, match="not in results"):
        plotting.plot_lr_sweep([0.1, 1.0], {"relu, BN": [0.5, 0.9]}, diverged={"BN": [True, True]})


def test_grouped_bars_keep_batch_norms_colour_and_hatch_the_variants():
    values = {"relu, BN": {"before": [0.90, 0.92], "after": [0.91, 0.93]},
              "sigmoid, BN": {"before": [0.88, 0.89], "after": [0.87, 0.88]}}
    fig = plotting.plot_grouped_bars(values, ylabel="acc", title="t")
    ax = fig.axes[0]
    faces = [mcolors.to_hex(p.get_facecolor()) for p in ax.patches[:4]]
    blue = style("batch norm").color.lower()
    # bars in series order: before (relu, sigmoid), after (relu, sigmoid)
    assert faces[0] == faces[2] == blue and faces[1] == faces[3] != blue
    assert [p.get_hatch() or "" for p in ax.patches[:4]] == ["", "", "xxx", "xxx"]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "before (mean ± sd, 2 seeds)", "after (mean ± sd, 2 seeds)"]
    plain = plotting.plot_grouped_bars({"momentum 0.1": {"a": [0.9, 0.91], "b": [0.9, 0.92]},
                                        "momentum 0.9": {"a": [0.8, 0.81], "b": [0.9, 0.9]}},
                                       ylabel="acc", title="t")
    assert {mcolors.to_hex(p.get_facecolor()) for p in plain.axes[0].patches[:4]} == {blue}
    assert plain.axes[0].get_ylim()[0] == 0
    with pytest.raises(ValueError, match="at least one group"):
        plotting.plot_grouped_bars({}, ylabel="acc", title="t")
