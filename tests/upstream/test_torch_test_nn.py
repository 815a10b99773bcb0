"""Port of the BatchNorm / LayerNorm tests of pytorch/pytorch ``test/test_nn.py``.

Upstream: repository pytorch/pytorch, path test/test_nn.py, commit
74f2fa66feec00335f72813782f4802e80bff4cb (the copy read; 640 159 characters, found by
reading it for BatchNorm, batchnorm, batch_norm, LayerNorm, layer_norm, Dropout, dropout).
Classes TestNN, TestNNDeviceType (CPU instance), TestFusionEval, TestFusionUtils, TestUtils.

Plumbing: ``NNTestCase``/``instantiate_device_type_tests`` -> plain pytest on CPU (device
"cpu", ``@dtypes(torch.float)`` -> float32); ``self.assertEqual``/``assertNotEqual`` -> the
``_torch_asserts`` helpers (torch.testing.assert_close with torch's default tolerances and
assertEqual's equal_nan=True / exact dtype); ``_assertGradAndGradgradChecks`` and
``_test_module_empty_input`` (torch.testing._internal, not importable without expecttest) are
inlined verbatim; ``hu.tensor`` (torch's hypothesis_utils) is re-expressed with
hypothesis.extra.numpy and torch's default "dev" hypothesis profile (max_examples=10);
``nn.BatchNorm1d/2d``, ``nn.LayerNorm``, ``F.batch_norm``/``F.layer_norm`` -> ``impl.*``.
test_LayerNorm_general loops over dtypes; here it is parametrized (float32, float16, bfloat16,
and the CPU mixed-dtype helper) so each dtype is reported on its own.

Skipped (not claimed by course_utils): CUDA/cuDNN-only tests (test_batchnorm_cudnn_*,
test_batchnorm_nonaffine_cuda_half_input, test_batchnorm (cudnn vs ref), test_batchnorm_nhwc_cuda,
test_batchnorm_large_batch, *_mixed, test_layer_norm_backwards_eps, test_layer_norm_large_tensor,
test_layernorm_half_precision, test_layernorm_weight_bias, test_convert_sync_batchnorm,
test_sync_batchnorm_*); channels-last / BatchNorm3d / SyncBatchNorm (test_batchnorm_nhwc_cpu,
test_batchnorm_non_contig_cpu, test_batchnorm_half_overflow, which also feeds 80M-element fp16
inputs); torch.batch_norm_update_stats (a torch-internal op); the RNN/Transformer ``dropout``
arguments; the generated ``module_tests``/``get_new_module_tests`` entries of common_nn
(NewModuleTest harness: jacobian/gradgrad, CUDA and dtype round trips), not ported.
Not scanned: character ranges 144k-160k, 288k-304k, 320k-336k, 512k-528k, 592k-624k of the
file (Transformer/RNN/upsampling/loss regions by their neighbours).
"""

# ruff: noqa: SIM118, B905, N802  (upstream's names and idioms, kept verbatim)

import itertools
import random
from collections import OrderedDict
from copy import deepcopy
from functools import partial

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
from _torch_asserts import assertEqual, assertNotEqual
from _upstream_impl import impl, not_claimed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as stnp
from torch.autograd import gradcheck, gradgradcheck
from torch.nn import Parameter
from torch.nn.utils.fusion import fuse_conv_bn_weights, fuse_linear_bn_weights

pytestmark = pytest.mark.upstream
device = "cpu"
F_batch_norm = impl.batch_norm


@pytest.fixture(autouse=True)
def _setup(torch_seed):
    pass


def _assertGradAndGradgradChecks(apply_fn, inputs, **kwargs):
    # call assert function rather than returning a bool since it's nicer
    # if we get whether this failed on the gradcheck or the gradgradcheck.
    assert gradcheck(apply_fn, inputs, **kwargs)
    assert gradgradcheck(apply_fn, inputs, **kwargs)


def _test_module_empty_input(module, inp, check_size=True, inference=False):
    if not inference:
        inp.requires_grad_(True)
    out = module(inp)
    if not inference:
        gO = torch.rand_like(out)
        out.backward(gO)
    if check_size:
        assert out.size() == inp.size()
    if not inference:
        for p in module.parameters():
            if p.requires_grad:
                assertEqual(p.grad, torch.zeros_like(p.grad))
        assertEqual(inp.grad, torch.zeros_like(inp))


