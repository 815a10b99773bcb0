"""course_utils.diagnostics (and chapter 01's plots and explorer) against plain autograd.

The statistics a monitor reports must equal what we compute by hand from the same forward
pass: outputs recomputed layer by layer, gradients from ``retain_grad``, saturation from
the activation's derivative. The hooks must never change the network's output.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import diagnostics as diag
from course_utils.init import kaiming_normal_

pytestmark = pytest.mark.init


def small_net(inplace: bool = False) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 30), nn.ReLU(inplace=inplace),
                         nn.Linear(30, 30), nn.Sigmoid(), nn.Linear(30, 5))


def manual_pass(net: nn.Sequential, x: torch.Tensor, y: torch.Tensor):
    """Outputs and output-gradients of every layer, by hand (retain_grad)."""
    outputs, h = [], x
    for layer in net:
        h = layer(h if not isinstance(layer, nn.ReLU) else h.clone())
        h.retain_grad()
        outputs.append(h)
    F.cross_entropy(h, y).backward()
    return outputs


# --- saturation and dead units -----------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.99), st.integers(min_value=0, max_value=10_000))
def test_saturation_is_where_the_derivative_falls_below_its_share(threshold, seed):
    z = torch.randn(2000, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 4
    s, t = torch.sigmoid(z), torch.tanh(z)
    # sigmoid' = s (1 - s) <= 1/4 and tanh' = 1 - t^2 <= 1: below (1 - threshold^2) of the max
    flat_sigmoid = (s * (1 - s) < (1 - threshold**2) / 4).double().mean().item()
    flat_tanh = (1 - t**2 < 1 - threshold**2).double().mean().item()
    assert diag.saturation_fraction(s, "sigmoid", threshold) == pytest.approx(flat_sigmoid, abs=1e-3)
    assert diag.saturation_fraction(t, "tanh", threshold) == pytest.approx(flat_tanh, abs=1e-3)


def test_saturation_of_a_wide_sigmoid_layer_matches_the_normal_tail():
    # z ~ N(0, 1) * 10: sigmoid saturates (|2s - 1| > 0.97) where |z| > 2 artanh(0.97)
    z = torch.randn(200_000, generator=torch.Generator().manual_seed(0)) * 10
    cut = 2 * math.atanh(0.97) / 10
    expected = math.erfc(cut / math.sqrt(2))  # P(|N(0, 1)| > cut)
    # binomial standard error sqrt(p (1 - p) / n) ~ 0.001; allow five
    assert diag.saturation_fraction(torch.sigmoid(z), "sigmoid") == pytest.approx(expected, abs=0.005)


def test_dead_fraction_counts_units_silent_on_every_sample():
    out = torch.relu(torch.randn(64, 10, generator=torch.Generator().manual_seed(1)))
    out[:, [2, 7]] = 0.0
    expected = ((out > 0).sum(dim=0) == 0).float().mean().item()
    assert diag.dead_fraction(out) == pytest.approx(expected)
    assert diag.dead_fraction(out) >= 0.2
    conv = torch.zeros(8, 3, 4, 4)
    conv[0, 1] = 1.0  # channel 1 fires at every pixel, for one sample
    assert diag.dead_fraction(conv) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("args", "message"), [
    ((torch.rand(5), "softmax"), "activation must be 'sigmoid' or 'tanh', but got 'softmax'"),
    ((torch.rand(5), "tanh", 1.0), r"threshold must be in \(0, 1\), but got 1.0"),
    ((torch.rand(0), "tanh"), "output must have at least one element"),
])
def test_saturation_fraction_errors(args, message):
    with pytest.raises(ValueError, match=message):
        diag.saturation_fraction(*args)


@pytest.mark.parametrize("shape", [(5,), (0, 4), (3, 0)])
def test_dead_fraction_errors(shape):
    with pytest.raises(ValueError, match=r"output must have shape \(batch, units...\)"):
        diag.dead_fraction(torch.zeros(shape))


# --- the monitor against a hand-computed pass --------------------------------------------

@pytest.mark.parametrize("inplace", [False, True])
def test_monitor_statistics_equal_a_manual_forward_and_backward(inplace):
    x = torch.randn(64, 20, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 5, (64,), generator=torch.Generator().manual_seed(3))
    reference_net = small_net()
    outputs = manual_pass(reference_net, x, y)
    net = small_net(inplace)
    with diag.LayerMonitor(net) as monitor:
        F.cross_entropy(net(x), y).backward()
    stats = monitor.stats()
    assert [s.name for s in stats] == [type(m).__name__ for m in net]
    for s, out, layer, reference in zip(stats, outputs, net, reference_net, strict=True):
        assert s.mean == pytest.approx(out.mean().item(), rel=1e-5, abs=1e-7)
        assert s.std == pytest.approx(out.std(correction=0).item(), rel=1e-5)
        assert s.grad_std == pytest.approx(out.grad.std(correction=0).item(), rel=1e-5)
        if isinstance(layer, nn.Linear):
            ratio = reference.weight.grad.std(correction=0) / reference.weight.std(correction=0)
            assert s.grad_data == pytest.approx(ratio.item(), rel=1e-5)
        else:
            assert s.grad_data is None
    tanh, relu, sigmoid = stats[1], stats[3], stats[5]
    assert tanh.saturated == pytest.approx(diag.saturation_fraction(outputs[1], "tanh"))
    assert sigmoid.saturated == pytest.approx(diag.saturation_fraction(outputs[5], "sigmoid"))
    assert relu.dead == pytest.approx(diag.dead_fraction(outputs[3]))
    assert relu.saturated is None and tanh.dead is None and stats[0].saturated is None


def test_monitor_changes_nothing_and_removes_its_hooks():
    net, x = small_net(), torch.randn(16, 20)
    plain = net(x)
    with diag.LayerMonitor(net, keep_outputs=True) as monitor:
        monitored = net(x)
    assert torch.equal(plain, monitored)
    assert all(not layer._forward_hooks for layer in net)
    stats = monitor.stats()
    assert torch.equal(stats[-1].output, monitored.detach())
    assert stats[-1].grad_std is None  # no backward pass ran


def test_monitor_keeps_only_the_latest_pass():
    net = small_net()
    with diag.LayerMonitor(net) as monitor:
        net(torch.randn(8, 20)).sum().backward()
        net(torch.full((8, 20), 3.0))
    stats = monitor.stats()
    assert stats[0].grad_std is None
    assert stats[1].std == pytest.approx(net[:2](torch.full((8, 20), 3.0)).std(correction=0).item(),
                                         rel=1e-5)


@pytest.mark.parametrize(("model", "threshold", "message"), [
    (nn.Linear(3, 3), 0.97, "model must be an nn.Sequential, but got Linear"),
    (nn.Sequential(nn.Tanh()), 0.0, r"threshold must be in \(0, 1\), but got 0.0"),
])
def test_monitor_errors(model, threshold, message):
    with pytest.raises(ValueError, match=message):
        diag.LayerMonitor(model, threshold=threshold)


# --- probe and probe_stack ---------------------------------------------------------------

def test_probe_with_targets_equals_the_monitor_and_clears_gradients():
    x = torch.randn(32, 20)
    y = torch.randint(0, 5, (32,))
    net = small_net()
    net.eval()
    outputs = manual_pass(small_net(), x, y)
    stats = diag.probe(net, x, y)
    assert [s.grad_std for s in stats] == pytest.approx(
        [o.grad.std(correction=0).item() for o in outputs], rel=1e-5)
    assert all(p.grad is None for p in net.parameters())
    assert not net.training  # mode left as it was


def test_probe_without_targets_sends_back_a_reproducible_random_gradient():
    net, x = small_net(), torch.randn(32, 20)
    first = diag.probe(net, x, generator=torch.Generator().manual_seed(5))
    again = diag.probe(net, x, generator=torch.Generator().manual_seed(5))
    assert first == again
    # the last layer receives the N(0, 1) gradient itself: std of 32 x 5 draws near 1
    assert first[-1].grad_std == pytest.approx(1.0, abs=0.3)


def test_probe_stack_first_relu_layer_matches_the_he_theory():
    # x ~ N(0, 1) and Var(w) = 2 / 100 give z ~ N(0, 2); relu(z) then has mean
    # sqrt(2) / sqrt(2 pi) = sqrt(1 / pi) and second moment Var(z) / 2 = 1: std sqrt(1 - 1/pi)
    stats = diag.probe_stack("relu", "he_normal", depth=1, n_samples=4000, seed=1)
    # the realized std depends on one 100 x 100 weight matrix: ~1-2 % spread, allow 6 %
    assert stats[0].mean == pytest.approx(math.sqrt(1 / math.pi), rel=0.06)
    assert stats[0].std == pytest.approx(math.sqrt(1 - 1 / math.pi), rel=0.06)


def test_probe_stack_relu_scales_by_exactly_the_ratio_of_the_schemes():
    # same seed: Xavier's weights are He's times 1/sqrt(2); relu(c z) = c relu(z) for c > 0
    he = diag.probe_stack("relu", "he_normal", depth=6, seed=3)
    xavier = diag.probe_stack("relu", "xavier_normal", depth=6, seed=3)
    for layer, (a, b) in enumerate(zip(he, xavier, strict=True), start=1):
        assert b.std == pytest.approx(a.std * 2 ** (-layer / 2), rel=1e-4)
        assert b.dead == a.dead


def test_probe_stack_reports_one_entry_per_activation_with_its_weight_ratio():
    stats = diag.probe_stack("tanh", 0.5, depth=4, width=30, n_samples=50, keep_outputs=True)
    assert [s.index for s in stats] == [1, 2, 3, 4]
    assert all(s.name == "Tanh" and s.grad_data is not None for s in stats)
    assert stats[2].output.shape == (50, 30)
    assert diag.probe_stack("tanh", 0.5, depth=4, width=30, n_samples=50) == stats


def test_probe_stack_accepts_a_fill_function():
    fill = lambda w, generator=None: kaiming_normal_(w, nonlinearity="relu", generator=generator)  # noqa: E731
    assert diag.probe_stack("relu", fill, depth=3, seed=4) == diag.probe_stack(
        "relu", "he_normal", depth=3, seed=4)


def test_probe_stack_in_float64_starts_from_the_float32_numbers_and_does_not_underflow():
    single = diag.probe_stack("relu", "he_normal", depth=4, seed=2)
    double = diag.probe_stack("relu", "he_normal", depth=4, seed=2, dtype=torch.float64)
    for a, b in zip(single, double, strict=True):  # same inputs and weights, other rounding
        assert b.std == pytest.approx(a.std, rel=1e-5)
        assert b.dead == a.dead
    # std 0.01 shrinks the ReLU signal by 0.01 * sqrt(50) per layer: 0.07^50 ~ 1e-58
    tiny32 = diag.probe_stack("relu", 0.01, depth=50, n_samples=200)
    tiny64 = diag.probe_stack("relu", 0.01, depth=50, n_samples=200, dtype=torch.float64)
    assert tiny32[-1].std == 0 and tiny32[0].grad_std == 0  # float32 underflows to exactly 0
    assert 1e-62 < tiny64[-1].std < 1e-54 and tiny64[0].grad_std > 0
    # std 1 grows it by sqrt(50) ~ 7.07 per layer: float32 overflows, float64 holds 1e42
    huge64 = diag.probe_stack("relu", 1.0, depth=50, n_samples=200, dtype=torch.float64)
    factor = (huge64[9].std / huge64[0].std) ** (1 / 9)
    assert factor == pytest.approx(math.sqrt(50), rel=0.1)
    assert math.isfinite(huge64[-1].std) and huge64[-1].std > 1e38
    assert not math.isfinite(diag.probe_stack("relu", 1.0, depth=50, n_samples=200)[-1].std)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"activation": "gelu"}, "activation must be one of"),
    ({"depth": 0}, "depth must be at least 1, but got 0"),
    ({"width": 0}, "width must be at least 1, but got 0"),
    ({"n_samples": 0}, "n_samples must be at least 1, but got 0"),
    ({"scheme": "glorot"}, "scheme must be a number, a callable or one of"),
    ({"dtype": torch.float16}, "dtype must be torch.float32 or torch.float64, but got torch.float16"),
    ({"bias": "default"}, "bias must be False, True or 'torch_default', but got 'default'"),
    ({"bias": 1}, "bias must be False, True or 'torch_default', but got 1"),
])
def test_probe_stack_errors(kwargs, message):
    arguments = {"activation": "relu", "scheme": "he_normal"} | kwargs
    with pytest.raises(ValueError, match=message):
        diag.probe_stack(**arguments)


def test_format_stats_prints_one_row_per_layer_with_dashes_for_missing_values():
    stats = diag.probe_stack("relu", "he_normal", depth=3, n_samples=100)
    lines = diag.format_stats(stats).splitlines()
    assert len(lines) == 4
    assert lines[1].split()[:2] == ["1", "ReLU"]
    assert lines[1].split()[4] == "-"  # no saturation for ReLU


# --- distinct units and update ratios ----------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=8),
       st.integers(min_value=0, max_value=1000))
def test_distinct_units_with_zero_tolerance_equals_torch_unique(units, inputs, seed):
    g = torch.Generator().manual_seed(seed)
    weight = torch.randint(0, 3, (units, inputs), generator=g).float()
    assert diag.distinct_units(weight, atol=0.0) == len(torch.unique(weight, dim=0))


def test_distinct_units_tolerance_and_bias():
    weight = torch.zeros(4, 6)
    weight[1] += 1e-8  # within atol: same unit
    weight[2] += 1e-3  # a different unit
    assert diag.distinct_units(weight) == 2
    assert diag.distinct_units(weight, torch.tensor([0.0, 0.0, 0.0, 5.0])) == 3
    assert diag.distinct_units(torch.zeros(3, 2, 5, 5)) == 1  # conv weights: one row per channel


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((torch.zeros(5),), {}, r"weight must have shape \(units, inputs...\), but got \(5,\)"),
    ((torch.zeros(0, 3),), {}, r"weight must have shape \(units, inputs...\), but got \(0, 3\)"),
    ((torch.zeros(3, 2), torch.zeros(2)), {}, r"bias must have shape \(3,\), but got \(2,\)"),
    ((torch.zeros(3, 2),), {"atol": -1.0}, "atol must be non-negative, but got -1.0"),
])
def test_distinct_units_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        diag.distinct_units(*args, **kwargs)


def test_update_ratios_after_an_sgd_step_equal_lr_times_grad_over_weight():
    net = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 3))
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    F.cross_entropy(net(torch.randn(16, 10)), torch.randint(0, 3, (16,))).backward()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    ratios = diag.update_ratios(before, net)
    assert set(ratios) == {"0.weight", "2.weight"}  # biases are skipped
    for name in ratios:
        grad = dict(net.named_parameters())[name].grad
        expected = (0.1 * grad).std(correction=0) / before[name].std(correction=0)
        assert ratios[name] == pytest.approx(expected.item(), rel=1e-4)


def test_update_ratios_needs_every_weight():
    net = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match="before must hold every weight of model with its shape, "
                                         "but '0.weight' is missing"):
        diag.update_ratios({}, net)
    with pytest.raises(ValueError, match=r"but '0.weight' is \(3, 5\)"):
        diag.update_ratios({"0.weight": torch.zeros(3, 5)}, net)


# --- chapter 01's explorer and figures ---------------------------------------------------

def test_init_explorer_data_uses_std_only_for_the_std_scheme():
    from course_utils.widgets import init_explorer_data

    plain = init_explorer_data("relu", "std", 4, 0.1, n_samples=100)
    assert plain == diag.probe_stack("relu", 0.1, depth=4, n_samples=100)
    assert all(s.output is not None for s in plain)
    he_a = init_explorer_data("relu", "he_normal", 4, 0.1, n_samples=100)
    he_b = init_explorer_data("relu", "he_normal", 4, 5.0, n_samples=100)
    assert he_a == he_b


@pytest.mark.parametrize(("args", "message"), [
    (("relu", "glorot", 3, 0.1), "scheme must be one of"),
    (("relu", "std", 3, 0.0), "std must be positive, but got 0.0"),
    (("relu", "he_normal", 0, 0.1), r"depth must be in \[1, 100\], but got 0"),
    (("swish", "he_normal", 3, 0.1), "activation must be one of"),
])
def test_init_explorer_data_errors(args, message):
    from course_utils.widgets import init_explorer_data

    with pytest.raises(ValueError, match=message):
        init_explorer_data(*args)


def test_init_explorer_redraws_when_the_depth_changes(monkeypatch):
    import course_utils.widgets as widgets_module

    monkeypatch.setattr(widgets_module, "show_figure", lambda fig: plt.close(fig))
    explorer = widgets_module.InitExplorer()
    assert explorer.values["scheme"] == "he_normal"
    explorer.controls["depth"].value = 3
    figure = explorer.last_result
    assert "3 layers" in figure.get_suptitle()
    explorer.controls["scheme"].value = "std"
    assert "N(0, 0.01^2)" in explorer.last_result.get_suptitle()


def test_init_explorer_torch_default_draws_the_default_biases_too(monkeypatch):
    # "torch_default" is nn.Linear's whole default, weights and biases, as in the chapter's
    # 50-layer comparison; the other schemes keep zero biases, as mlp does
    import course_utils.widgets as widgets_module

    monkeypatch.setattr(widgets_module, "show_figure", lambda fig: plt.close(fig))
    explorer = widgets_module.InitExplorer()
    explorer.controls["depth"].value = 30
    explorer.controls["scheme"].value = "torch_default"
    assert "weights and biases" in explorer.last_result.get_suptitle()
    with_biases = diag.probe_stack("relu", "torch_default", depth=30, n_samples=500,
                                   bias="torch_default")
    assert f"last layer std {with_biases[-1].std:.3g}" in explorer.last_result.get_suptitle()
    without = diag.probe_stack("relu", "torch_default", depth=30, n_samples=500)
    assert with_biases[-1].std > 100 * without[-1].std  # the biases keep the pooled std up
    explorer.controls["scheme"].value = "he_normal"
    zero_biases = diag.probe_stack("relu", "he_normal", depth=30, n_samples=500, bias=True)
    assert f"last layer std {zero_biases[-1].std:.3g}" in explorer.last_result.get_suptitle()


def test_histogram_grid_has_one_panel_per_layer_and_needs_outputs():
    from course_utils.plotting import plot_layer_histograms

    rows = {"relu": diag.probe_stack("relu", "he_normal", depth=3, n_samples=50, keep_outputs=True),
            "tanh": diag.probe_stack("tanh", 1.0, depth=3, n_samples=50, keep_outputs=True)}
    figure = plot_layer_histograms(rows)
    assert len(figure.axes) == 6
    assert figure.axes[3].get_xlim() == (-1.0, 1.0)
    plt.close(figure)
    with pytest.raises(ValueError, match="keep_outputs=True"):
        plot_layer_histograms({"relu": diag.probe_stack("relu", "he_normal", depth=1)})


def test_depth_profiles_draw_one_line_per_run_and_skip_zeros():
    from course_utils.plotting import plot_depth_profiles

    runs = {"He": [diag.probe_stack("relu", "he_normal", depth=5, seed=s) for s in range(2)],
            "zero": [diag.probe_stack("relu", 0.0, depth=5)]}
    figure = plot_depth_profiles(runs)
    forward = figure.axes[0]
    assert len(forward.lines) == 3
    assert forward.get_yscale() == "log"
    assert all(math.isnan(v) for v in forward.lines[2].get_ydata())  # all-zero run
    plt.close(figure)


# --- per-unit spread, biases and the centred sigmoid ----------------------------------------

def test_unit_std_is_each_units_spread_over_the_batch_averaged_over_units():
    stats = diag.probe_stack("tanh", 0.5, depth=3, width=20, n_samples=64, keep_outputs=True)
    for s in stats:
        assert s.unit_std == pytest.approx(s.output.double().std(dim=0, correction=0).mean().item())
    # units that are constants differing from each other: pooled std > 0, unit spread 0
    net = nn.Sequential(nn.Linear(4, 3))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.copy_(torch.tensor([-1.0, 0.0, 1.0]))
    (layer,) = diag.probe(net, torch.randn(10, 4))
    assert layer.std > 0.8 and layer.unit_std == 0.0
    (single,) = diag.probe(net, torch.randn(1, 4))
    assert single.unit_std is None  # a batch of one has no spread over inputs


def test_probe_stack_biases_zero_or_drawn_like_nn_linear():
    plain = diag.probe_stack("relu", "he_normal", depth=3, seed=1)
    zero = diag.probe_stack("relu", "he_normal", depth=3, seed=1, bias=True)
    assert [s.std for s in zero] == pytest.approx([s.std for s in plain], rel=1e-6)
    default = diag.probe_stack("tanh", "torch_default", depth=2, width=400, n_samples=2,
                               seed=1, bias="torch_default")
    weights_only = diag.probe_stack("tanh", "torch_default", depth=2, width=400, n_samples=2,
                                    seed=1)
    assert [s.std for s in default] != [s.std for s in weights_only]


def test_probe_stack_default_biases_keep_the_pooled_std_while_units_collapse():
    # 30 ReLU layers, PyTorch's default weights (x 1/sqrt(6) per layer) and biases: the
    # pooled std settles at the biases' scale, each unit's spread over inputs vanishes
    stats = diag.probe_stack("relu", "torch_default", depth=30, n_samples=200,
                             dtype=torch.float64, bias="torch_default")
    assert stats[-1].std > 1e-3 and stats[-1].unit_std < 1e-8
    assert stats[-1].unit_std / stats[0].unit_std < 1e-8


def test_centered_sigmoid_is_half_tanh_of_half_z_and_has_the_sigmoids_slope():
    z = torch.linspace(-6, 6, 101, dtype=torch.float64, requires_grad=True)
    out = diag.CenteredSigmoid()(z)
    assert torch.allclose(out, 0.5 * torch.tanh(z / 2))
    out.sum().backward()
    assert torch.allclose(z.grad, torch.sigmoid(z) * (1 - torch.sigmoid(z)))


def test_centered_sigmoid_collapses_like_the_sigmoid_but_its_pooled_std_shows_it():
    # LeCun's scale: slope 1/4 shrinks each unit's spread about fourfold per layer, with
    # or without the mean 1/2; only the sigmoid's offsets keep the pooled std up
    sig = diag.probe_stack("sigmoid", 0.1, depth=5, seed=0)
    cen = diag.probe_stack("centered_sigmoid", 0.1, depth=5, seed=0)
    for stats in (sig, cen):
        assert stats[-1].unit_std / stats[0].unit_std < 0.25 ** 3
    assert cen[-1].std < 0.01 < 0.1 < sig[-1].std
    assert cen[0].saturated is None and cen[0].name == "CenteredSigmoid"
