"""Port of pytorch/pytorch ``test/nn/test_dropout.py`` (the nn.Dropout / F.dropout tests).

Upstream: repository pytorch/pytorch, path test/nn/test_dropout.py, commit
09d3a8687489ca4b89f667780644d6aceea9e30b (the copy read).

Plumbing: ``NNTestCase`` + ``instantiate_device_type_tests`` -> plain pytest on CPU;
``self.assertEqual`` -> ``torch.testing.assert_close`` (default tolerances);
``assertLess``/``assertTrue`` -> ``assert``; ``nn.Dropout``/``F.dropout`` -> ``impl.Dropout``/
``impl.dropout``.

Skipped (not claimed by course_utils.dropout, which has Dropout and dropout only):
AlphaDropout / FeatureAlphaDropout, Dropout1d/2d/3d (and their lines in test_invalid_dropout_p),
test_native_dropout_corner_case (CUDA/PrivateUse1), the channels_last halves of
_test_dropout_discontiguous and _test_dropout_stride_mean_preserve (memory-format/stride
internals).
"""

# ruff: noqa: N802  (upstream's names and idioms, kept verbatim)

import pytest
import torch
from _upstream_impl import impl, not_claimed

pytestmark = pytest.mark.upstream
device = "cpu"


@pytest.fixture(autouse=True)
def _setup(torch_seed):
    pass


def _test_dropout(cls, device, input, memory_format=torch.contiguous_format):
    p = 0.2
    input = input.to(device).fill_(1 - p)

    module = cls(p)
    input_var = input.clone(memory_format=memory_format).requires_grad_()
    output = module(input_var)
    assert output.is_contiguous(memory_format=memory_format)
    assert abs(output.data.mean() - (1 - p)) < 0.05
    output.backward(input)
    assert input_var.grad.is_contiguous(memory_format=memory_format)
    assert abs(input_var.grad.data.mean() - (1 - p)) < 0.05

    module = cls(p, True)
    input_var = input.clone(memory_format=memory_format).requires_grad_()
    output = module(input_var + 0)
    assert output.is_contiguous(memory_format=memory_format)
    assert abs(output.data.mean() - (1 - p)) < 0.05
    output.backward(input)
    assert input_var.grad.is_contiguous(memory_format=memory_format)
    assert abs(input_var.grad.data.mean() - (1 - p)) < 0.05

    # check eval mode doesn't change anything
    for inplace in [True, False]:
        module = cls(p, inplace).eval()
        torch.testing.assert_close(input, module(input))

    # Check that these don't raise errors
    module.__repr__()
    str(module)


def _test_dropout_discontiguous(cls, device, memory_format=torch.contiguous_format):
    # In this test, we verify that dropout preserves the layout and data for different memory formats.
    # We check whether, we get same values for the output of dropout, when the probability
    # of dropout is 0 or very close to 0.
    # Reference: https://github.com/pytorch/pytorch/issues/47176
    close_to_zero_p = 1e-10  # Should be almost zero but not zero, as for p=0 different path is taken
    for p in [0, close_to_zero_p]:
        inp = torch.ones(2, 3, 3, 3, device=device)
        inp_discontiguous = torch.empty(2, 3, 3, 6, device=device, memory_format=memory_format)[..., ::2]
        inp_discontiguous.copy_(inp)
        mod = cls(p=p)
        out = mod(inp_discontiguous)
        if p != 0:  # Zero will keep strides as is based on input.
            # When prob == 0, input stride (54, 18, 6, 2) -> output stride (54, 18, 6, 2)
            # When prob != 0, input stride (54, 18, 6, 2) -> output stride (27, 9, 3, 1)
            assert out.is_contiguous(memory_format=memory_format)
        torch.testing.assert_close(inp_discontiguous, out)


@not_claimed("AlphaDropout")
def test_AlphaDropout():
    pass


@not_claimed("FeatureAlphaDropout")
def test_FeatureAlphaDropout():
    pass


@not_claimed("CUDA / PrivateUse1 devices (torch.native_dropout corner case)")
def test_native_dropout_corner_case():
    pass


def test_invalid_dropout_p():
    v = torch.ones(1)
    with pytest.raises(ValueError):
        impl.Dropout(-0.1)
    with pytest.raises(ValueError):
        impl.Dropout(1.1)
    # (the Dropout1d/2d/3d lines are not ported: not claimed)
    with pytest.raises(ValueError):
        impl.dropout(v, -0.1)
    with pytest.raises(ValueError):
        impl.dropout(v, 1.1)


def test_Dropout():
    input = torch.empty(1000)
    _test_dropout(impl.Dropout, device, input)

    _test_dropout_discontiguous(impl.Dropout, device)
    # (channels_last variant and _test_dropout_stride_mean_preserve: see test_Dropout_memory_format)

    if device == "cuda" or device == "cpu":
        input = input.bfloat16()
        _test_dropout(impl.Dropout, device, input)


@not_claimed("channels_last / stride-preservation internals (_test_dropout_discontiguous with "
             "channels_last, _test_dropout_stride_mean_preserve)")
def test_Dropout_memory_format():
    pass


@not_claimed("Dropout1d")
def test_Dropout1d():
    pass


@not_claimed("Dropout2d")
def test_Dropout2d():
    pass


@not_claimed("Dropout3d")
def test_Dropout3d():
    pass


def test_empty_dropout():
    x = torch.tensor([]).to(device)
    out = impl.dropout(x)
    assert out.size() == x.size()
