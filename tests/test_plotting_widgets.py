"""Shared figures and the explorer machinery (chapter sections have their own tests)."""

from __future__ import annotations

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import plotting
from course_utils.training import History
from course_utils.widgets import CapacityExplorer, Explorer, capacity_run

pytestmark = pytest.mark.core



def test_plot_digits_titles_each_image_with_its_label():
    fig = plotting.plot_digits(torch.rand(12, 784), torch.arange(12) % 10, ncols=5, title="t")
    titled = [ax.get_title() for ax in fig.axes if ax.images]
    assert titled == [str(i % 10) for i in range(12)] and fig._suptitle.get_text() == "t"
    with pytest.raises(ValueError, match="ncols must be positive, but got 0"):
        plotting.plot_digits(torch.rand(2, 784), ncols=0)


def test_plot_class_counts_bars_equal_bincount():
    labels = torch.tensor([0, 0, 1, 9, 9, 9])
    fig = plotting.plot_class_counts({"train": labels})
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == torch.bincount(labels, minlength=10).tolist()


def test_train_test_curves_of_histories_one_line_per_run_and_split_with_legend():
    history = History(epoch=[1, 2], train_acc=[0.5, 0.7], val_acc=[0.4, 0.6])
    fig = plotting.plot_train_test_curves({"a": history, "b": history}, title="curves")
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and ax.get_title() == "curves" and ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["a: train", "a: test"]


def test_mean_std_band_spans_the_runs():
    fig, ax = plt.subplots()
    runs = np.array([[0.0, 1.0], [2.0, 3.0]])
    plotting.plot_mean_std_curves(ax, [1, 2], runs, label="m")
    assert np.allclose(ax.lines[0].get_ydata(), [1.0, 2.0])


def test_decision_boundary_shades_the_predicted_class():
    fig, ax = plt.subplots()
    x = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])

    def predict_proba(points):
        right = (points[:, 0] > 0).float()
        return torch.stack([1 - right, right], dim=1)

    plotting.plot_decision_boundary(ax, predict_proba, x, torch.tensor([0, 1]), title="split")
    assert ax.get_title() == "split" and len(ax.collections) >= 2


def test_explorer_redraws_when_a_control_changes():
    calls = []
    slider = ipywidgets.IntSlider(value=1, min=0, max=5)
    explorer = Explorer({"n": slider}, lambda n: calls.append(n) or n * 10)
    assert calls == [1] and explorer.last_result == 10
    slider.value = 3
    assert calls == [1, 3] and explorer.values == {"n": 3} and explorer.last_result == 30


def test_capacity_run_shows_overfitting_with_few_images():
    history = capacity_run(64, 2, 100, epochs=30)
    final = history.final()
    assert history.epoch[-1] == 30 and final["train_acc"] > final["val_acc"] + 0.1


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 1, 100), "hidden_width must be >= 1"), ((10, 1, 5), r"n_train must be in \[10, 7000\], but got 5")],
)
def test_capacity_run_rejects_bad_sizes(args, message):
    with pytest.raises(ValueError, match=message):
        capacity_run(*args)


def test_capacity_explorer_builds_its_sliders(monkeypatch):
    monkeypatch.setattr("course_utils.widgets.capacity_run",
                        lambda w, d, n: History(epoch=[5], train_acc=[1.0], val_acc=[0.5]))
    explorer = CapacityExplorer()
    assert set(explorer.values) == {"hidden_width", "n_hidden", "n_train"}
    assert explorer.last_result.axes[0].get_title().endswith("train 100.0%, validation 50.0%")


def _global_random_state():
    import random

    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global state is the point)
    return torch.get_rng_state().clone(), numpy_state, random.getstate()


def _compute(name, *args, **kwargs):
    from course_utils import widgets

    return lambda: getattr(widgets, name)(*args, **kwargs)


@pytest.mark.parametrize("compute", [
    _compute("capacity_run", 4, 1, 20, epochs=1),
    _compute("dropout_explorer_data", 0.5, n_train=20, epochs=1),
    _compute("batchnorm_explorer_runs", 0.1, 0.1, n_train=50, epochs=1),
    _compute("init_explorer_data", "tanh", "xavier_normal", 2, 1.0, n_samples=20),
    _compute("search_coverage", 9),
], ids=["capacity", "dropout", "batchnorm", "init", "search"])
def test_explorer_computes_leave_the_global_generators_alone(compute):
    # library code draws from its own generators (or seeds inside a fork), never from a
    # reseeded global one: a learner's own random state survives moving a slider
    torch.manual_seed(123)
    before = _global_random_state()
    compute()
    after = _global_random_state()
    assert torch.equal(before[0], after[0])
    assert np.array_equal(before[1], after[1]) and before[2] == after[2]
