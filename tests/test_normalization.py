"""Tests of course_utils.normalization: torch is the oracle for every value and gradient."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.checks import gradient_check
from course_utils.errors import InvalidArgumentError, ShapeError
from course_utils.models import mlp
from course_utils.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    LayerNorm,
    NoisyBatchNorm1d,
    ShiftNoise,
    activation_input_stats,
    batch_norm,
    batch_norm_backward,
    batch_norm_forward,
    batch_stat_noise,
    batch_statistics,
    effective_step,
    is_batch_norm,
    is_layer_norm,
    layer_norm,
    loss_along_gradient,
    probe_along_gradient,
    rotation_angle,
    scale_invariant_weights,
    track_activation_inputs,
    track_unit_drift,
    unit_drift,
    unit_input_stats,
    update_bn,
    weight_gradient_std,
)
from course_utils.training import fit

pytestmark = pytest.mark.batchnorm

ATOL = 1e-5  # float32 outputs of O(1): the two implementations sum in different orders
BN_PAIRS = [(BatchNorm1d, nn.BatchNorm1d, (6, 4)), (BatchNorm1d, nn.BatchNorm1d, (5, 4, 3)),
            (BatchNorm2d, nn.BatchNorm2d, (3, 4, 5, 5))]
BN_CONFIGS = [
    {},
    {"momentum": 0.5},
    {"momentum": None},
    {"momentum": 0.0, "eps": 1e-3},
    {"affine": False},
    {"track_running_stats": False},
    {"affine": False, "track_running_stats": False},
    {"bias": False},
]


def _error_of(fn) -> tuple[type, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 (we compare whatever torch raises)
        return type(exc), str(exc)
    raise AssertionError("expected an exception")


def _pair(ours_cls, torch_cls, config):
    return ours_cls(4, **config), torch_cls(4, **config)


# ---------------------------------------------------------------------------------------
# Drop-in contract: constructor, names, repr, state_dict
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", BN_CONFIGS)
@pytest.mark.parametrize(("ours_cls", "torch_cls"), [(BatchNorm1d, nn.BatchNorm1d),
                                                     (BatchNorm2d, nn.BatchNorm2d)])
def test_batchnorm_names_repr_and_state_dict_match_torch(ours_cls, torch_cls, config):
    ours, ref = _pair(ours_cls, torch_cls, config)
    assert repr(ours) == repr(ref)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert list(ours._parameters) == list(ref._parameters)  # None entries registered too
    assert list(ours._buffers) == list(ref._buffers)
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert list(ours_sd) == list(ref_sd)
    for key in ref_sd:
        assert ours_sd[key].dtype == ref_sd[key].dtype
        assert torch.equal(ours_sd[key], ref_sd[key])


@pytest.mark.parametrize("config", BN_CONFIGS)
def test_state_dict_loads_both_ways(config):
    ours, ref = _pair(BatchNorm1d, nn.BatchNorm1d, config)
    x = torch.randn(8, 4) * 3 + 1
    ref.train()(x)
    ref.train()(x * 2)  # running statistics and the counter move away from their init
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p))
    ours.load_state_dict(ref.state_dict())  # strict: same keys, shapes and dtypes
    back = nn.BatchNorm1d(4, **config)
    back.load_state_dict(ours.state_dict())
    for key, value in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value)
        assert torch.equal(back.state_dict()[key], value)
    assert ours.state_dict()._metadata[""]["version"] == ref.state_dict()._metadata[""]["version"]


def test_dtype_and_defaults_like_torch():
    ours, ref = BatchNorm1d(3, dtype=torch.float64), nn.BatchNorm1d(3, dtype=torch.float64)
    for (name, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items(), strict=True):
        assert a.dtype == b.dtype, name
    assert (ours.eps, ours.momentum, ours.affine, ours.track_running_stats) == (
        ref.eps, ref.momentum, ref.affine, ref.track_running_stats)


@pytest.mark.parametrize("config", [{}, {"elementwise_affine": False}, {"bias": False},
                                    {"eps": 1e-3}])
@pytest.mark.parametrize("shape", [4, (3, 4), torch.Size([2, 3])])
def test_layernorm_names_repr_and_state_dict_match_torch(shape, config):
    ours, ref = LayerNorm(shape, **config), nn.LayerNorm(shape, **config)
    assert repr(ours) == repr(ref)
    assert ours.normalized_shape == ref.normalized_shape
    assert list(ours._parameters) == list(ref._parameters)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref_sd = {k: torch.randn_like(v) for k, v in ref.state_dict().items()}
    ours.load_state_dict(ref_sd)
    nn.LayerNorm(shape, **config).load_state_dict(ours.state_dict())


def test_is_batch_norm_and_is_layer_norm_recognise_both_libraries():
    assert is_batch_norm(BatchNorm1d(2)) and is_batch_norm(nn.BatchNorm2d(2))
    assert is_layer_norm(LayerNorm(2)) and is_layer_norm(nn.LayerNorm(2))
    assert not is_batch_norm(LayerNorm(2)) and not is_layer_norm(nn.Linear(2, 2))


# ---------------------------------------------------------------------------------------
# Oracle: training steps, running statistics, evaluation, gradients
# ---------------------------------------------------------------------------------------


def _grads(module, x, upstream):
    x = x.clone().requires_grad_(True)
    module.zero_grad(set_to_none=True)
    (module(x) * upstream).sum().backward()
    params = [p.grad for p in module.parameters()]
    return x.grad, params


def _assert_same_outputs_and_grads(ours, ref, x, upstream):
    """Outputs, input gradients and parameter gradients of ours equal torch's."""
    assert torch.allclose(ours(x), ref(x), atol=ATOL)
    gx, gp = _grads(ours, x, upstream)
    rx, rp = _grads(ref, x, upstream)
    assert torch.allclose(gx, rx, atol=1e-4)
    for a, b in zip(gp, rp, strict=True):
        assert torch.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("config", BN_CONFIGS)
@pytest.mark.parametrize(("ours_cls", "torch_cls", "shape"), BN_PAIRS)
def test_batchnorm_matches_torch_over_training_and_evaluation(ours_cls, torch_cls, shape, config):
    ours, ref = _pair(ours_cls, torch_cls, config)
    with torch.no_grad():  # non-trivial affine parameters, the same in both
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            p.copy_(torch.randn_like(p))
            q.copy_(p)
    for step in range(5):
        x = torch.randn(shape) * (step + 1) + step  # the statistics change every step
        upstream = torch.randn(shape)
        _assert_same_outputs_and_grads(ours, ref, x, upstream)
    for key, value in ref.state_dict().items():
        assert torch.allclose(ours.state_dict()[key].double(), value.double(), atol=1e-4), key
    ours.eval()
    ref.eval()
    x = torch.randn(shape) * 2
    assert torch.allclose(ours(x), ref(x), atol=ATOL)
    assert torch.allclose(_grads(ours, x, x)[0], _grads(ref, x, x)[0], atol=1e-4)


