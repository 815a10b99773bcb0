"""Port of pytorch/pytorch ``test/nn/test_load_state_dict.py``: the tests that load a norm layer.

Upstream: repository pytorch/pytorch, path test/nn/test_load_state_dict.py, commit
14bf97ae6322923a44317378bdc4923fbecbd01c (the copy read).

Ported (TestLoadStateDict): test_load_state_dict (a net with a BatchNorm2d),
test_load_state_dict_BC (BatchNorm's num_batches_tracked versioning),
test_load_state_dict_assign_meta, test_load_state_dict_assign_with_optimizer and
test_load_state_dict_assign_shape_stride (modules with a BatchNorm1d); ``nn.BatchNorm1d/2d``
-> ``impl.BatchNorm1d/2d``. Plumbing: ``NNTestCase`` -> pytest; ``@swap([True, False])`` ->
a ``swap`` parametrization that sets torch.__future__.set_swap_module_params_on_conversion for
the test; ``self.assertEqual`` -> torch.testing.assert_close (``_torch_asserts``, containers
compared element-wise as torch's assertEqual does); assertRaisesRegex -> pytest.raises(match=).

Skipped: the tests without a norm layer (invalid/typed state dicts, hooks, ref cycles, custom
_load_from_state_dict, meta warnings, unexpected keys on a Linear, TestLoadStateDictSwap's
tensor-subclass swapping): they test nn.Module, not the package.
"""

# ruff: noqa: SIM118, B905, B007, N802  (upstream's names and idioms, kept verbatim)

from copy import deepcopy

import pytest
import torch
import torch.nn as nn
from _torch_asserts import assertEqual, assertEqualNested
from _upstream_impl import impl

pytestmark = pytest.mark.upstream


@pytest.fixture(autouse=True)
def _setup(torch_seed):
    pass


@pytest.fixture(params=[True, False], ids=["swap", "noswap"])
def swap(request):
    old = torch.__future__.get_swap_module_params_on_conversion()
    torch.__future__.set_swap_module_params_on_conversion(request.param)
    yield request.param
    torch.__future__.set_swap_module_params_on_conversion(old)