# ---------------------------------------------------------------------------------------
# TestNN
# ---------------------------------------------------------------------------------------


def test_state_dict():
    l = nn.Linear(5, 5)  # noqa: E741
    block = nn.Module()
    block.conv = nn.Conv2d(3, 3, 3, bias=False)
    net = nn.Module()
    net.linear1 = l
    net.linear2 = l
    net.bn = impl.BatchNorm2d(2)
    net.block = block
    net.add_module("empty", None)

    state_dict = net.state_dict()
    assert len(state_dict) == 10
    assert len(state_dict._metadata) == 6
    assert "" in state_dict._metadata
    assert "linear1" in state_dict._metadata
    assert "linear1.weight" in state_dict
    assert "linear1.bias" in state_dict
    assert "linear2" in state_dict._metadata
    assert "linear2.weight" in state_dict
    assert "linear2.bias" in state_dict
    assert "block" in state_dict._metadata
    assert "block.conv" in state_dict._metadata
    assert "block.conv.weight" in state_dict
    assert "block.conv.weight" in state_dict
    assert "block.conv.bias" not in state_dict
    assert "bn" in state_dict._metadata
    assert "bn.weight" in state_dict
    assert "bn.bias" in state_dict
    assert "bn.running_var" in state_dict
    assert "bn.running_mean" in state_dict
    assert "bn.num_batches_tracked" in state_dict
    assert not any(k.startswith("empty") for k in state_dict.keys())
    for k, v in state_dict.items():
        param = net
        for component in k.split("."):
            param = getattr(param, component)
            if isinstance(param, Parameter):
                param = param.data
        assert v.data_ptr() == param.data_ptr()


@not_claimed("channels_last memory format and BatchNorm3d (test_batchnorm_nhwc_cpu)")
def test_batchnorm_nhwc_cpu():
    pass


@not_claimed("fp16 80M-element inputs, channels_last, BatchNorm3d (test_batchnorm_half_overflow)")
def test_batchnorm_half_overflow():
    pass


@not_claimed("channels_last-permuted input layout and SyncBatchNorm (test_batchnorm_non_contig_cpu)")
def test_batchnorm_non_contig_cpu():
    pass


@not_claimed("CUDA/cuDNN (test_batchnorm_cudnn_nhwc, test_batchnorm_cudnn_half, "
             "test_batchnorm_nonaffine_cuda_half_input, test_batchnorm, test_batchnorm_nhwc_cuda)")
def test_batchnorm_cuda():
    pass


def test_batchnorm_raises_error_if_less_than_one_value_per_channel():
    x = torch.rand(10)[None, :, None]
    with pytest.raises(ValueError):
        impl.BatchNorm1d(10)(x)


def test_batchnorm_raises_error_if_running_mean_is_not_same_size_as_input():
    input = torch.rand(2, 10)
    running_var = torch.rand(10)
    wrong_sizes = [9, 11]
    for size in wrong_sizes:
        with pytest.raises(RuntimeError):
            F_batch_norm(input, torch.rand(size), running_var)


def test_batchnorm_raises_error_if_running_var_is_not_same_size_as_input():
    input = torch.rand(2, 10)
    running_mean = torch.rand(10)
    wrong_sizes = [9, 11]
    for size in wrong_sizes:
        with pytest.raises(RuntimeError):
            F_batch_norm(input, running_mean, torch.rand(size))


def test_batchnorm_raises_error_if_weight_is_not_same_size_as_input():
    input = torch.rand(2, 10)
    running_mean = torch.rand(10)
    running_var = torch.rand(10)
    wrong_sizes = [9, 11]
    for size in wrong_sizes:
        with pytest.raises(RuntimeError):
            F_batch_norm(input, running_mean, running_var, weight=Parameter(torch.rand(size)))


def test_batchnorm_raises_error_if_bias_is_not_same_size_as_input():
    input = torch.rand(2, 10)
    running_mean = torch.rand(10)
    running_var = torch.rand(10)
    wrong_sizes = [9, 11]
    for size in wrong_sizes:
        with pytest.raises(RuntimeError):
            F_batch_norm(input, running_mean, running_var, bias=Parameter(torch.rand(size)))