def test_running_variance_is_unbiased_and_normalization_biased():
    x = torch.randn(5, 3, dtype=torch.float64) * 2 + 1
    layer = BatchNorm1d(3, momentum=0.1, dtype=torch.float64)
    y = layer(x)
    biased = x.var(0, unbiased=False)
    assert torch.allclose(y, (x - x.mean(0)) / torch.sqrt(biased + 1e-5))
    assert torch.allclose(layer.running_var, 0.9 * 1.0 + 0.1 * x.var(0, unbiased=True))
    assert torch.allclose(layer.running_mean, 0.1 * x.mean(0))


def test_momentum_none_is_the_cumulative_average():
    batches = [torch.randn(6, 3) * (i + 1) + i for i in range(4)]
    layer = BatchNorm1d(3, momentum=None)
    for x in batches:
        layer(x)
    means = torch.stack([x.mean(0) for x in batches])
    variances = torch.stack([x.var(0) for x in batches])
    assert torch.allclose(layer.running_mean, means.mean(0), atol=1e-5)
    assert torch.allclose(layer.running_var, variances.mean(0), atol=1e-4)
    assert int(layer.num_batches_tracked) == 4


def test_evaluation_with_a_batch_of_one_works_and_ignores_the_rest_of_the_batch():
    ours, ref = BatchNorm1d(4), nn.BatchNorm1d(4)
    train = torch.randn(16, 4) * 3 + 2
    for layer in (ours, ref):
        layer(train)
        layer.eval()
    x = torch.randn(10, 4)
    single = ours(x[:1])
    assert torch.allclose(single, ref(x[:1]), atol=ATOL)
    assert torch.allclose(single, ours(x)[:1], atol=ATOL)  # no dependence on the others


def test_training_mode_output_depends_on_the_batch():
    layer = BatchNorm1d(4)
    x = torch.randn(8, 4)
    assert not torch.allclose(layer(x)[:4], layer(x[:4]), atol=1e-3)


@pytest.mark.parametrize("config", [{}, {"elementwise_affine": False}, {"bias": False}])
@pytest.mark.parametrize(("shape", "normalized"), [((6, 5), 5), ((3, 4, 5), (4, 5)),
                                                   ((1, 7), 7)])
def test_layernorm_matches_torch_in_both_modes(shape, normalized, config):
    ours, ref = LayerNorm(normalized, **config), nn.LayerNorm(normalized, **config)
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            p.copy_(torch.randn_like(p))
            q.copy_(p)
    x, upstream = torch.randn(shape) * 3 + 1, torch.randn(shape)
    for mode in (True, False):
        ours.train(mode)
        ref.train(mode)
        _assert_same_outputs_and_grads(ours, ref, x, upstream)