def test_load_state_dict(swap):
    l = nn.Linear(5, 5)  # noqa: E741
    block = nn.Module()
    block.conv1 = nn.Conv2d(3, 3, 3, bias=True)
    block.conv2 = nn.Conv2d(3, 3, 3, bias=False)
    net = nn.Module()
    net.linear1 = l
    net.linear2 = l
    net.bn = impl.BatchNorm2d(2)
    net.block = block
    net.add_module("empty", None)
    conv1_bias_dtype = block.conv1.bias.dtype

    state_dict = net.state_dict()
    state_dict.update(
        {
            "linear1.weight": torch.ones(5, 5),
            "block.conv1.bias": torch.arange(1, 4, dtype=conv1_bias_dtype),
            "bn.running_mean": torch.randn(2),
        }
    )
    # Also test if a DDP state_dict can be loaded from a local model.
    ddp_state_dict = net.state_dict()
    ddp_state_dict.update(
        {
            "module.linear1.weight": torch.ones(5, 5),
            "module.block.conv1.bias": torch.arange(1, 4, dtype=conv1_bias_dtype),
            "module.bn.running_mean": torch.randn(2),
        }
    )
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(ddp_state_dict, "module.")
    for sd in [state_dict, ddp_state_dict]:
        incompatible_keys = net.load_state_dict(sd)
        assert len(incompatible_keys.missing_keys) == 0
        assert len(incompatible_keys.unexpected_keys) == 0
        assert "Incompatible" not in str(incompatible_keys)
        assertEqual(net.linear1.weight, sd["linear1.weight"])
        assertEqual(net.block.conv1.bias, sd["block.conv1.bias"])
        assertEqual(net.bn.running_mean, sd["bn.running_mean"])

    state_dict = net.state_dict()
    state_dict.update({"extra": torch.ones(5)})
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict)
    incompatible_keys = net.load_state_dict(state_dict, strict=False)
    assert len(incompatible_keys.missing_keys) == 0
    assert len(incompatible_keys.unexpected_keys) == 1
    assert "extra" in incompatible_keys.unexpected_keys
    assert "Incompatible" in str(incompatible_keys)

    state_dict = net.state_dict()
    state_dict.update({"extra.param": torch.ones(5)})
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict)
    incompatible_keys = net.load_state_dict(state_dict, strict=False)
    assert len(incompatible_keys.missing_keys) == 0
    assert len(incompatible_keys.unexpected_keys) == 1
    assert "extra.param" in incompatible_keys.unexpected_keys

    state_dict = net.state_dict()
    del state_dict["linear1.weight"]
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict)
    incompatible_keys = net.load_state_dict(state_dict, strict=False)
    assert len(incompatible_keys.missing_keys) == 1
    assert len(incompatible_keys.unexpected_keys) == 0
    assert "linear1.weight" in incompatible_keys.missing_keys
    state_dict.update({"extra.param": torch.ones(5)})
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict)
    incompatible_keys = net.load_state_dict(state_dict, strict=False)
    assert len(incompatible_keys.missing_keys) == 1
    assert len(incompatible_keys.unexpected_keys) == 1
    assert "linear1.weight" in incompatible_keys.missing_keys
    assert "extra.param" in incompatible_keys.unexpected_keys

    state_dict = net.state_dict()
    state_dict.update({"bn.running_mean": torch.rand(14, 4)})  # wrong size
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict)
    with pytest.raises(RuntimeError):
        net.load_state_dict(state_dict, strict=False)

    state_dict = net.state_dict()
    old_state_dict = deepcopy(state_dict)
    state_dict = {
        "linear1.weight": torch.ones(5, 5),
        "block.conv1.bias": torch.arange(1, 4, dtype=conv1_bias_dtype),
        "bn.running_mean": torch.randn(2),
        "nonexistent_key": torch.rand(3),
    }
    net.load_state_dict(state_dict, strict=False)
    assertEqual(net.linear1.weight, state_dict["linear1.weight"])
    assertEqual(net.block.conv1.bias, state_dict["block.conv1.bias"])
    assertEqual(net.bn.running_mean, state_dict["bn.running_mean"])
    new_state_dict = net.state_dict()
    del old_state_dict["linear1.weight"]
    del old_state_dict["block.conv1.bias"]
    del old_state_dict["bn.running_mean"]
    for k, v in old_state_dict.items():
        assert v.equal(new_state_dict[k])


def test_load_state_dict_BC(swap):
    # BatchNormNd
    # Added num_batches_tracked buffer at version 2. For state dict with
    # earlier versions or no versions, it should provide default value of 0.
    bn = impl.BatchNorm2d(3)
    state_dict = bn.state_dict()
    del state_dict["num_batches_tracked"]
    state_dict._metadata[""]["version"] = 1  # version 1
    bn.load_state_dict(state_dict)
    assert bn.num_batches_tracked.dtype == torch.long
    assert bn.num_batches_tracked.item() == 0
    del state_dict._metadata[""]["version"]  # no version
    bn.load_state_dict(state_dict)
    assert bn.num_batches_tracked.dtype == torch.long
    assert bn.num_batches_tracked.item() == 0