def test_batchnorm_raises_error_if_running_var_or_running_mean_have_forward_grad():
    args = (
        torch.randn(3, 2, 5),  # input
        torch.randn(2),  # running_mean
        torch.randn(2),  # running_var
    )
    kwargs = {"training": False, "momentum": -1.2}
    fn = partial(F_batch_norm, **kwargs)

    for dual_indices in ((0,), (1,), (1, 2), (0, 1), (0, 1, 2),):
        tangents = tuple(torch.rand_like(x) for x in args)

        with fwAD.dual_level():
            duals = [fwAD.make_dual(primal, tangent) if i in dual_indices else primal
                     for i, (primal, tangent) in enumerate(zip(args, tangents))]
            msg = "batch_norm is not differentiable wrt running_mean and running_var"
            # 0 needs to have forward grad because otherwise we won't even run batch_norm_jvp
            if (1 in dual_indices or 2 in dual_indices) and 0 in dual_indices:
                with pytest.raises(RuntimeError, match=msg):
                    fn(*duals)
            else:
                fn(*duals)


def test_batchnorm_buffer_update_when_stats_are_not_tracked():
    input_size = (32, 4)
    # Instantiate BN with buffers that are not None
    bn = impl.BatchNorm1d(input_size[1], track_running_stats=True)
    # Use buffers for normalization but don't update them
    bn.track_running_stats = False
    # Store initial values
    num_batches = bn.num_batches_tracked.clone()
    running_mean = bn.running_mean.clone()
    running_var = bn.running_var.clone()
    # Forward random tensor
    _ = bn(torch.rand(input_size))
    # Ensure none of the buffers has been updated
    assert torch.equal(num_batches, bn.num_batches_tracked)
    assert torch.equal(running_mean, bn.running_mean)
    assert torch.equal(running_var, bn.running_var)


def test_batchnorm_load_state_dict():
    bn = impl.BatchNorm2d(3)
    assertEqual(bn.state_dict()["num_batches_tracked"], torch.tensor(0))

    bn.num_batches_tracked = torch.tensor(10)
    assertEqual(bn.state_dict()["num_batches_tracked"], torch.tensor(10))

    empty_dict = OrderedDict()
    bn.load_state_dict(empty_dict, strict=False)
    assertEqual(bn.state_dict()["num_batches_tracked"], torch.tensor(10))

    # test that when `num_batches_tracked` is not in loaded state_dict,
    # meta num_batches_tracked is still replaced with singleton 0 tensor
    with torch.device("meta"):
        meta_bn = impl.BatchNorm2d(3)
    assert meta_bn.num_batches_tracked.device == torch.device("meta")
    meta_bn.load_state_dict(empty_dict, assign=True, strict=False)
    assertEqual(meta_bn.state_dict()["num_batches_tracked"], torch.tensor(0))


@not_claimed("torch.batch_norm_update_stats is a torch-internal op (test_batch_norm_update_stats)")
def test_batch_norm_update_stats():
    pass


def test_layer_norm_grads_with_create_graph_flag():
    atol = 1e-5
    rtol = 1e-3

    x = torch.randn((4, 4, 16), requires_grad=True)
    layer_norm = impl.LayerNorm((16,), 1e-5, True)
    with torch.no_grad():
        layer_norm.weight = torch.nn.Parameter(0.1 * torch.ones_like(layer_norm.weight))

    grads1 = torch.autograd.grad(layer_norm(x).sum(), x, create_graph=False)[0]
    grads2 = torch.autograd.grad(layer_norm(x).sum(), x, create_graph=True)[0]

    assertEqual(grads1, grads2, rtol=rtol, atol=atol)
    # (the TEST_CUDA half is not ported: CUDA)


def test_layer_norm_eps():
    # test for https://github.com/pytorch/pytorch/issues/108072
    x = torch.Tensor([[[2.0, 2.0], [14.0, 14.0]], [[2.0, 2.0], [14.0, 14.0]]])
    ln = impl.LayerNorm(2, eps=1e-6, elementwise_affine=False)
    assertEqual(ln.forward(x), torch.zeros_like(x))


@not_claimed("CUDA (test_layer_norm_backwards_eps, test_layer_norm_large_tensor)")
def test_layer_norm_cuda():
    pass


# ---------------------------------------------------------------------------------------
# TestFusionEval, TestFusionUtils, TestUtils (the tests that build a BatchNorm)
# ---------------------------------------------------------------------------------------


@st.composite
def _hu_tensor(draw, shapes=None, dtype=np.float32):
    # torch.testing._internal.hypothesis_utils.tensor with qparams=None
    _shape = draw(st.sampled_from(shapes))
    elements = st.floats(-1e6, 1e6, allow_nan=False, width=32)
    X = draw(stnp.arrays(dtype=dtype, elements=elements, shape=_shape))
    return X, None