def test_layernorm_of_a_sample_does_not_depend_on_the_batch():
    layer = LayerNorm(6)
    x = torch.randn(5, 6)
    assert torch.allclose(layer(x)[:1], layer(x[:1]))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 9), c=st.integers(1, 5), extra=st.integers(0, 2),
    momentum=st.floats(0.0, 1.0), scale=st.floats(0.1, 100.0), seed=st.integers(0, 2**16),
)
def test_functional_batch_norm_matches_torch(n, c, extra, momentum, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    shape = (n, c) + (3,) * extra
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
    weight, bias = torch.randn(c, dtype=torch.float64), torch.randn(c, dtype=torch.float64)
    stats = [torch.rand(c, dtype=torch.float64) for _ in range(2)]
    ours_stats, ref_stats = [s.clone() for s in stats], [s.clone() for s in stats]
    for training in (True, False):
        ours = batch_norm(x, *ours_stats, weight, bias, training, momentum, 1e-5)
        ref = F.batch_norm(x, *ref_stats, weight, bias, training, momentum, 1e-5)
        assert torch.allclose(ours, ref, atol=1e-9)
        for a, b in zip(ours_stats, ref_stats, strict=True):
            assert torch.allclose(a, b, atol=1e-9 * scale**2)


@settings(max_examples=30, deadline=None)
@given(lead=st.integers(1, 4), k=st.integers(1, 3), scale=st.floats(0.01, 100.0),
       seed=st.integers(0, 2**16))
def test_functional_layer_norm_matches_torch(lead, k, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    normalized = tuple(range(2, 2 + k))
    x = torch.randn((lead, *normalized), generator=gen, dtype=torch.float64) * scale + scale
    weight = torch.randn(normalized, generator=gen, dtype=torch.float64)
    bias = torch.randn(normalized, generator=gen, dtype=torch.float64)
    ours = layer_norm(x, normalized, weight, bias, 1e-5)
    assert torch.allclose(ours, F.layer_norm(x, normalized, weight, bias, 1e-5), atol=1e-9)


def test_batch_statistics_are_the_biased_per_channel_moments():
    x = torch.randn(4, 3, 5, 5, dtype=torch.float64)
    mean, var = batch_statistics(x)
    assert torch.allclose(mean, x.mean(dim=(0, 2, 3)))
    assert torch.allclose(var, x.var(dim=(0, 2, 3), unbiased=False))


def test_models_mlp_accepts_the_classes_as_norm_factories():
    for norm in (BatchNorm1d, LayerNorm):
        model = mlp([6, 5, 5, 3], norm=norm, norm_position="after")
        assert sum(isinstance(m, norm) for m in model) == 2
        assert model(torch.randn(4, 6)).shape == (4, 3)


# ---------------------------------------------------------------------------------------
# The hand-derived backward pass
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (7, 2), (3, 2, 4, 4)])
def test_batch_norm_backward_matches_autograd_and_torch(shape):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(shape, generator=gen, dtype=torch.float64).requires_grad_(True)
    gamma = torch.randn(shape[1], generator=gen, dtype=torch.float64).requires_grad_(True)
    beta = torch.randn(shape[1], generator=gen, dtype=torch.float64).requires_grad_(True)
    dout = torch.randn(shape, generator=gen, dtype=torch.float64)
    y, cache = batch_norm_forward(x, gamma, beta)
    ours = batch_norm_backward(dout, cache)
    reference = F.batch_norm(x, None, None, gamma, beta, training=True)
    assert torch.allclose(y, reference)
    expected = torch.autograd.grad(reference, (x, gamma, beta), dout)
    for a, b in zip(ours, expected, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


def test_batch_norm_backward_passes_a_float64_gradient_check():
    gen = torch.Generator().manual_seed(2)
    x, gamma, beta = torch.randn(5, 3, generator=gen), torch.randn(3, generator=gen), torch.randn(3)
    dout = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    x64, g64, b64 = x.double(), gamma.double(), beta.double()
    _, cache = batch_norm_forward(x64, g64, b64)
    analytic = batch_norm_backward(dout, cache)

    def loss(x_, g_, b_):
        return (batch_norm_forward(x_, g_, b_)[0] * dout).sum()

    assert gradient_check(loss, [x, gamma, beta], analytic=analytic, tol=1e-7) < 1e-7


def test_a_wrong_backward_fails_the_gradient_check():
    gen = torch.Generator().manual_seed(3)
    x, gamma, beta = torch.randn(4, 2, generator=gen), torch.ones(2), torch.zeros(2)
    dout = torch.randn(4, 2, generator=gen, dtype=torch.float64)
    _, cache = batch_norm_forward(x.double(), gamma.double(), beta.double())
    dx, dgamma, dbeta = batch_norm_backward(dout, cache)
    no_variance_path = cache.inv_std * (dout - dout.mean(0))  # a classic mistake

    def loss(x_, g_, b_):
        return (batch_norm_forward(x_, g_, b_)[0] * dout).sum()

    with pytest.raises(AssertionError, match="gradient of input 0"):
        gradient_check(loss, [x, gamma, beta], analytic=[no_variance_path, dgamma, dbeta])


def test_batch_norm_input_gradient_is_orthogonal_to_shifts_and_scalings():
    # exact for eps -> 0; with eps the x_hat direction is off by O(eps / var)
    x = torch.randn(6, 3, dtype=torch.float64)
    gamma = torch.rand(3, dtype=torch.float64)
    _, cache = batch_norm_forward(x, gamma, torch.zeros(3, dtype=torch.float64), eps=1e-14)
    dx = batch_norm_backward(torch.randn(6, 3, dtype=torch.float64), cache)[0]
    assert torch.allclose(dx.sum(0), torch.zeros(3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose((dx * cache.x_hat).sum(0), torch.zeros(3, dtype=torch.float64),
                          atol=1e-12)


# ---------------------------------------------------------------------------------------
# Errors: torch's wording where torch has a twin
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "ref", "x"), [
    (BatchNorm1d(4), nn.BatchNorm1d(4), torch.randn(1, 4)),
    (BatchNorm1d(4), nn.BatchNorm1d(4), torch.randn(1, 4, 1)),
    (BatchNorm2d(4), nn.BatchNorm2d(4), torch.randn(1, 4, 1, 1)),
    (BatchNorm1d(4, track_running_stats=False).eval(),
     nn.BatchNorm1d(4, track_running_stats=False).eval(), torch.randn(1, 4)),
])
def test_a_training_batch_of_one_raises_torchs_error(ours, ref, x):
    expected = _error_of(lambda: ref(x))
    assert expected[0] is ValueError
    with pytest.raises(ValueError) as info:
        ours(x)
    assert str(info.value) == expected[1]
    assert "Expected more than 1 value per channel when training" in expected[1]


def test_a_batch_of_one_with_several_values_per_channel_trains():
    layer, ref = BatchNorm2d(3), nn.BatchNorm2d(3)
    x = torch.randn(1, 3, 4, 4)
    assert torch.allclose(layer(x), ref(x), atol=ATOL)


@pytest.mark.parametrize(("ours", "ref", "x"), [
    (BatchNorm1d(4), nn.BatchNorm1d(4), torch.randn(2, 4, 3, 3)),
    (BatchNorm1d(4), nn.BatchNorm1d(4), torch.randn(4)),
    (BatchNorm2d(4), nn.BatchNorm2d(4), torch.randn(2, 4)),
])
def test_wrong_input_dimension_raises_torchs_error(ours, ref, x):
    expected = _error_of(lambda: ref(x))
    with pytest.raises(ValueError) as info:
        ours(x)
    assert (ValueError, str(info.value)) == expected


@pytest.mark.parametrize("config", [{}, {"track_running_stats": False}])
@pytest.mark.parametrize("training", [True, False])
def test_wrong_number_of_channels_raises_with_torchs_wording(config, training):
    ours, ref = BatchNorm1d(4, **config).train(training), nn.BatchNorm1d(4, **config)
    ref.train(training)
    x = torch.randn(5, 3)
    _, message = _error_of(lambda: ref(x))
    with pytest.raises(ValueError) as info:
        ours(x)
    assert str(info.value) == message


@pytest.mark.parametrize(("eps", "training"), [(0.0, True), (-1e-3, False)])
def test_bad_eps_raises_torchs_error(eps, training):
    x, stats = torch.randn(3, 2), (torch.zeros(2), torch.ones(2))
    expected = _error_of(lambda: F.batch_norm(x, *stats, training=training, eps=eps))
    with pytest.raises(ValueError) as info:
        batch_norm(x, *stats, training=training, eps=eps)
    assert (ValueError, str(info.value)) == expected


@pytest.mark.parametrize("missing", ["running_mean", "running_var"])
def test_evaluation_without_running_statistics_raises_torchs_wording(missing):
    x = torch.randn(3, 2)
    stats = {"running_mean": torch.zeros(2), "running_var": torch.ones(2), missing: None}
    _, message = _error_of(lambda: F.batch_norm(x, **stats, training=False))
    with pytest.raises(ValueError) as info:
        batch_norm(x, **stats, training=False)
    assert str(info.value) == message


@pytest.mark.parametrize(("shape", "x"), [(4, torch.randn(2, 3)), ((2, 4), torch.randn(3, 4))])
def test_layernorm_shape_mismatch_raises_torchs_wording(shape, x):
    _, message = _error_of(lambda: nn.LayerNorm(shape)(x))
    with pytest.raises(ValueError) as info:
        LayerNorm(shape)(x)
    assert str(info.value) == message


def test_layer_norm_negative_eps_raises():
    with pytest.raises(ValueError, match="layer_norm eps must be non-negative, but got -1"):
        layer_norm(torch.randn(2, 3), (3,), eps=-1)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4"])
def test_num_features_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match=r"num_features must be a positive integer, but got"):
        BatchNorm1d(bad)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_momentum_must_be_none_or_in_unit_interval(bad):
    with pytest.raises(ValueError, match=rf"momentum must be None or in \[0, 1\], but got {bad}"):
        BatchNorm2d(3, momentum=bad)


@pytest.mark.parametrize("bad", [0, (3, 0)])
def test_layernorm_normalized_shape_must_be_positive(bad):
    with pytest.raises(ValueError, match="normalized_shape must be positive integers, but got"):
        LayerNorm(bad)


def test_an_empty_normalized_shape_fails_in_forward_as_in_torch():
    ours, ref = LayerNorm(()), nn.LayerNorm(())  # both construct
    assert [p.shape for p in ours.parameters()] == [p.shape for p in ref.parameters()]
    for x in (torch.randn(()), torch.randn(2, 3)):
        expected = _error_of(lambda x=x: ref(x))
        assert expected[0] is RuntimeError
        with pytest.raises(ShapeError) as info:
            ours(x)
        assert str(info.value) == expected[1]
        assert "normalized_shape = []" in expected[1]


def test_batch_norm_backward_rejects_a_wrong_upstream_shape():
    _, cache = batch_norm_forward(torch.randn(4, 3), torch.ones(3), torch.zeros(3))
    with pytest.raises(ShapeError, match=r"dout must have the forward output's shape \(4, 3\)"):
        batch_norm_backward(torch.randn(3, 4), cache)


_X, _C = torch.randn(5, 3), torch.ones(3)
SHAPE_ERROR_CASES = {  # name: (the call, with a module name or a function, its arguments)
    "running_mean": (F.batch_norm, batch_norm, (_X, torch.zeros(4), _C)),
    "running_var": (F.batch_norm, batch_norm, (_X, _C, torch.ones(2))),
    "weight": (F.batch_norm, batch_norm, (_X, _C, _C, torch.ones(4))),
    "bias": (F.batch_norm, batch_norm, (_X, _C, _C, None, torch.ones(2), True)),
    "normalized_shape": (F.layer_norm, layer_norm, (torch.randn(2, 4), (3,))),
    "weight ": (F.layer_norm, layer_norm, (torch.randn(2, 3), (3,), torch.ones(4))),
    "bias ": (F.layer_norm, layer_norm, (torch.randn(2, 3), (3,), None, torch.ones(1, 3))),
}


