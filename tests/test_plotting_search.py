"""Chapter 06 figures: k-fold stability, study trials by state, budgets and optimism panels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.colors import same_color

from course_utils import plotting, search
from course_utils.plotting import style

pytestmark = pytest.mark.search



def _errors(draws=4, configs=3, seed=0):
    generator = np.random.default_rng(seed)
    return {"single split": generator.normal(0, 0.04, (draws, configs)),
            "k-fold, k = 5": generator.normal(0, 0.02, (draws, configs))}


# ---------------------------------------------------------------------------------------
# plot_cv_stability
# ---------------------------------------------------------------------------------------


def test_cv_stability_shows_errors_in_points_and_picks_as_shares():
    errors = _errors()
    picks = {"single split": [0, 2, 2, 1], "k-fold, k = 5": [2, 2, 2, 2]}
    fig = plotting.plot_cv_stability(errors, picks, ["a", "b", "c"], best=2, title="t")
    left, right = fig.axes
    assert fig.get_suptitle() == "t"
    assert "points" in left.get_ylabel() and left.get_xlabel() and right.get_xlabel()
    heights = [patch.get_height() for patch in right.patches]
    assert heights == pytest.approx([0.25, 0.25, 0.5, 0.0, 0.0, 1.0])  # shares, not counts
    assert right.get_ylim()[0] == 0
    assert "best on new data" in right.get_xticklabels()[2].get_text()
    assert "best on new data" not in right.get_xticklabels()[0].get_text()
    dots = np.concatenate([c.get_offsets()[:, 1] for c in left.collections if len(c.get_offsets()) == 4])
    assert np.abs(dots).max() == pytest.approx(100 * max(np.abs(e).max() for e in errors.values()))
    legend = [text.get_text() for text in left.get_legend().get_texts()]
    assert legend == ["single split (mean ± sd, 4 draws)", "k-fold, k = 5 (mean ± sd, 4 draws)"]


def test_cv_stability_uses_the_single_split_and_k_fold_colours():
    fig = plotting.plot_cv_stability(_errors(), {"single split": [0] * 4, "k-fold, k = 5": [1] * 4},
                                     ["a", "b", "c"], best=1, title="t")
    bars = fig.axes[1].patches
    assert same_color(bars[0].get_facecolor(), style("single split").color)
    assert same_color(bars[3].get_facecolor(), style("k-fold").color)


def test_cv_stability_accepts_tensors():
    errors = {name: torch.as_tensor(value) for name, value in _errors().items()}
    picks = {name: torch.zeros(4, dtype=torch.long).tolist() for name in errors}
    assert len(plotting.plot_cv_stability(errors, picks, ["a", "b", "c"], best=0, title="t").axes) == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"errors": {}}, "errors must hold at least one method"),
    ({"picks": {"single split": [0] * 4}}, "picks must name the methods of errors"),
    ({"best": 3}, "best must index one of the 3 configurations, but got 3"),
    ({"labels": ["a", "b"]}, r"must have shape \(draws >= 2, 2\), but got \(4, 3\)"),
    ({"picks": {"single split": [0, 1, 2, 3], "k-fold, k = 5": [0] * 4}},
     r"picks\['single split'\] must hold one configuration index in \[0, 3\)"),
    ({"picks": {"single split": [0, 1], "k-fold, k = 5": [0] * 4}}, "per draw \\(4\\), but got \\[0, 1\\]"),
])
def test_cv_stability_rejects_bad_input_naming_the_parameter(change, message):
    arguments = {"errors": _errors(), "picks": {"single split": [0] * 4, "k-fold, k = 5": [0] * 4},
                 "labels": ["a", "b", "c"], "best": 0}
    arguments.update(change)
    if "errors" in change and not change["errors"]:
        arguments["picks"] = {}
    with pytest.raises(ValueError, match=message):
        plotting.plot_cv_stability(arguments["errors"], arguments["picks"], arguments["labels"],
                                   best=arguments["best"], title="t")


def test_cv_stability_needs_two_draws():
    with pytest.raises(ValueError, match=r"errors\['single split'\] must have shape"):
        plotting.plot_cv_stability({"single split": np.zeros((1, 3))}, {"single split": [0]},
                                   ["a", "b", "c"], best=0, title="t")


# ---------------------------------------------------------------------------------------
# plot_study_trials
# ---------------------------------------------------------------------------------------


def _points(ax):
    return {collection.get_label(): collection.get_offsets() for collection in ax.collections}


def test_study_trials_never_draw_a_trial_without_a_value_at_zero():
    fig = plotting.plot_study_trials([0, 1, 2, 3], [0.5, None, 0.2, None],
                                     ["COMPLETE", "FAIL", "PRUNED", "RUNNING"], title="t")
    ax = fig.axes[0]
    points = _points(ax)
    failed = points["failed: no value (drawn below the axis)"]
    running = points["running: no value yet (drawn below the axis)"]
    assert failed[0, 1] < 0 and running[0, 1] < 0
    assert ax.get_ylim()[0] < failed[0, 1]
    assert "no value" in [label.get_text() for label in ax.get_yticklabels()]


def test_study_trials_say_that_pruned_values_are_early_ones_and_mark_their_epoch():
    fig = plotting.plot_study_trials([0, 1, 2], [0.8, 0.3, 0.1], ["COMPLETE", "PRUNED", "PRUNED"],
                                     steps=[50, 5, 15], title="t")
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["complete: value after the last epoch",
                      "pruned: last value reported before it was stopped"]
    assert sorted(text.get_text() for text in ax.texts) == ["epoch 15", "epoch 5"]
    pruned = _points(ax)["pruned: last value reported before it was stopped"]
    assert pruned[:, 1].tolist() == pytest.approx([0.3, 0.1])
    assert same_color(ax.collections[1].get_facecolor()[0], style("successive halving").color)


def test_study_trials_reject_lists_of_different_lengths():
    with pytest.raises(ValueError, match="one entry per trial, but got lengths 2, 2, 1"):
        plotting.plot_study_trials([0, 1], [0.5, 0.4], ["COMPLETE"], title="t")
    with pytest.raises(ValueError, match="lengths 1, 1, 1, 2"):
        plotting.plot_study_trials([0], [0.5], ["COMPLETE"], steps=[1, 2], title="t")


# ---------------------------------------------------------------------------------------
# plot_budget_bars, plot_optimism, plot_cv_scores
# ---------------------------------------------------------------------------------------


def test_budget_bars_name_their_score_and_print_its_interval():
    fig = plotting.plot_budget_bars({"full search": 100, "successive halving": 20},
                                    {"full search": 0.7, "successive halving": 0.75}, title="t",
                                    score_label="held-out accuracy",
                                    intervals={"full search": (0.65, 0.74)})
    texts = [text.get_text() for text in fig.axes[0].texts]
    assert texts[0] == "100 epochs\nheld-out accuracy\n0.700 (0.650-0.740)"
    assert texts[1] == "20 epochs\nheld-out accuracy\n0.750"
    assert fig.axes[0].get_ylim()[0] == 0


def test_score_vs_hyperparameter_marks_each_run_without_joining_them():
    fig = plotting.plot_score_vs_hyperparameter([1e-3, 1e-1, 1e-2], [0.2, 0.9, 0.6], name="learning rate",
                                                title="t")
    ax = fig.axes[0]
    runs = ax.lines[0]
    assert runs.get_linestyle() == "None" and runs.get_marker() not in (None, "None", "")
    assert list(runs.get_xdata()) == [1e-3, 1e-1, 1e-2]
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0, 1)
    assert [text.get_text() for text in ax.texts] == ["20%", "90%", "60%"]


def test_score_vs_hyperparameter_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 values and 1 scores"):
        plotting.plot_score_vs_hyperparameter([1e-3, 1e-2], [0.5], name="learning rate", title="t")


def test_budget_bars_name_their_interval_below_it():
    fig = plotting.plot_budget_bars({"full search": 100}, {"full search": 0.7}, title="t",
                                    intervals={"full search": (0.65, 0.74)}, interval_label="95 % CI")
    assert fig.axes[0].texts[0].get_text() == "100 epochs\nbest\n0.700 (0.650-0.740)\n95 % CI"


def test_budget_bars_reject_an_interval_label_without_intervals():
    with pytest.raises(ValueError, match="interval_label needs intervals"):
        plotting.plot_budget_bars({"full search": 100}, {"full search": 0.7}, title="t",
                                  interval_label="95 % CI")


def test_budget_bars_default_label_is_best():
    fig = plotting.plot_budget_bars({"full search": 10}, {"full search": 0.9}, title="t")
    assert fig.axes[0].texts[0].get_text() == "10 epochs\nbest\n0.900"


def test_optimism_with_fresh_accuracies_adds_a_panel_with_the_marks():
    optimism = {"tuned on the test set": [0.03, 0.04], "picked on validation": [0.0, -0.01]}
    fresh = {"tuned on the test set": [0.73, 0.74], "picked on validation": [0.72, 0.75]}
    fig = plotting.plot_optimism(optimism, fresh=fresh, marks={"one model": 0.7}, title="t")
    left, right = fig.axes
    assert fig.get_suptitle() == "t"
    assert "%" in right.get_xlabel() and "points" in left.get_xlabel()
    legend = [text.get_text() for text in right.get_legend().get_texts()]
    assert "one model: 70.0" in legend
    assert "tuned on the test set: mean 73.5" in legend
    assert any(line.get_xdata()[0] == pytest.approx(70.0) for line in right.lines)
    assert same_color(left.patches[0].get_facecolor()[:3], style("chosen on test").color)


def test_optimism_alone_keeps_one_panel_and_its_title():
    fig = plotting.plot_optimism({"tuned on the test set": [0.03, 0.04]})
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title() == "Reported test accuracy minus accuracy on fresh data"


def test_optimism_rejects_fresh_accuracies_of_unknown_strategies():
    with pytest.raises(ValueError, match="fresh must use the names of optimism"):
        plotting.plot_optimism({"a": [0.0, 0.1]}, fresh={"b": [0.7, 0.8]})


def test_cv_scores_show_how_often_each_configuration_wins_as_a_share():
    fig = plotting.plot_cv_scores(torch.rand(3, 4), ["a", "b", "c"],
                                  {"single split": [1, 2, 1], "k-fold": [0, 3, 0]}, title="t")
    right = fig.axes[1]
    assert [patch.get_height() for patch in right.patches] == pytest.approx(
        [0.25, 0.5, 0.25, 0.0, 1.0, 0.0])
    assert "share" in right.get_ylabel()


# ---------------------------------------------------------------------------------------
# curves evaluated every few epochs; the coverage explorer's equal budgets
# ---------------------------------------------------------------------------------------


def test_top_curves_put_each_point_at_its_epoch():
    curves = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]
    fig = plotting.plot_top_curves(curves, ["a", "b"], ncols=2, title="t", epochs=[2, 4, 6])
    assert fig.axes[0].lines[0].get_xdata().tolist() == [2, 4, 6]
    default = plotting.plot_top_curves(curves, ["a", "b"], ncols=2, title="t")
    assert default.axes[0].lines[0].get_xdata().tolist() == [1, 2, 3]


def test_halving_draws_each_rung_up_to_its_budget_in_epochs():
    curves = [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.2, 0.2, 0.2, 0.2]]
    result = search.successive_halving(3, lambda ids, r: [curves[i][r // 2 - 1] for i in ids],
                                       min_resource=2, max_resource=8, reduction_factor=2)
    fig = plotting.plot_halving(curves, result.resources, result.candidates, title="t",
                                epochs=[2, 4, 6, 8])
    coloured = [line for line in fig.axes[0].lines if len(line.get_xdata()) and line.get_linewidth() == 0.9
                and line.get_linestyle() == "-"]
    assert result.resources[-1] > 2
    assert max(max(line.get_xdata()) for line in coloured) == result.resources[-1]
    assert all(set(line.get_xdata()) <= {2, 4, 6, 8} for line in coloured)


@pytest.mark.parametrize("function", ["plot_top_curves", "plot_halving"])
def test_curve_figures_reject_epochs_of_the_wrong_length(function):
    curves = [[0.1, 0.2, 0.3]] * 2
    message = r"epochs must give one epoch per point of every curve \(\[3\] points\), but got 2 epochs"
    with pytest.raises(ValueError, match=message):
        if function == "plot_top_curves":
            plotting.plot_top_curves(curves, ["a", "b"], title="t", epochs=[2, 4])
        else:
            plotting.plot_halving(curves, [1], [[0, 1]], title="t", epochs=[2, 4])


def test_coverage_explorer_offers_only_equal_budgets_and_prints_both_counts():
    from course_utils.widgets import SearchCoverageExplorer

    explorer = SearchCoverageExplorer()
    budgets = list(explorer.controls["budget"].options)
    assert budgets == [n * n for n in range(1, 9)]
    for budget in (4, 25):
        explorer.controls["budget"].value = budget
        grid_title, random_title = (ax.get_title() for ax in explorer.last_result.axes[:2])
        assert grid_title.startswith(f"grid: {budget} trials,")
        assert random_title.startswith(f"random: {budget} trials,")