@settings(max_examples=10, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=_hu_tensor(shapes=((5, 3, 5, 5),), dtype=np.double),
       running_mean=_hu_tensor(shapes=((6,),), dtype=np.double),
       running_var=_hu_tensor(shapes=((6,),), dtype=np.double))
def test_fuse_module_eval_numerics(X, running_mean, running_var):
    torch.set_default_dtype(torch.double)  # @set_default_dtype(torch.double)
    try:
        inputs, _ = X

        iC, oC = inputs.shape[1], len(running_mean[0])
        inputs = torch.from_numpy(inputs)
        kernel_size = (3, 3)

        conv_ref = torch.nn.Conv2d(iC, oC, bias=True, kernel_size=kernel_size)
        bn_ref = impl.BatchNorm2d(oC)
        bn_ref.running_mean = torch.from_numpy(running_mean[0])
        bn_ref.running_var = torch.from_numpy(running_var[0])

        conv_ref.eval()
        bn_ref.eval()

        Y_ref = bn_ref(conv_ref(inputs))
        conv_bn_fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv_ref, bn_ref)
        Y_hat = conv_bn_fused(inputs)

        assertEqual(Y_ref, Y_hat, msg="Conv+BN fusion results are off")

        na_bn_ref = impl.BatchNorm2d(oC, affine=False)
        na_bn_ref.running_mean = torch.from_numpy(running_mean[0])
        na_bn_ref.running_var = torch.from_numpy(running_var[0])
        na_bn_ref.eval()

        Y_ref = na_bn_ref(conv_ref(inputs))
        conv_na_bn_fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv_ref, na_bn_ref)
        Y_hat = conv_na_bn_fused(inputs)

        assertEqual(Y_ref, Y_hat, msg="Conv+BN(non-affine) fusion results are off")
    finally:
        torch.set_default_dtype(torch.float32)