@pytest.mark.parametrize("name", list(SHAPE_ERROR_CASES))
def test_shape_errors_are_value_and_runtime_errors_that_name_the_parameter(name):
    theirs, ours, args = SHAPE_ERROR_CASES[name]
    expected = _error_of(lambda: theirs(*args))
    assert expected[0] is RuntimeError  # torch's type, which torch code catches
    for caught in (ValueError, RuntimeError):
        with pytest.raises(caught) as info:
            ours(*args)
        assert type(info.value) is ShapeError
        assert str(info.value) == expected[1]
        assert name.strip() in str(info.value)


@pytest.mark.parametrize(("ours", "ref", "x"), [
    (BatchNorm1d(4), nn.BatchNorm1d(4), torch.randn(5, 3)),
    (BatchNorm2d(4).eval(), nn.BatchNorm2d(4).eval(), torch.randn(2, 5, 3, 3)),
    (LayerNorm((2, 4)), nn.LayerNorm((2, 4)), torch.randn(3, 4)),
])
def test_modules_raise_shape_errors_where_torch_raises_runtime_error(ours, ref, x):
    expected = _error_of(lambda: ref(x))
    assert expected[0] is RuntimeError
    with pytest.raises(RuntimeError) as info:
        ours(x)
    assert isinstance(info.value, ShapeError) and isinstance(info.value, ValueError)
    assert str(info.value) == expected[1]


def test_missing_running_statistics_are_an_invalid_argument_as_torch_raises():
    x = torch.randn(3, 2)
    expected = _error_of(lambda: F.batch_norm(x, None, torch.ones(2)))
    assert expected[0] is RuntimeError
    with pytest.raises(RuntimeError) as info:
        batch_norm(x, None, torch.ones(2))
    assert type(info.value) is InvalidArgumentError and isinstance(info.value, ValueError)
    assert str(info.value) == expected[1] == "running_mean must be defined in evaluation mode"


# ---------------------------------------------------------------------------------------
# Empty batches, reduced precision, forward-mode gradients: torch as the oracle
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize(("ours_cls", "torch_cls", "shape"), [
    (BatchNorm1d, nn.BatchNorm1d, (0, 4)), (BatchNorm1d, nn.BatchNorm1d, (0, 4, 3)),
    (BatchNorm1d, nn.BatchNorm1d, (2, 4, 0)), (BatchNorm2d, nn.BatchNorm2d, (0, 4, 2, 2)),
])
def test_an_empty_training_batch_leaves_the_running_statistics_as_torch(
    ours_cls, torch_cls, shape, momentum
):
    ours, ref = ours_cls(4, momentum=momentum), torch_cls(4, momentum=momentum)
    warm_up = torch.randn(6, 4, *shape[2:]) + 2
    for layer in (ours, ref):
        layer(warm_up)  # running statistics away from their init
    before = copy.deepcopy(ours.state_dict())
    results = []
    for layer in (ours, ref):
        x = torch.randn(shape, requires_grad=True)
        layer.zero_grad(set_to_none=True)
        out = layer(x)
        out.backward(torch.rand_like(out))
        results.append((out, x.grad, [p.grad for p in layer.parameters()]))
    (out, x_grad, grads), (ref_out, ref_x_grad, ref_grads) = results
    assert out.shape == ref_out.shape == shape
    assert x_grad.shape == ref_x_grad.shape == shape
    for g, ref_g in zip(grads, ref_grads, strict=True):
        assert torch.equal(g, torch.zeros(4)) and torch.equal(ref_g, torch.zeros(4))
    for key, value in ref.state_dict().items():  # the counter moves, the statistics do not
        assert torch.allclose(ours.state_dict()[key].double(), value.double(), atol=1e-6), key
        if key != "num_batches_tracked":
            assert torch.equal(ours.state_dict()[key], before[key]), key
    assert int(ours.num_batches_tracked) == int(before["num_batches_tracked"]) + 1


def test_functional_batch_norm_of_zero_channels_or_values_matches_torch():
    for shape in ((2, 0), (2, 3, 0), (0, 3)):
        channels = shape[1]
        stats = [torch.zeros(channels), torch.ones(channels)]
        ref_stats = [s.clone() for s in stats]
        out = batch_norm(torch.randn(shape), *stats, training=True)
        ref = F.batch_norm(torch.randn(shape), *ref_stats, training=True)
        assert out.shape == ref.shape == shape
        for a, b in zip(stats, ref_stats, strict=True):
            assert torch.equal(a, b)


# a unit in the last place relative to the largest value, per reduced dtype
_ULP = {torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}


def _assert_near(ours: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype, ulps: float = 4.0):
    assert ours.dtype == ref.dtype
    scale = ref.double().abs().max().item()
    assert torch.allclose(ours.double(), ref.double(), rtol=0, atol=ulps * _ULP[dtype] * scale)


def _reduced_precision_run(layer: nn.Module, x: torch.Tensor, upstream: torch.Tensor):
    x = x.clone().requires_grad_(True)
    out = layer(x)
    (out * upstream).sum().backward()
    return out, x.grad, [p.grad for p in layer.parameters()]


