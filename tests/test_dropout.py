"""Chapter 04: course_utils.dropout against torch.nn.Dropout / F.dropout as the oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.dropout import (
    Dropout,
    dropout,
    dropout_mask,
    hidden_activations,
    mc_dropout_predict,
    mean_abs_correlation,
    unit_ablation_drops,
)
from course_utils.models import mlp

pytestmark = pytest.mark.dropout

N_STAT = 200_000  # elements per statistical test


def _sigma_bound(p: float, n: int = N_STAT, sigmas: float = 5.0) -> float:
    """5 standard deviations of a Bernoulli(p) frequency over n draws: a false alarm
    has probability below 1e-6, while an off-by-0.01 rate (e.g. keep/drop swapped at
    p = 0.49) is still caught because the bound is about 0.006 at most."""
    return sigmas * math.sqrt(max(p * (1 - p), 1e-12) / n)


def _positive(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """Strictly positive inputs, so an output of exactly zero means 'dropped'."""
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) + 0.5


# --------------------------------------------------------------------------- the module


@pytest.mark.parametrize(("p", "inplace"), [(0.5, False), (0.2, True), (0.0, False), (1.0, False)])
def test_repr_matches_torch(p, inplace):
    assert repr(Dropout(p, inplace)) == repr(nn.Dropout(p, inplace))


def test_repr_names_vanilla_mode():
    assert repr(Dropout(0.3, mode="vanilla")) == "Dropout(p=0.3, inplace=False, mode='vanilla')"


def test_is_a_drop_in_inside_mlp():
    ours = mlp([784, 100, 100, 10], dropout=0.2, dropout_layer=Dropout)
    theirs = mlp([784, 100, 100, 10], dropout=0.2)
    assert repr(ours) == repr(theirs)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(5, 784)
    torch.testing.assert_close(ours.eval()(x), theirs.eval()(x))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_zero_fraction_matches_p_like_torch(p):
    x = _positive((N_STAT,))
    ours = (Dropout(p)(x) == 0).double().mean().item()
    theirs = (nn.Dropout(p)(x) == 0).double().mean().item()
    assert abs(ours - p) < _sigma_bound(p)
    assert abs(theirs - p) < _sigma_bound(p)  # the oracle obeys the same bound


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_survivors_scaled_like_torch(p):
    x = _positive((1000,))
    ours, theirs = Dropout(p)(x), nn.Dropout(p)(x)
    for y in (ours, theirs):
        kept = y != 0
        torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_evaluation_is_identity_like_torch():
    x = torch.randn(4, 7)
    ours, theirs = Dropout(0.4).eval(), nn.Dropout(0.4).eval()
    assert torch.equal(ours(x), theirs(x))
    assert ours(x) is x  # PyTorch returns its input unchanged, so do we


def test_train_switch_follows_self_training():
    layer, x = Dropout(0.5), _positive((2000,))
    assert (layer(x) == 0).any()
    layer.eval()
    assert torch.equal(layer(x), x)
    layer.train()
    assert (layer(x) == 0).any()


def test_gradient_flows_only_through_kept_units():
    p = 0.3
    x = _positive((500,)).requires_grad_()
    y = Dropout(p)(x)
    y.backward(torch.ones_like(y))
    expected = (y != 0).float() / (1 - p)
    torch.testing.assert_close(x.grad, expected)
    # same rule in torch: the backward pass reuses the forward mask
    x2 = x.detach().clone().requires_grad_()
    y2 = nn.Dropout(p)(x2)
    y2.backward(torch.ones_like(y2))
    torch.testing.assert_close(x2.grad, (y2 != 0).float() / (1 - p))


def test_p_zero_keeps_everything_like_torch():
    x = torch.randn(3, 5)
    assert torch.equal(Dropout(0.0)(x), F.dropout(x, 0.0))
    assert torch.equal(Dropout(0.0, mode="vanilla").eval()(x), x)


def test_p_one_drops_everything_without_nan_like_torch():
    x = torch.randn(3, 5, requires_grad=True)
    y = Dropout(1.0)(x)
    assert torch.equal(y, F.dropout(x, 1.0))
    assert torch.equal(y, torch.zeros_like(y))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))
    assert torch.equal(Dropout(1.0, mode="vanilla").eval()(x), torch.zeros_like(x))


def test_inplace_overwrites_input_like_torch():
    x = _positive((100,))
    y = Dropout(0.5, inplace=True)(x)
    assert y.data_ptr() == x.data_ptr()
    assert (x == 0).any()


def test_mask_follows_input_dtype_and_device():
    for dtype in (torch.float64, torch.float16):
        assert Dropout(0.5)(torch.ones(8, dtype=dtype)).dtype == dtype
    meta = torch.empty(4, 3, device="meta")
    assert Dropout(0.5)(meta).device.type == "meta"


def test_state_dict_is_empty_like_torch():
    assert Dropout(0.5).state_dict() == nn.Dropout(0.5).state_dict() == {}


# --------------------------------------------------------------------------- the maths


@pytest.mark.parametrize("mode", ["inverted", "vanilla"])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_expected_training_output_equals_evaluation_output(mode, p):
    h = torch.tensor([1.0, 2.0, -3.0, 0.5])
    samples = dropout(h.expand(N_STAT // 4, 4), p, training=True, mode=mode)
    evaluation = dropout(h, p, training=False, mode=mode)
    # the mean of n scaled Bernoulli draws has std |h| s sqrt(p (1-p) / n), s = train scale
    scale = 1 / (1 - p) if mode == "inverted" else 1.0
    tolerance = 5 * h.abs() * scale * math.sqrt(p * (1 - p) / (N_STAT // 4))
    assert ((samples.mean(0) - evaluation).abs() < tolerance).all()


def test_vanilla_and_inverted_differ_only_by_the_scale():
    x, p = torch.randn(50), 0.3
    vanilla = dropout(x, p, mode="vanilla", generator=torch.Generator().manual_seed(1))
    inverted = dropout(x, p, mode="inverted", generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(inverted * (1 - p), vanilla)
    torch.testing.assert_close(dropout(x, p, False, mode="vanilla"), x * (1 - p))


def test_generator_makes_masks_reproducible():
    x = torch.ones(100)
    first = dropout_mask(x, 0.5, generator=torch.Generator().manual_seed(3))
    again = dropout_mask(x, 0.5, generator=torch.Generator().manual_seed(3))
    other = dropout_mask(x, 0.5, generator=torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert first.dtype == torch.bool


def test_new_mask_on_every_call():
    layer, x = Dropout(0.5), torch.ones(1000)
    assert not torch.equal(layer(x), layer(x))


def test_vmap_draws_a_different_mask_per_member():
    stacked = torch.ones(4, 1000)
    out = torch.func.vmap(lambda h: dropout(h, 0.5), randomness="different")(stacked)
    assert not torch.equal(out[0], out[1])
    assert set(out.unique().tolist()) <= {0.0, 2.0}


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    p=st.floats(0.0, 0.95),
    seed=st.integers(0, 2**16),
)
def test_every_output_is_zero_or_rescaled_input(shape, p, seed):
    x = _positive(tuple(shape), seed)
    y = dropout(x, p, generator=torch.Generator().manual_seed(seed))
    assert y.shape == x.shape
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_module_rejects_p_outside_unit_interval_with_torch_wording(p):
    with pytest.raises(ValueError) as theirs:
        nn.Dropout(p)
    with pytest.raises(ValueError) as ours:
        Dropout(p)
    assert str(ours.value) == str(theirs.value)


def test_functional_rejects_p_outside_unit_interval_with_torch_wording():
    x = torch.ones(3)
    with pytest.raises(ValueError) as theirs:
        F.dropout(x, 1.5)
    with pytest.raises(ValueError) as ours:
        dropout(x, 1.5)
    assert str(ours.value) == str(theirs.value)


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of \('inverted', 'vanilla'\), but got 'scaled'"):
        Dropout(0.5, mode="scaled")


# --------------------------------------------------------------------------- measurements


@pytest.fixture
def small_net():
    torch.manual_seed(0)
    return mlp([20, 16, 16, 3], dropout=0.3, dropout_layer=Dropout)


def test_mc_dropout_predict_averages_fresh_masks_and_restores_modes(small_net):
    x = torch.randn(30, 20)
    small_net.eval()
    probs = mc_dropout_predict(small_net, x, 8)
    assert probs.shape == (8, 30, 3)
    torch.testing.assert_close(probs.sum(-1), torch.ones(8, 30))
    assert not torch.equal(probs[0], probs[1])
    assert not any(m.training for m in small_net.modules())
    # oracle: the same passes done by hand with torch's own train/eval switches
    torch.manual_seed(5)
    ours = mc_dropout_predict(small_net, x, 3)
    torch.manual_seed(5)
    small_net.train()
    with torch.no_grad():
        manual = torch.stack([F.softmax(small_net(x), 1) for _ in range(3)])
    torch.testing.assert_close(ours, manual)


def test_mc_dropout_predict_rejects_zero_samples(small_net):
    with pytest.raises(ValueError, match="n_samples must be at least 1, but got 0"):
        mc_dropout_predict(small_net, torch.randn(2, 20), 0)


def test_mc_dropout_predict_rejects_model_without_dropout():
    with pytest.raises(ValueError, match="must contain a Dropout layer"):
        mc_dropout_predict(mlp([4, 3]), torch.randn(2, 4), 5)


def test_hidden_activations_match_a_manual_forward(small_net):
    x = torch.randn(10, 20)
    small_net.eval()
    with torch.no_grad():
        first = torch.relu(small_net[0](x))
        last = torch.relu(small_net[3](first))
    torch.testing.assert_close(hidden_activations(small_net, x, layer=0), first)
    torch.testing.assert_close(hidden_activations(small_net, x), last)


def test_hidden_activations_rejects_missing_layer(small_net):
    with pytest.raises(ValueError, match=r"layer must be in \[-2, 2\), but got 2"):
        hidden_activations(small_net, torch.randn(2, 20), layer=2)


@pytest.mark.parametrize("norm", ["batch", "layer", "course batch", "course layer"])
def test_hidden_activations_skip_normalization_layers(norm):
    from course_utils.normalization import BatchNorm1d, LayerNorm

    factory = {"course batch": BatchNorm1d, "course layer": LayerNorm}.get(norm, norm)
    model = mlp([20, 8, 6, 3], norm=factory, dropout=0.5).eval()
    x = torch.randn(10, 20)
    with torch.no_grad():
        first = model[:3](x)  # Linear, norm, ReLU
    torch.testing.assert_close(hidden_activations(model, x, layer=0), first)
    with pytest.raises(ValueError, match=r"layer must be in \[-2, 2\)"):
        hidden_activations(model, x, layer=2)


def test_mean_abs_correlation_matches_numpy():
    a = torch.randn(200, 6, generator=torch.Generator().manual_seed(0))
    a[:, 1] += a[:, 0]
    a[:, 5] = 0.0  # a dead unit is left out
    corr = np.corrcoef(a[:, :5].numpy().T)
    expected = (np.abs(corr).sum() - 5) / 20
    assert mean_abs_correlation(a) == pytest.approx(expected, rel=1e-6)


def test_mean_abs_correlation_rejects_one_row():
    with pytest.raises(ValueError, match=r"activations must be 2-D with at least 2 rows"):
        mean_abs_correlation(torch.ones(1, 4))


def test_unit_ablation_drops_match_zeroing_weight_columns(small_net):
    x = torch.randn(300, 20)
    with torch.no_grad():
        y = small_net.eval()(x).argmax(1)
        y[::3] = (y[::3] + 1) % 3  # some wrong labels, so accuracy can also rise
    drops = unit_ablation_drops(small_net, x, y)
    assert drops.shape == (16,)
    base = (small_net(x).argmax(1) == y).float().mean()
    for unit in (0, 7, 15):
        ablated = mlp([20, 16, 16, 3], dropout=0.3, dropout_layer=Dropout).eval()
        ablated.load_state_dict(small_net.state_dict())
        with torch.no_grad():
            ablated[-1].weight[:, unit] = 0.0  # the unit's output no longer reaches the logits
            accuracy = (ablated(x).argmax(1) == y).float().mean()
        assert drops[unit].item() == pytest.approx((base - accuracy).item(), abs=1e-6)



@pytest.mark.parametrize("mode", ["inverted", "vanilla"])
@pytest.mark.parametrize("layer", [0, -1])
def test_unit_ablation_drops_equal_zeroing_each_unit_in_any_layer(mode, layer):
    torch.manual_seed(1)
    net = mlp([20, 16, 12, 3], dropout=0.3, dropout_layer=lambda p: Dropout(p, mode=mode))
    x = torch.randn(200, 20)
    with torch.no_grad():
        y = net.eval()(x).argmax(1)
        y[::4] = (y[::4] + 1) % 3
    drops = unit_ablation_drops(net, x, y, layer=layer)
    cut = [i for i, m in enumerate(net) if isinstance(m, torch.nn.ReLU)][layer]
    head, tail = net[: cut + 1], net[cut + 1 :]
    with torch.no_grad():
        hidden = head(x)
        base = (tail(hidden).argmax(1) == y).float().mean()
        for unit in range(hidden.shape[1]):
            zeroed = hidden.clone()
            zeroed[:, unit] = 0.0
            accuracy = (tail(zeroed).argmax(1) == y).float().mean()
            assert drops[unit].item() == pytest.approx((base - accuracy).item(), abs=1e-6)
    assert net.training is False  # the mode it was called in is restored


def test_unit_ablation_drops_reject_a_layer_that_is_not_hidden(small_net):
    with pytest.raises(ValueError, match="layer must be in"):
        unit_ablation_drops(small_net, torch.randn(5, 20), torch.zeros(5, dtype=torch.long), layer=5)

# --------------------------------------------------------------------------- widget and figures


def test_explorer_compute_is_deterministic_and_masks_follow_p():
    from course_utils.widgets import dropout_explorer_data

    first = dropout_explorer_data(0.5, epochs=2, n_train=100, seed=1)
    again = dropout_explorer_data(0.5, epochs=2, n_train=100, seed=1)
    assert first["train_acc"] == again["train_acc"] and first["val_acc"] == again["val_acc"]
    assert torch.equal(first["digit_masks"], again["digit_masks"])
    kept = first["digit_masks"].float().mean().item()
    assert abs(kept - 0.5) < _sigma_bound(0.5, first["digit_masks"].numel())
    assert dropout_explorer_data(0.0, epochs=1, n_train=100)["digit_masks"].all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"p": 1.0}, r"p must be in \[0, 1\) for a trainable network, but got 1.0"),
    ({"p": 0.2, "n_train": 5}, r"n_train must be in \[10, 7000\], but got 5"),
    ({"p": 0.2, "n_train": 7001}, r"n_train must be in \[10, 7000\], but got 7001"),
    ({"p": 0.2, "weight_decay": -0.1}, r"weight_decay must be non-negative, but got -0.1"),
])
def test_explorer_compute_rejects_bad_arguments(kwargs, message):
    from course_utils.widgets import dropout_explorer_data

    with pytest.raises(ValueError, match=message):
        dropout_explorer_data(**kwargs)


def test_dropout_explorer_redraws_with_the_slider_values(monkeypatch):
    from course_utils import widgets

    calls = []

    def fake(p, *, n_train, weight_decay):
        calls.append((p, n_train, weight_decay))
        return {"p": p, "weight_decay": weight_decay, "digit": torch.zeros(784),
                "digit_masks": torch.ones(4, 784, dtype=torch.bool), "train_acc": 1.0,
                "val_acc": 0.75}

    monkeypatch.setattr(widgets, "dropout_explorer_data", fake)
    monkeypatch.setattr(widgets, "show_figure", lambda fig: None)
    explorer = widgets.DropoutExplorer()
    assert set(explorer.values) == {"p", "n_train", "weight_decay"}
    explorer.controls["p"].value = 0.5
    assert calls == [(0.2, 300, 0.0), (0.5, 300, 0.0)]
    assert "gap +25.0%" in explorer.last_result._suptitle.get_text()


def _figures():
    from course_utils import plotting

    seeds_by_epochs = np.array([[0.5, 1.0], [0.6, 1.0]])
    return {
        "masks": plotting.plot_dropout_masks(torch.rand(784), torch.rand(2, 784) > 0.5,
                                             torch.rand(100), torch.rand(2, 100) > 0.5, p=0.5),
        "mask average": plotting.plot_mask_average({"inverted": np.array([2.0, 4.0, 4.0])},
                                                   {"inverted": 4.0}),
        "curves": plotting.plot_train_test_curves(
            {"a": {"train": seeds_by_epochs, "test": seeds_by_epochs - 0.2}}, epochs=[10, 20],
            gap=True),
        "sweep": plotting.plot_dropout_rate_sweep([0.0, 0.5], [1.0, 0.6], [0.8, 0.55]),
        "mc": plotting.plot_mc_dropout([1, 2], [0.7, 0.8], 0.8, [0.2, 0.1]),
        "ablation": plotting.plot_unit_ablation({"a": [torch.tensor([0.01, 0.0, -0.01])]}),
        "pitfall": plotting.plot_eval_pitfall([0.7, 0.72], 0.8),
        "comparison": plotting.plot_regularizer_comparison({"a": [0.8, 0.82], "b + dropout": [0.9]}),
    }


def test_chapter_figures_have_titles_and_axis_labels():
    import matplotlib.pyplot as plt

    for name, fig in _figures().items():
        titled = any(ax.get_title() for ax in fig.axes) or fig._suptitle is not None
        assert titled, name
        labelled = [ax for ax in fig.axes if ax.get_xlabel() or ax.get_ylabel()]
        assert labelled or name == "masks", name
    plt.close("all")


def test_overfitting_figure_draws_the_mean_final_gap():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    train = np.array([[0.9, 1.0], [0.8, 1.0], [0.9, 0.96]])
    test = np.array([[0.7, 0.80], [0.7, 0.84], [0.7, 0.82]])
    fig = plotting.plot_train_test_curves({"run": {"train": train, "test": test}}, epochs=[1, 2],
                                          gap=True)
    [bar] = fig.axes[1].patches
    assert bar.get_height() == pytest.approx(100 * (train[:, -1] - test[:, -1]).mean())
    plt.close("all")


def test_rate_sweep_draws_seed_error_bars_and_marks_diverged_rates():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    train = [np.array([1.0, 1.0, 0.98]), np.array([0.4, 0.3, 0.35]), np.array([])]
    val = [np.array([0.8, 0.82, 0.81]), np.array([0.3, 0.25, 0.28]), np.array([])]
    fig = plotting.plot_dropout_rate_sweep([0.0, 0.5, 0.9], train, val, diverged=[False, False, True],
                                           chosen=0.0, held_out="validation")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "no dropout (p = 0): train (mean ± sd, 3 seeds)" in texts
    assert "dropout (p > 0): validation (mean ± sd, 3 seeds)" in texts
    assert "diverged (training loss NaN or inf)" in texts
    assert "chosen on validation: p = 0" in texts
    [cross] = [line for line in ax.lines if line.get_marker() == "x"]
    assert list(cross.get_xdata()) == [0.9]  # a diverged rate gets a cross, not an accuracy
    assert ax.get_ylim()[0] == 0
    plt.close("all")


def test_rate_sweep_draws_p_0_as_no_dropout_and_p_above_0_as_dropout():
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from course_utils import plotting
    from course_utils.plotting.shared import style

    fig = plotting.plot_dropout_rate_sweep([0.0, 0.2], [[1.0, 1.0], [1.0, 0.99]],
                                           [[0.8, 0.81], [0.82, 0.83]], held_out="validation")
    colors = {}
    for container in fig.axes[0].containers:  # one error-bar series per group and split
        colors.setdefault(container.get_label().split(":")[0], set()).add(
            mcolors.to_hex(container.lines[0].get_color()))
    assert colors == {"no dropout (p = 0)": {mcolors.to_hex(style("no dropout").color)},
                      "dropout (p > 0)": {mcolors.to_hex(style("dropout").color)}}
    plt.close("all")


def test_dropout_curves_clip_their_bands_to_the_accuracy_range():
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from course_utils.plotting.dropout import plot_dropout_curves
    from course_utils.training import History

    def history(train, val):
        run = History()
        run.epoch, run.train_acc, run.val_acc = [1, 2], list(train), list(val)
        run.train_loss, run.val_loss = [1.0, 0.5], [1.2, 0.9]
        return run

    runs = {"p = 0.2": [history([0.7, 1.0], [0.6, 0.8]), history([0.95, 1.0], [0.7, 0.81]),
                        history([0.5, 0.96], [0.5, 0.79])]}
    for what in ("ci", "sd"):
        fig = plot_dropout_curves(runs, what=what)
        bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
        assert bands
        tops = [path.vertices[:, 1].max() for band in bands for path in band.get_paths()]
        assert max(tops) <= 1.0
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert any(("95 % CI" if what == "ci" else "mean ± sd") in text for text in legend)
    with pytest.raises(ValueError, match="what"):
        plot_dropout_curves(runs, what="range")
    plt.close("all")


def test_overfitting_curves_name_a_validation_split():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    train = np.array([[0.9, 1.0], [0.8, 1.0]])
    held = np.array([[0.7, 0.80], [0.7, 0.84]])
    fig = plotting.plot_train_test_curves({"p = 0.2": {"train": train, "validation": held}},
                                          epochs=[1, 2], gap=True)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["p = 0.2: train (mean ± sd, 2 seeds)", "p = 0.2: validation (mean ± sd, 2 seeds)"]
    assert "validation" in fig.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="one held-out curve"):
        plotting.plot_train_test_curves({"a": {"train": train}}, epochs=[1, 2], gap=True)
    plt.close("all")