def test_fuse_conv_bn_requires_grad():
    conv = torch.nn.Conv2d(3, 3, 3)
    bn = impl.BatchNorm2d(3)
    cases = itertools.product([True, False], [True, False])
    for w_rg, b_rg in cases:
        conv.weight.requires_grad = w_rg
        conv.bias.requires_grad = b_rg
        weight, bias = fuse_conv_bn_weights(conv.weight, conv.bias,
                                            bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        assert weight.requires_grad == w_rg
        assert bias.requires_grad == b_rg


def test_fuse_linear_bn_requires_grad():
    linear = torch.nn.Linear(3, 3)
    bn = impl.BatchNorm1d(3)
    cases = itertools.product([True, False], [True, False])
    for w_rg, b_rg in cases:
        linear.weight.requires_grad = w_rg
        linear.bias.requires_grad = b_rg
        weight, bias = fuse_linear_bn_weights(linear.weight, linear.bias,
                                              bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        assert weight.requires_grad == w_rg
        assert bias.requires_grad == b_rg


def test_consume_prefix_in_state_dict_if_present():
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 3, 3, bias=True)
            self.conv2 = nn.Conv2d(3, 3, 3, bias=False)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear1 = nn.Linear(5, 5)
            self.linear2 = nn.Linear(5, 5)
            net.bn = impl.BatchNorm2d(2)
            self.block = Block()

    # 0. Case non-DDP model empty state_dict
    net = nn.Module()
    state_dict = net.state_dict()
    nn.modules.utils.consume_prefix_in_state_dict_if_present(state_dict, "module.")
    # check they are the same preserving order
    assert list(state_dict.keys()) == list(net.state_dict().keys())
    assert list(state_dict._metadata.keys()) == list(net.state_dict()._metadata.keys())

    # 1. Case non-DDP model test example state_dict
    net = Net()
    state_dict = net.state_dict()
    nn.modules.utils.consume_prefix_in_state_dict_if_present(state_dict, "module.")
    # Check they are the same preserving order
    assert list(state_dict.keys()) == list(net.state_dict().keys())
    assert list(state_dict._metadata.keys()) == list(net.state_dict()._metadata.keys())

    # 2. Case DDP model test example state_dict
    state_dict = net.state_dict()
    metadata = state_dict._metadata
    ddp_state_dict = OrderedDict((f"module.{k}", v) for k, v in state_dict.items())
    ddp_state_dict._metadata = OrderedDict({"": metadata[""]})
    ddp_state_dict._metadata.update(("module" if k == "" else f"module.{k}", v) for k, v in metadata.items())
    nn.modules.utils.consume_prefix_in_state_dict_if_present(ddp_state_dict, "module.")
    # Check they are the same preserving order
    assert list(state_dict.keys()) == list(ddp_state_dict.keys())
    assert list(state_dict._metadata.keys()) == list(ddp_state_dict._metadata.keys())


# ---------------------------------------------------------------------------------------
# TestNNDeviceType (CPU)
# ---------------------------------------------------------------------------------------


def _test_LayerNorm_general(device, dtype=torch.float):
    for i in range(2, 6):
        shape = torch.randint(3, 6, (i,), dtype=torch.long).tolist()
        x = torch.empty(*shape, device=device, dtype=dtype).uniform_(0, 10)
        normalized_ndim = random.randint(1, i - 1)  # inclusive
        normalized_shape = shape[-normalized_ndim:]
        unnormalized_shape = shape[:-normalized_ndim]

        # test that LN normalizes to mean 0 and stddev 1
        ln = impl.LayerNorm(normalized_shape, eps=0).to(device, dtype)
        ln.weight.data.fill_(1)
        ln.bias.data.fill_(0)
        output = ln(x)
        out_reshaped = output.view(*(unnormalized_shape + [-1]))
        mean = out_reshaped.mean(-1)
        var = out_reshaped.var(-1, unbiased=False)

        delta = 1e-1 if (dtype == torch.bfloat16 or dtype == torch.half) else 1e-5
        assertEqual(torch.abs(mean.data).mean(), 0, atol=delta, rtol=0)
        assertEqual(torch.abs(var.data).mean(), 1, atol=delta, rtol=0)

        # test that LN applies weight and bias correctly
        scale, bias = torch.empty(2).uniform_(0.2, 2).tolist()
        ln.weight.data.fill_(scale)
        ln.bias.data.fill_(bias)
        output = ln(x)
        out_reshaped = output.view(*(unnormalized_shape + [-1]))
        mean = out_reshaped.mean(-1)
        var = out_reshaped.var(-1, unbiased=False)
        assertEqual(torch.abs(mean.data).mean(), bias, atol=delta, rtol=0)
        assertEqual(torch.abs(var.data).mean(), scale ** 2, atol=delta, rtol=0)

    bad_norm_shape_input_shape = {
        (): (),
        (2, 3): (3,),
        (2,): (1, 2, 3),
        (10,): (2, 3),
        10: (2, 3),
    }
    for norm_shape, input_shape in bad_norm_shape_input_shape.items():
        ln = impl.LayerNorm(norm_shape)
        input = torch.empty(input_shape, device=device, dtype=dtype).uniform_(0, 10)
        with pytest.raises(RuntimeError):
            ln(input)


def _test_LayerNorm_cpu_mixed_dtype(device, dtype):
    for elementwise_affine in [True, False]:
        # layer norm input shape is normalized to m x n, cpu vectorized on n,
        # so make sure n exceeds vector length
        input = torch.empty(2, 3, 11, 3, device=device, dtype=dtype).random_(1, 10)
        m = impl.LayerNorm([11, 3], elementwise_affine=elementwise_affine).to(device, dtype)

        # fp32
        m_fp32 = deepcopy(m).to(device, torch.float)
        x_fp32 = input.detach().clone().float().requires_grad_()
        out_fp32 = m_fp32(x_fp32)
        out_fp32.sum().backward()

        # bf16/half
        m_bf16 = deepcopy(m)
        x_bf16 = input.detach().clone().requires_grad_()
        out_bf16 = m_bf16(x_bf16)
        out_bf16.sum().backward()

        # bf16/half mixed type
        m_mix = deepcopy(m).to(device, torch.float)
        x_mix = input.detach().clone().requires_grad_()
        out_mix = m_mix(x_mix)
        out_mix.sum().backward()
        assertEqual(out_fp32.to(dtype=dtype), out_bf16)
        assertEqual(out_fp32.to(dtype=dtype), out_mix)
        assertEqual(x_fp32.grad.to(dtype=dtype), x_bf16.grad, atol=1e-1, rtol=1e-1)
        assertEqual(x_fp32.grad.to(dtype=dtype), x_mix.grad, atol=1e-1, rtol=1e-1)


@pytest.mark.parametrize("dtype", [torch.float, torch.half, torch.bfloat16])
def test_LayerNorm_general(dtype):
    # self._test_LayerNorm_general(device) and, on CPU, the same for half and bfloat16
    _test_LayerNorm_general(device, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.half, torch.bfloat16])