@pytest.mark.parametrize("module_dtype", ["float32", "same"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("ours_cls", "torch_cls", "arg", "shape"), [
    (LayerNorm, nn.LayerNorm, (5, 7), (4, 5, 7)),
    (BatchNorm1d, nn.BatchNorm1d, 5, (6, 5, 7)),
    (BatchNorm2d, nn.BatchNorm2d, 5, (3, 5, 4, 4)),
])
def test_reduced_precision_inputs_are_normalized_in_float32_like_torch(
    ours_cls, torch_cls, arg, shape, dtype, module_dtype
):
    gen = torch.Generator().manual_seed(0)
    ours, ref = ours_cls(arg), torch_cls(arg)
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            p.copy_(torch.randn(p.shape, generator=gen))
            q.copy_(p)
    if module_dtype == "same":
        ours.to(dtype)
        ref.to(dtype)
    x = (torch.randn(shape, generator=gen) * 3 + 1).to(dtype)
    upstream = torch.randn(shape, generator=gen).to(dtype)
    out, x_grad, grads = _reduced_precision_run(ours, x, upstream)
    ref_out, ref_x_grad, ref_grads = _reduced_precision_run(ref, x, upstream)
    assert out.dtype == ref_out.dtype == dtype  # the input's dtype, as torch returns
    _assert_near(out, ref_out, dtype)
    _assert_near(x_grad, ref_x_grad, dtype)
    for g, ref_g in zip(grads, ref_grads, strict=True):
        _assert_near(g, ref_g, dtype)
    # computed in float32 and rounded once: the float32 module's result on the float32 input
    assert torch.equal(out, copy.deepcopy(ours).float()(x.float()).to(dtype))
    for key, value in ref.state_dict().items():
        assert ours.state_dict()[key].dtype == value.dtype, key
        if value.is_floating_point():
            _assert_near(ours.state_dict()[key], value, dtype)
    if ours_cls is not LayerNorm:
        ours.eval()
        ref.eval()
        _assert_near(ours(x), ref(x), dtype)


def test_reduced_precision_layer_norm_rounds_the_float32_result():
    x = torch.empty(2, 3, 11, 3).random_(1, 10)
    weight, bias = torch.randn(11, 3), torch.randn(11, 3)
    for dtype in (torch.float16, torch.bfloat16):
        expected = layer_norm(x, (11, 3), weight, bias).to(dtype)
        assert torch.equal(layer_norm(x.to(dtype), (11, 3), weight, bias), expected)
        ref = F.layer_norm(x.to(dtype), (11, 3), weight, bias)
        _assert_near(expected, ref, dtype, ulps=1.0)


def _tangent(t: torch.Tensor) -> torch.Tensor | None:
    return fwAD.unpack_dual(t).tangent


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("duals", [("input",), ("running_mean",), ("running_var", "weight"),
                                   ("input", "running_mean"), ("input", "running_var"),
                                   ("weight", "running_mean"), ("input", "weight")])
def test_forward_mode_gradients_follow_torch(duals, training):
    gen = torch.Generator().manual_seed(0)
    primals = {"input": torch.randn(4, 2, 3, generator=gen),
               "running_mean": torch.randn(2, generator=gen),
               "running_var": torch.rand(2, generator=gen) + 0.5,
               "weight": torch.randn(2, generator=gen)}
    tangents = {name: torch.randn(t.shape, generator=gen) for name, t in primals.items()}
    outcomes = []
    for fn in (batch_norm, F.batch_norm):
        with fwAD.dual_level():
            args = {name: fwAD.make_dual(t.clone(), tangents[name]) if name in duals else t.clone()
                    for name, t in primals.items()}
            try:
                out = fn(**args, training=training)
            except RuntimeError as error:
                outcomes.append((type(error), str(error), None, None))
                continue
            outcomes.append((None, None, fwAD.unpack_dual(out).primal.clone(), _tangent(out)))
    (error, message, out, tangent), (ref_error, ref_message, ref_out, ref_tangent) = outcomes
    assert (error, message) == (ref_error, ref_message)
    if ref_error is not None:
        assert not training and "running_" in " ".join(duals)
        assert message.startswith("batch_norm is not differentiable wrt running_mean and running_var")
        return
    assert torch.allclose(out, ref_out, atol=ATOL)
    assert (tangent is None) == (ref_tangent is None)
    if ref_tangent is not None:
        assert torch.allclose(tangent, ref_tangent, atol=1e-4)


# ---------------------------------------------------------------------------------------
# Tools for the experiments
# ---------------------------------------------------------------------------------------


def test_update_bn_matches_torch_swa_utils():
    torch.manual_seed(0)
    ours = mlp([5, 6, 6, 2], norm=BatchNorm1d)
    ref = mlp([5, 6, 6, 2], norm="batch")
    ref.load_state_dict(ours.state_dict())
    ours.eval()
    ref.eval()
    data = torch.randn(40, 5) * 2 + 1
    update_bn(data.split(10), ours)
    torch.optim.swa_utils.update_bn([(b,) for b in data.split(10)], ref)
    for key, value in ref.state_dict().items():
        assert torch.allclose(ours.state_dict()[key].double(), value.double(), atol=1e-5), key
    assert not ours.training
    assert all(m.momentum == 0.1 for m in ours if isinstance(m, BatchNorm1d))


def test_update_bn_accepts_tuples_and_ignores_models_without_batch_norm():
    model = mlp([3, 4, 2], norm=LayerNorm)
    before = copy.deepcopy(model.state_dict())
    update_bn([(torch.randn(4, 3), torch.zeros(4))], model)
    for key, value in before.items():
        assert torch.equal(model.state_dict()[key], value)


def test_activation_input_stats_reads_each_activation_input_and_leaves_the_model_alone():
    torch.manual_seed(1)
    model = mlp([5, 4, 3, 2], norm=BatchNorm1d, activation="sigmoid")
    probe = torch.randn(50, 5)
    before = copy.deepcopy(model.state_dict())
    stats = activation_input_stats(model, probe, percentiles=(10, 90))
    for key, value in before.items():
        assert torch.equal(model.state_dict()[key], value), key
    first = model[1](model[0](probe))  # input of the first sigmoid (train mode: batch stats)
    second = model[4](model[3](model[2](first)))
    assert torch.allclose(stats["mean"], torch.stack([first.mean(), second.mean()]), atol=1e-6)
    assert torch.allclose(stats["std"], torch.stack([first.std(), second.std()]), atol=1e-6)
    expected = torch.quantile(second.flatten(), torch.tensor([0.1, 0.9]))
    assert torch.allclose(stats["percentiles"], expected, atol=1e-6)


def test_activation_input_stats_needs_an_activation():
    with pytest.raises(ValueError, match="at least one activation layer"):
        activation_input_stats(nn.Sequential(nn.Linear(3, 2)), torch.randn(4, 3))


def test_track_activation_inputs_records_before_and_after_each_chunk():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(40, 5, generator=gen), torch.randint(0, 3, (40,), generator=gen)
    model = mlp([5, 4, 4, 3], activation="sigmoid", norm=BatchNorm1d)
    twin = copy.deepcopy(model)
    probe = x[:10]
    record = track_activation_inputs(model, (x, y), probe, steps=6, every=3, batch_size=8,
                                     lr=0.5, seed=2)
    assert record["step"].tolist() == [0, 3, 6]
    assert record["mean"].shape == (3, 2) and record["percentiles"].shape == (3, 3)
    assert torch.allclose(record["mean"][0], activation_input_stats(twin, probe)["mean"])
    for chunk in range(2):  # the same training as two fit calls of 3 steps
        fit(twin, (x, y), epochs=1, batch_size=8, lr=0.5, max_steps=3, seed=2 + chunk,
            progress=False, eval_train=False)
    assert torch.allclose(record["std"][-1], activation_input_stats(twin, probe)["std"])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"steps": 5, "every": 2}, "every must be a positive divisor of steps=5, but got 2"),
    ({"steps": 4, "every": 0}, "every must be a positive divisor"),
    ({"steps": 4, "every": 4, "batch_size": 20}, "must not exceed the 40 training samples"),
])
def test_track_activation_inputs_rejects_bad_chunks(kwargs, match):
    data = (torch.randn(40, 5), torch.randint(0, 3, (40,)))
    options = {"batch_size": 8, "lr": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        track_activation_inputs(mlp([5, 4, 3]), data, data[0][:4], **options)


def test_unit_input_stats_are_per_unit_and_leave_the_model_alone():
    torch.manual_seed(1)
    model = mlp([5, 4, 3, 2], norm=BatchNorm1d, activation="sigmoid")
    probe = torch.randn(50, 5)
    before = copy.deepcopy(model.state_dict())
    stats = unit_input_stats(model, probe)
    for key, value in before.items():
        assert torch.equal(model.state_dict()[key], value), key
    first = model[1](model[0](probe))  # input of the first sigmoid (train mode: batch stats)
    second = model[4](model[3](model[2](first)))
    for (mean, std), inputs in zip(stats, (first, second), strict=True):
        assert torch.allclose(mean, inputs.mean(0), atol=1e-6)
        assert torch.allclose(std, inputs.std(0, correction=0), atol=1e-6)
    with pytest.raises(ValueError, match="at least one activation layer"):
        unit_input_stats(nn.Sequential(nn.Linear(3, 2)), probe[:, :3])
    with pytest.raises(ValueError, match=r"probe must be an \(n, features\) tensor with n >= 2"):
        unit_input_stats(model, probe[:1])


def test_unit_drift_is_relative_to_each_units_spread_and_skips_constant_units():
    before = [(torch.tensor([0.0, 5.0, 1.0]), torch.tensor([1.0, 10.0, 0.0]))]
    after = [(torch.tensor([0.5, 10.0, 3.0]), torch.tensor([1.5, 5.0, 0.0]))]
    # unit 0 moved (0.5 + 0.5) / 1, unit 1 (5 + 5) / 10; unit 2 has no spread
    assert unit_drift(before, after).tolist() == [1.0]
    scaled = [(100 * m, 100 * s) for m, s in before], [(100 * m, 100 * s) for m, s in after]
    assert torch.allclose(unit_drift(*scaled), unit_drift(before, after))
    with pytest.raises(ValueError, match="before and after must describe the same layers"):
        unit_drift(before, before + after)


def test_track_unit_drift_trains_in_paired_chunks_and_measures_every_layer():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(60, 5, generator=gen), torch.randint(0, 3, (60,), generator=gen)
    probe = x[:20]
    models = [mlp([5, 4, 4, 3], activation="sigmoid", norm=BatchNorm1d,
                  generator=torch.Generator().manual_seed(1), init="xavier_normal")
              for _ in range(2)]
    twin = copy.deepcopy(models[0])
    drift = track_unit_drift(models, (x, y), probe, steps=6, every=3, batch_size=8, lr=0.5,
                             seed=[4, 4])
    assert drift.shape == (2, 2, 2) and torch.equal(drift[0], drift[1])  # same seed, same run
    records = [unit_input_stats(twin, probe)]
    for chunk in range(2):  # what the chunks are: fit calls seeded 1000 * seed + chunk
        fit(twin, (x, y), epochs=1, batch_size=8, lr=0.5, max_steps=3, seed=4000 + chunk,
            progress=False, eval_train=False, eval_every=0)
        records.append(unit_input_stats(twin, probe))
    expected = torch.stack([unit_drift(a, b) for a, b in zip(records, records[1:], strict=False)])
    assert torch.allclose(drift[0], expected, atol=1e-5)
    noisy = mlp([5, 4, 4, 3], activation="sigmoid", generator=torch.Generator().manual_seed(1),
                init="xavier_normal", norm=lambda width: nn.Sequential(
                    BatchNorm1d(width), ShiftNoise(width, generator=torch.Generator().manual_seed(0))))
    shifted = track_unit_drift([noisy], (x, y), probe, steps=6, every=3, batch_size=8, lr=0.5,
                               seed=4)  # not stackable: trained with fit
    assert (shifted > drift[:1]).all()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"steps": 5, "every": 2}, "every must be a positive divisor of steps=5"),
    ({"steps": 4, "every": 4, "batch_size": 20}, "must not exceed the 40 training samples"),
    ({"lr": [0.1, 0.2]}, r"lr must be a number or one per model \(1\), but got 2 values"),
    ({"seed": [1, 2]}, r"seed must be an int or one int per model \(1\), but got 2 values"),
])
def test_track_unit_drift_rejects_bad_arguments(kwargs, match):
    data = (torch.randn(40, 5), torch.randint(0, 3, (40,)))
    options = {"steps": 4, "every": 2, "batch_size": 8, "lr": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        track_unit_drift([mlp([5, 4, 3])], data, data[0][:4], **options)
    with pytest.raises(ValueError, match="models must contain at least one model"):
        track_unit_drift([], data, data[0][:4], steps=4, every=2, batch_size=8, lr=0.1)


def test_bn_makes_the_loss_scale_invariant_so_only_the_effective_step_matters():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 6, generator=gen), torch.randint(0, 3, (32,), generator=gen)
    model = mlp([6, 5, 5, 3], norm=BatchNorm1d, bias="except_before_batch_norm",
                init="he_normal", generator=gen)
    assert [tuple(w.shape) for w in scale_invariant_weights(model)] == [(5, 6), (5, 5)]
    scaled = copy.deepcopy(model)
    with torch.no_grad():
        scaled[0].weight.mul_(10.0)
    # the same loss, the first layer's gradient ten times smaller, its effective step 100x
    assert loss_along_gradient(scaled, x, y, [0.0]) == pytest.approx(
        loss_along_gradient(model, x, y, [0.0]), rel=1e-5)
    assert weight_gradient_std(scaled, x, y)[0] == pytest.approx(
        weight_gradient_std(model, x, y)[0] / 10, rel=1e-4)
    steps = effective_step(scale_invariant_weights(model), lr=0.1)
    assert effective_step(scale_invariant_weights(scaled), lr=0.1)[0] == pytest.approx(steps[0] / 100)
    assert scale_invariant_weights(mlp([6, 5, 3])) == []
    with pytest.raises(ValueError, match="model must be an nn.Sequential"):
        scale_invariant_weights(nn.Linear(3, 3))