@pytest.mark.parametrize("keep_vars", [True, False])
def test_load_state_dict_assign_meta(swap, keep_vars):
    class MyModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 5)
            self.bn = impl.BatchNorm1d(5)
            self.x = nn.Parameter(torch.rand(5), requires_grad=False)

        def forward(self, input):
            return self.x + self.bn(self.fc1(input))

    swap = torch.__future__.get_swap_module_params_on_conversion()
    net = MyModule()
    state_dict = net.state_dict(keep_vars=keep_vars)
    for v in state_dict.values():
        v.requires_grad_(False)

    with torch.device("meta"):
        net_meta = MyModule()

    net_meta_state_dict_old = net_meta.state_dict(keep_vars=True)
    net_meta.load_state_dict(state_dict, assign=True)

    # Make sure parameters and persistent buffers were assigned
    net_meta_state_dict = net_meta.state_dict(keep_vars=True)
    for key in state_dict.keys():
        if key in net_meta._parameters:
            if keep_vars and not swap:
                # state_dict[key] is an nn.Parameter
                assert state_dict[key] is net_meta_state_dict[key]
            else:
                if swap:
                    assert net_meta_state_dict[key] is net_meta_state_dict_old[key]
                else:
                    # state_dict[key] is not an nn.Parameter so it will be detached when wrapping
                    # with a Parameter
                    assert net_meta_state_dict[key] is not net_meta_state_dict_old[key]
                    assert (net_meta_state_dict_old[key].requires_grad
                            == net_meta_state_dict[key].requires_grad)
            assert net_meta_state_dict_old[key].requires_grad == net_meta_state_dict[key].requires_grad
            assertEqual(state_dict[key], net_meta_state_dict[key])
        elif key in net_meta._buffers and key not in net_meta._non_persistent_buffers_set:
            assert state_dict[key] is net_meta_state_dict[key]
            assertEqual(state_dict[key], net_meta_state_dict[key])

    # Make sure that ordering of parameters and buffers is preserved
    net_named_parameters = net.named_parameters()
    net_named_buffers = net.named_buffers()
    net_meta_named_parameters = net_meta.named_parameters()
    net_meta_named_buffers = net_meta.named_buffers()

    for (n1, _), (n2, _) in zip(net_named_parameters, net_meta_named_parameters):
        assert n1 == n2

    for (n1, _), (n2, _) in zip(net_named_buffers, net_meta_named_buffers):
        assert n1 == n2

    # Make sure outputs are the same
    t = torch.randn(4, 3)
    out_net = net(t)
    out_net_meta = net_meta(t.clone())

    assertEqual(out_net, out_net_meta)


def test_load_state_dict_assign_with_optimizer(swap):
    class MyModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 5)
            self.bn = impl.BatchNorm1d(5)

        def forward(self, input):
            return self.bn(self.fc1(input))

    net = MyModule()
    opt = torch.optim.Adam(net.parameters(), lr=1000)
    x = torch.randn(4, 3)
    num_iters = 3

    for i in range(num_iters):
        opt.zero_grad()
        out = net(x)
        out.sum().backward()
        opt.step()

    opt_state_dict = deepcopy(opt.state_dict())
    net_state_dict = deepcopy(net.state_dict())

    with torch.device("meta"):
        net_meta = MyModule()

    net_meta.load_state_dict(net_state_dict, assign=True)
    # must create optimizer only after loading state_dict when assign=True
    opt2 = torch.optim.Adam(net_meta.parameters(), lr=1000)
    opt2.load_state_dict(opt_state_dict)

    y = x.clone()
    for i in range(num_iters):
        opt.zero_grad()
        out = net(x)
        out.sum().backward()
        opt.step()

        opt2.zero_grad()
        out2 = net_meta(y)
        out2.sum().backward()
        opt2.step()

    assertEqualNested(opt.state_dict(), opt2.state_dict())
    assertEqualNested(net.state_dict(), net_meta.state_dict())


def test_load_state_dict_assign_shape_stride(swap):
    # Assigned tensor is allowed to have different properties than initial
    # tensor except for shape
    class MyModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 5)
            self.bn = impl.BatchNorm1d(5)

        def forward(self, input):
            return self.bn(self.fc1(input))

    net = MyModule()
    state_dict = net.state_dict()
    # loading should be ok if stride is different
    state_dict["fc1.weight"] = torch.randn(3, 5).transpose(0, 1)
    net2 = MyModule()
    net2.load_state_dict(state_dict, strict=False, assign=True)

    state_dict["fc1.weight"] = torch.randn(2, 4)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight: copying a param with shape"):
        net2.load_state_dict(state_dict, strict=False, assign=True)