def test_LayerNorm_cpu_mixed_dtype(dtype):
    # the `if self.device_type == 'cpu'` branch of test_LayerNorm_general
    _test_LayerNorm_cpu_mixed_dtype(device, dtype=dtype)


def test_LayerNorm_numeric():
    def layer_norm_ref(X, gamma, beta, normalized_shape, eps):
        feature_size = np.prod(normalized_shape)
        X_view = X.view(-1, feature_size)
        mean = X_view.mean(dim=-1, keepdim=True)
        var = X_view.var(dim=-1, unbiased=False, keepdim=True)
        Y = (X_view - mean) / torch.sqrt(var + eps)
        Y = Y * gamma.view(-1) + beta.view(-1)
        return Y.view(*X.size())

    normalized_shape = [256, 256, 144]
    layer_norm = impl.LayerNorm(normalized_shape).float().to(device)
    X = torch.rand(2, *normalized_shape, dtype=torch.float32, device=device)

    Y = layer_norm(X)
    Y_ref = layer_norm_ref(X, layer_norm.weight.data, layer_norm.bias.data,
                           normalized_shape, layer_norm.eps)
    assertEqual(Y, Y_ref, rtol=0, atol=1e-5)


def test_BatchNorm_empty():
    dtype = torch.double  # @dtypes(torch.double)
    mod = impl.BatchNorm2d(3).to(device)
    inp = torch.randn(0, 3, 2, 2, device=device, dtype=dtype)
    _test_module_empty_input(mod, inp)

    assertEqual(mod.running_mean, torch.tensor([0., 0, 0], device=device))
    assertEqual(mod.running_var, torch.tensor([1., 1, 1], device=device))
    assertEqual(mod.weight.grad, torch.tensor([0., 0, 0], device=device))
    assertEqual(mod.bias.grad, torch.tensor([0., 0, 0], device=device))


def _test_batchnorm_grad(device, dtype=torch.double):
    bs, n_feat, size_feat = 4, 5, 6
    input = torch.arange(bs * n_feat * size_feat, device=device,
                         requires_grad=True, dtype=dtype).view(bs, n_feat, size_feat)
    weight = torch.arange(1, n_feat + 1, device=device, requires_grad=True, dtype=dtype)
    bias = torch.arange(n_feat, device=device, requires_grad=True, dtype=dtype)
    running_mean = 1 - torch.arange(n_feat, device=device, dtype=dtype)
    running_var = 2 * torch.arange(n_feat, device=device, dtype=dtype)
    for training in [False, True]:
        _assertGradAndGradgradChecks(F_batch_norm, (input, running_mean, running_var, weight, bias,
                                                    training, 0.1, 0.0001))


def test_batchnorm_grad():
    _test_batchnorm_grad(device)


def _test_batchnorm_eval(ndim, device, dtype, module_dtype=None):
    module_dtype = module_dtype or dtype
    module = impl.BatchNorm1d(3).to(device, module_dtype)
    module.eval()

    data = torch.rand([3] * ndim, device=device, dtype=dtype, requires_grad=True)
    grad = torch.rand([3] * ndim, device=device, dtype=dtype)

    # 1st pass
    res1 = module(data)
    res1.backward(grad)
    grad1 = data.grad.clone()

    # 2nd pass
    if data.grad is not None:
        data.grad.data.zero_()

    res2 = module(data)
    res2.backward(grad)
    grad2 = data.grad.clone()
    assertEqual(res1, res2)
    assertEqual(grad1, grad2)

    # track_running_stats=False
    module = impl.BatchNorm1d(3, track_running_stats=False).to(device, module_dtype)

    data = torch.rand(4, 3, device=device, dtype=dtype, requires_grad=True)
    grad = torch.rand(4, 3, device=device, dtype=dtype)

    # 1st pass
    res1 = module(data)
    res1.backward(grad)
    grad1 = data.grad.clone()

    # set eval
    module.eval()

    # 2nd pass
    if data.grad is not None:
        data.grad.data.zero_()

    res2 = module(data)
    res2.backward(grad)
    grad2 = data.grad.clone()
    assertEqual(res1, res2)
    assertEqual(grad1, grad2)