def test_effective_step_and_rotation_angle_follow_their_formulas():
    w = torch.tensor([[3.0, 4.0], [0.0, 1.0]])  # squared row lengths 25 and 1
    assert effective_step([w], lr=0.13) == pytest.approx([0.01])
    turned = torch.tensor([[-4.0, 3.0], [0.0, 7.0]])  # 90 degrees, 0 degrees (only longer)
    assert rotation_angle([w], [turned]) == pytest.approx([45.0])
    assert rotation_angle([w], [5 * w]) == pytest.approx([0.0], abs=1e-6)
    with pytest.raises(ValueError, match="lr must be positive, but got 0"):
        effective_step([w], lr=0)
    with pytest.raises(ValueError, match=r"weights must be nonzero \(out, in\) matrices"):
        effective_step([torch.zeros(2, 2)], lr=0.1)
    with pytest.raises(ValueError, match="before and after must be matrices of the same shapes"):
        rotation_angle([w], [w[:1]])


def test_weight_gradient_std_is_the_spread_of_each_linear_layers_gradient():
    torch.manual_seed(0)
    model = mlp([6, 5, 3], norm=BatchNorm1d)
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    twin = copy.deepcopy(model).train()
    F.cross_entropy(twin(x), y).backward()
    expected = [twin[0].weight.grad.std(correction=0).item(), twin[3].weight.grad.std(correction=0).item()]
    assert weight_gradient_std(model, x, y) == pytest.approx(expected, rel=1e-5)
    assert model[0].weight.grad is None  # the model itself is not touched
    with pytest.raises(ValueError, match="must hold the same number"):
        weight_gradient_std(model, x, y[:3])
    with pytest.raises(ValueError, match="at least one nn.Linear layer"):
        weight_gradient_std(nn.Sequential(nn.Flatten()), x, y)


def test_loss_along_gradient_steps_from_the_current_loss_and_leaves_the_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    before = copy.deepcopy(model.state_dict())
    losses = loss_along_gradient(model, x, y, [0.0, 0.01, 1000.0])
    assert losses[0] == pytest.approx(F.cross_entropy(model(x), y).item())
    assert losses[1] < losses[0] < losses[2]  # a small step helps, a huge one overshoots
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())
    with pytest.raises(ValueError, match="step_sizes must be non-negative finite numbers"):
        loss_along_gradient(model, x, y, [-0.1])
    with pytest.raises(ValueError, match="step_sizes must be non-negative finite numbers"):
        loss_along_gradient(model, x, y, [])


