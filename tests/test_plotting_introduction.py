"""Chapter 00 figures: the capacity sweep (train and held-out accuracy against width, with a
labelled floor and error bars that say what they are) and the paired seed spread."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.plotting.introduction import plot_capacity_sweep, plot_seed_spread
from course_utils.stats import summarize

pytestmark = pytest.mark.core



def _sweep(widths=(1, 2, 8, 128)):
    train = [summarize([0.2 + 0.2 * i, 0.25 + 0.2 * i, 0.3 + 0.2 * i]) for i in range(len(widths))]
    test = [summarize([0.15 + 0.1 * i, 0.2 + 0.1 * i, 0.18 + 0.1 * i]) for i in range(len(widths))]
    return list(widths), train, test


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_capacity_sweep_draws_a_marker_per_measured_width_on_a_log_axis():
    widths, train, test = _sweep()
    fig = plot_capacity_sweep(widths, train, test, title="t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [int(float(t.get_text())) for t in ax.get_xticklabels()] == widths
    lines = [container.lines[0] for container in ax.containers]
    assert len(lines) == 2  # train and test, one point per width (no interpolated widths)
    for line in lines:
        assert list(line.get_xdata()) == widths
        assert line.get_marker() not in (None, "", "None")
    np.testing.assert_allclose(lines[0].get_ydata(), [100 * s.mean for s in train])
    assert ax.get_title() == "t" and "hidden units" in ax.get_xlabel() and "%" in ax.get_ylabel()


def test_capacity_sweep_labels_its_floor_and_what_the_bars_are():
    widths, train, test = _sweep()
    fig = plot_capacity_sweep(widths, train, test, chance=0.1135, chance_label="always digit 1",
                              what="ci", held_out="validation")
    texts = _legend(fig.axes[0])
    assert any(t == "always digit 1 (11.3 %)" for t in texts)
    assert any(t.startswith("train") and "CI" in t for t in texts)
    assert any(t.startswith("validation") for t in texts)


def test_capacity_sweep_writes_notes_beside_the_named_widths():
    widths, train, test = _sweep()
    fig = plot_capacity_sweep(widths, train, test, notes={1: "still improving"})
    texts = [t for t in fig.axes[0].texts if t.get_text() == "still improving"]
    assert len(texts) == 1 and texts[0].xy == (1, 100 * train[0].mean)


def test_capacity_sweep_without_a_floor_draws_no_reference_line():
    widths, train, test = _sweep()
    fig = plot_capacity_sweep(widths, train, test, chance=None)
    assert not any("chance" in t for t in _legend(fig.axes[0]))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"widths": [1, 2]}, "same length"),
    ({"widths": [1, 4, 2, 8]}, "increasing"),
    ({"widths": [0, 2, 4, 8]}, "positive"),
    ({"what": "se"}, "what must be"),
    ({"notes": {16: "x"}}, "notes must name measured widths"),
])
def test_capacity_sweep_rejects_bad_input_naming_the_parameter(kwargs, message):
    widths, train, test = _sweep()
    args = {"widths": widths, "what": "sd", "notes": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        plot_capacity_sweep(args["widths"], train, test, what=args["what"], notes=args["notes"])


def test_seed_spread_keeps_the_legend_off_the_zero_line():
    fig = plot_seed_spread({"a": [0.80, 0.81, 0.82], "b": [0.81, 0.83, 0.83]}, title="t")
    right = fig.axes[1]
    legend = right.get_legend()
    assert legend is not None
    fig.canvas.draw()
    box = legend.get_window_extent()
    axes_box = right.get_window_extent()
    assert box.y1 <= axes_box.y0 + 1  # below the panel, clear of the data and the zero line