def test_batchnorm_eval():
    dtype = torch.float
    _test_batchnorm_eval(2, device, dtype)
    _test_batchnorm_eval(3, device, dtype)


def _test_batchnorm_affine(ndim, device, dtype, module_dtype=None):
    # Compare affine against no-op weights and bias
    module_dtype = module_dtype or dtype
    module = impl.BatchNorm1d(3, affine=False).to(device, module_dtype)
    module_affine = impl.BatchNorm1d(3, affine=True).to(device, module_dtype)
    with torch.no_grad():
        module_affine.weight.fill_(1.0)
        module_affine.bias.zero_()

    data = torch.rand([3] * ndim, device=device, dtype=dtype, requires_grad=True)
    grad = torch.ones_like(data, requires_grad=False)

    # With weights all ones and bias all zeros
    res1 = module_affine(data)
    res1.backward(grad)
    grad1 = data.grad.clone()
    data.grad.zero_()

    # Without any weights or bias
    res2 = module(data)
    res2.backward(grad)
    grad2 = data.grad

    assertEqual(res1, res2)
    assertEqual(grad1, grad2)


def test_batchnorm_affine():
    dtype = torch.float
    _test_batchnorm_affine(2, device, dtype)
    _test_batchnorm_affine(3, device, dtype)


def _test_batchnorm_simple_average(device, dtype, module_dtype=None):
    module_dtype = module_dtype or dtype
    module = impl.BatchNorm1d(3, momentum=None).to(dtype=module_dtype, device=device)
    zeros = torch.zeros(3, dtype=module_dtype, device=device)
    ones = torch.ones(3, dtype=module_dtype, device=device)
    assertEqual(module.running_mean, zeros)
    assertEqual(module.running_var, ones)

    data1 = torch.rand(4, 3, dtype=dtype, device=device)
    data2 = torch.rand(4, 3, dtype=dtype, device=device)

    # 1st pass
    res1 = module(data1)
    running_mean1 = module.running_mean.clone()
    running_var1 = module.running_var.clone()
    assertNotEqual(running_mean1, zeros)
    assertNotEqual(running_var1, ones)

    # reset stats
    module.reset_running_stats()
    assertEqual(module.running_mean, zeros)
    assertEqual(module.running_var, ones)

    # 2nd pass
    res2 = module(data2)
    running_mean2 = module.running_mean.clone()
    running_var2 = module.running_var.clone()
    assertNotEqual(running_mean2, zeros)
    assertNotEqual(running_var2, ones)

    # reset stats
    module.reset_running_stats()
    assertEqual(module.running_mean, zeros)
    assertEqual(module.running_var, ones)

    # 3rd (combined) pass
    res3 = module(data1)
    res4 = module(data2)
    assertEqual(res3, res1)
    assertEqual(res4, res2)
    assertEqual(module.running_mean, (running_mean1 + running_mean2) / 2)
    assertEqual(module.running_var, (running_var1 + running_var2) / 2)


def test_batchnorm_simple_average():
    _test_batchnorm_simple_average(device, torch.float)


def _test_batchnorm_update_stats(device, dtype=torch.float):
    module = impl.BatchNorm1d(3).to(device, dtype)

    data = torch.rand(4, 3, device=device, dtype=dtype)

    # training pass
    old_running_mean = module.running_mean.clone()
    old_running_var = module.running_var.clone()
    old_num_batches_tracked = module.num_batches_tracked.clone()
    module(data)
    assertNotEqual(old_running_mean, module.running_mean)
    assertNotEqual(old_running_var, module.running_var)
    assertEqual(old_num_batches_tracked + 1, module.num_batches_tracked)

    # eval pass
    module.eval()
    old_running_mean = module.running_mean.clone()
    old_running_var = module.running_var.clone()
    old_num_batches_tracked = module.num_batches_tracked.clone()
    module(data)
    assertEqual(old_running_mean, module.running_mean)
    assertEqual(old_running_var, module.running_var)
    assertEqual(old_num_batches_tracked, module.num_batches_tracked)


def test_batchnorm_update_stats():
    _test_batchnorm_update_stats(device)


@not_claimed("CUDA-only: test_batchnorm_large_batch, test_batchnorm_eval_mixed, test_batchnorm_affine_mixed, "
             "test_batchnorm_simple_average_mixed, test_layernorm_half_precision, test_layernorm_weight_bias")
def test_batchnorm_layernorm_cuda_only():
    pass