def test_shift_noise_shifts_and_scales_each_unit_by_one_draw_per_batch():
    gen = torch.Generator().manual_seed(0)
    noise = ShiftNoise(3, shift_std=1.0, scale_std=0.5, generator=gen)
    x = torch.randn(6, 3)
    y = noise(x)
    slope = (y[1:] - y[:1]) / (x[1:] - x[:1])  # the same s for every sample of the batch
    assert torch.allclose(slope, slope[:1].expand_as(slope), atol=1e-4)
    assert torch.equal(noise.eval()(x), x)
    assert repr(noise) == "ShiftNoise(3, shift_std=1.0, scale_std=0.5)"


def test_shift_noise_draws_have_the_stated_spread():
    # 20,000 draws: the sample std of a normal has relative sd 1/sqrt(2 * 20,000) = 0.5 %,
    # so a 3 % tolerance fails only for a wrong scale.
    noise = ShiftNoise(20_000, shift_std=2.0, scale_std=0.3,
                       generator=torch.Generator().manual_seed(0))
    zero, one = torch.zeros(1, 20_000), torch.ones(1, 20_000)
    state = noise.generator.get_state()
    shift = noise(zero)
    noise.generator.set_state(state)
    log_scale = torch.log(noise(one) - shift)
    assert shift.std().item() == pytest.approx(2.0, rel=0.03)
    assert log_scale.std().item() == pytest.approx(0.3, rel=0.03)


def test_shift_noise_rejects_negative_spreads():
    with pytest.raises(ValueError, match="shift_std and scale_std must be non-negative"):
        ShiftNoise(3, shift_std=-1.0)


def test_batch_stat_noise_follows_one_over_sqrt_batch_size_for_gaussian_features():
    # Batches of B rows drawn without replacement from n: the batch mean's standard error is
    # sigma / sqrt(B) * sqrt((n - B) / (n - 1)); the rms is estimated over 300 batches x 50
    # features = 15,000 draws (relative sd about 0.6 %), so 4 % separates right from wrong.
    h = torch.randn(4000, 50, generator=torch.Generator().manual_seed(0)) * 3 + 5
    result = batch_stat_noise(h, [4, 16, 64], n_batches=300, seed=1)
    for b, noise in zip(result["batch_size"], result["mean_noise"], strict=True):
        expected = math.sqrt((4000 - b) / (4000 - 1) / b)
        assert noise == pytest.approx(expected, rel=0.04)
    # biased variance of B normal draws: E = (B-1)/B sigma^2, var = 2 (B-1) / B^2 sigma^4
    for b, noise in zip(result["batch_size"], result["var_noise"], strict=True):
        expected = math.sqrt(2 * (b - 1) / b**2 + 1 / b**2)
        assert noise == pytest.approx(expected, rel=0.06)


@pytest.mark.parametrize(("sizes", "n_batches", "match"), [
    ([1, 4], 10, "batch_sizes must be between 2 and 20"),
    ([30], 10, "batch_sizes must be between 2 and 20"),
    ([4], 0, "n_batches must be at least 1, but got 0"),
])
def test_batch_stat_noise_rejects_bad_arguments(sizes, n_batches, match):
    with pytest.raises(ValueError, match=match):
        batch_stat_noise(torch.randn(20, 3), sizes, n_batches=n_batches)


# ---------------------------------------------------------------------------------------
# The chapter's figures and explorer
# ---------------------------------------------------------------------------------------


def _labelled(fig) -> bool:
    axes = [ax for ax in fig.axes if ax.has_data()]
    return bool(axes) and all(ax.get_xlabel() for ax in axes) and (
        fig._suptitle is not None or all(ax.get_title() for ax in axes))


def _history(values):
    from course_utils.training import History

    return History(epoch=list(range(1, len(values) + 1)), train_acc=list(values),
                   val_acc=[v * 0.9 for v in values])


def test_chapter_figures_have_titles_and_axis_labels():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    record = {"step": torch.arange(0, 30, 10), "percentiles": torch.randn(3, 3)}
    runs = [_history([0.2, 0.5, 0.9]) for _ in range(2)]
    figures = [
        plotting.plot_activation_drift({"a": record, "b": record}),
        plotting.plot_sigmoid_linear_region({"x": torch.randn(100)}, threshold=1.4),
        plotting.plot_running_average([1.0, 2.0], {"m": [0.5, 1.0]}, target=1.5),
        plotting.plot_gradient_agreement({"ok": (torch.ones(3), torch.ones(3))}),
        plotting.plot_scale_grid([1.0, 0.1], runs, runs, ncols=2),
        plotting.plot_lr_sweep([0.1, 1.0], {"relu, BN": [0.5, 0.9], "relu, no BN": [0.4, 0.1]}),
        plotting.plot_grouped_bars({"g": {"s": [0.5, 0.6]}}, xlabel="group", ylabel="acc",
                                    title="t"),
        plotting.plot_batch_size_effect(
            [2, 4], {"BN": np.zeros((2, 3))},
            {"batch_size": [2, 4], "mean_noise": [0.7, 0.5], "var_noise": [1.0, 0.7]},
            images_seen=64),
        plotting.plot_train_test_curves({"a": runs}, steps_per_epoch={"a": 3}),
    ]
    for fig in figures:
        assert _labelled(fig)
        plt.close(fig)


def test_explorer_compute_is_deterministic_and_validates():
    from course_utils.widgets import batchnorm_explorer_runs

    first = batchnorm_explorer_runs(0.05, 0.1, n_train=60, epochs=2)
    second = batchnorm_explorer_runs(0.05, 0.1, n_train=60, epochs=2)
    assert set(first) == {"with BN", "without BN"}
    for name in first:
        assert first[name].val_acc == second[name].val_acc
        assert first[name].epoch == [2]
    with pytest.raises(ValueError, match="weight_std and lr must be positive"):
        batchnorm_explorer_runs(0.0, 0.1)
    with pytest.raises(ValueError, match=r"n_train must be in \[50, 7000\]"):
        batchnorm_explorer_runs(0.1, 0.1, n_train=10)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        batchnorm_explorer_runs(0.1, 0.1, epochs=0)


def test_explorer_scores_on_validation_and_drops_the_bias_before_bn(monkeypatch):
    # moving sliders while watching a score is tuning: the explorer must never see the
    # test split, and its BN network follows the chapter's own rule (no bias before BN)
    from course_utils import widgets
    from course_utils.data import load_splits
    from course_utils.normalization import is_batch_norm

    seen, built = [], []
    real_fit, real_mlp = widgets.fit, widgets.mlp

    def spy_fit(model, train, *, val, **kwargs):
        seen.append(val)
        return real_fit(model, train, val=val, **kwargs)

    def spy_mlp(*args, **kwargs):
        built.append(real_mlp(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(widgets, "fit", spy_fit)
    monkeypatch.setattr(widgets, "mlp", spy_mlp)
    widgets.batchnorm_explorer_runs(0.05, 0.1, n_train=50, epochs=2)
    x_val = load_splits().val[0][:500]
    assert all(torch.equal(val[0], x_val) for val in seen) and len(seen) == 2
    with_bn = built[0]
    layers = list(with_bn)
    for layer, after in zip(layers, layers[1:], strict=False):
        if isinstance(layer, torch.nn.Linear):
            assert (layer.bias is None) == is_batch_norm(after)


def test_explorer_redraws_when_a_slider_moves(monkeypatch):
    import matplotlib.pyplot as plt

    from course_utils import widgets

    calls = []
    quick = widgets.batchnorm_explorer_runs

    def cheap(weight_std, lr, **_):
        calls.append((weight_std, lr))
        return quick(weight_std, lr, n_train=50, epochs=2)

    monkeypatch.setattr(widgets, "batchnorm_explorer_runs", cheap)
    explorer = widgets.BatchNormExplorer()
    explorer.controls["lr"].value = 1.0
    assert calls == [(0.01, 0.1), (0.01, 1.0)]
    assert "lr 1" in explorer.last_result.axes[0].get_title()
    plt.close("all")


def test_explorer_says_diverged_instead_of_showing_a_low_accuracy(monkeypatch):
    import matplotlib.pyplot as plt

    from course_utils import widgets

    quick = widgets.batchnorm_explorer_runs

    def one_diverged(weight_std, lr, **_):
        runs = quick(weight_std, lr, n_train=50, epochs=2)
        runs["without BN"].val_loss[-1] = float("nan")
        return runs

    monkeypatch.setattr(widgets, "batchnorm_explorer_runs", one_diverged)
    title = widgets.BatchNormExplorer().last_result.axes[0].get_title()
    assert "without BN: diverged" in title and "with BN: validation" in title
    plt.close("all")


def test_an_old_checkpoint_without_num_batches_tracked_loads_as_in_torch():
    ref = nn.BatchNorm1d(3)
    old = [(k, v) for k, v in ref.state_dict().items() if k != "num_batches_tracked"]
    counts = []
    for layer in (BatchNorm1d(3), nn.BatchNorm1d(3)):
        layer.num_batches_tracked.fill_(5)
        state = OrderedDict(old)
        state._metadata = {"": {"version": 1}}  # what torch < 0.4.1 saved
        layer.load_state_dict(state)  # strict: the missing key is filled in
        counts.append(int(layer.num_batches_tracked))
    assert counts[0] == counts[1]


def test_unit_drift_relative_to_the_layer_divides_by_the_pooled_spread():
    before = [(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0]))]
    after = [(torch.tensor([0.5, 2.5]), torch.tensor([1.5, 0.0]))]
    # pooled variance: mean of s^2 (0.5) + variance of the means (1.0) = 1.5
    moved = (1.0 + 0.5) / 2
    assert unit_drift(before, after, relative_to="layer").item() == pytest.approx(moved / 1.5 ** 0.5)
    # a nearly constant unit dominates the per-unit version, not the layer version
    almost = [(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1e-3]))]
    assert unit_drift(almost, after).item() > 100 * unit_drift(almost, after, relative_to="layer").item()
    flat = [(torch.zeros(2), torch.zeros(2))]
    assert math.isnan(unit_drift(flat, flat, relative_to="layer").item())
    with pytest.raises(ValueError, match="relative_to must be 'unit' or 'layer', but got 'pixel'"):
        unit_drift(before, after, relative_to="pixel")


def test_track_unit_drift_passes_relative_to_through_and_validates_it():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(60, 5, generator=gen), torch.randint(0, 3, (60,), generator=gen)
    models = [mlp([5, 4, 3], activation="sigmoid", generator=torch.Generator().manual_seed(1))
              for _ in range(2)]
    per_unit = track_unit_drift(models[:1], (x, y), x[:20], steps=3, every=3, batch_size=8, lr=0.5)
    per_layer = track_unit_drift(models[1:], (x, y), x[:20], steps=3, every=3, batch_size=8, lr=0.5,
                                 relative_to="layer")
    assert per_unit.shape == per_layer.shape == (1, 1, 1)
    assert not torch.allclose(per_unit, per_layer)
    with pytest.raises(ValueError, match="relative_to must be 'unit' or 'layer'"):
        track_unit_drift(models[:1], (x, y), x[:20], steps=3, every=3, batch_size=8, lr=0.5,
                         relative_to="unit spread")


def test_noisy_batch_norm_is_batch_norm_plus_shift_noise_and_drops_the_bias_before_it():
    gen_a, gen_b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    noisy = NoisyBatchNorm1d(4, generator=gen_a)
    reference = nn.Sequential(BatchNorm1d(4), ShiftNoise(4, generator=gen_b))
    x = torch.randn(8, 4)
    assert torch.allclose(noisy(x), reference(x), atol=1e-6)
    assert torch.allclose(noisy.running_mean, reference[0].running_mean)
    assert set(noisy.state_dict()) == set(BatchNorm1d(4).state_dict())
    noisy.eval()
    reference.eval()
    assert torch.allclose(noisy(x[:1]), reference(x[:1]), atol=1e-6)  # no noise in evaluation
    assert is_batch_norm(noisy)
    model = mlp([6, 4, 3], activation="sigmoid", norm=lambda w: NoisyBatchNorm1d(w, generator=gen_a),
                bias="except_before_batch_norm")
    assert model[0].bias is None and model[-1].bias is not None
    from course_utils.batched import stack_supported
    assert not stack_supported(model)  # the noise is trained by fit, not stacked away
    with pytest.raises(ValueError, match="expected 2D input"):
        NoisyBatchNorm1d(4)(torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match="shift_std and scale_std must be non-negative"):
        NoisyBatchNorm1d(4, shift_std=-1.0)


def test_probe_along_gradient_measures_distance_loss_and_gradient_change():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    before = copy.deepcopy(model.state_dict())
    steps = [0.0, 0.01, 0.5]
    probe = probe_along_gradient(model, x, y, steps)
    assert probe["loss"] == pytest.approx(loss_along_gradient(model, x, y, steps), rel=1e-6)
    twin = copy.deepcopy(model)
    grads = torch.autograd.grad(F.cross_entropy(twin(x), y), list(twin.parameters()))
    norm = torch.sqrt(sum(g.square().sum() for g in grads)).item()
    assert probe["distance"] == pytest.approx([0.0, 0.01 * norm, 0.5 * norm], rel=1e-5)
    assert math.isnan(probe["gradient_change"][0]) and probe["gradient_change"][1] >= 0
    # the gradient change after one step, by hand
    with torch.no_grad():
        for p, g in zip(twin.parameters(), grads, strict=True):
            p -= 0.5 * g
    moved = torch.autograd.grad(F.cross_entropy(twin(x), y), list(twin.parameters()))
    change = torch.sqrt(sum((a - b).square().sum() for a, b in zip(moved, grads, strict=True))).item()
    assert probe["gradient_change"][2] == pytest.approx(change / (0.5 * norm), rel=1e-4)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())
    with pytest.raises(ValueError, match="step_sizes must be non-negative finite numbers"):
        probe_along_gradient(model, x, y, [float("inf")])
    with pytest.raises(ValueError, match="must hold the same number"):
        probe_along_gradient(model, x, y[:5], [0.1])
