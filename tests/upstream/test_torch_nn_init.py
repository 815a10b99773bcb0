"""Port of pytorch/pytorch ``test/nn/test_init.py`` (class TestNNInit and TestNNInitDeviceType).

Upstream: repository pytorch/pytorch, path test/nn/test_init.py, commit
0202320fe821c01380b7749199c8024f54081217 (the copy read).

Plumbing: ``TestCase`` -> plain pytest functions; ``setUp`` (torch's SEED=1234 seeding plus
``random.seed(123)``) -> the ``_setup`` fixture; ``self.assertEqual`` ->
``torch.testing.assert_close`` (torch's default tolerances) or ``==`` for Python numbers;
``assertRaises``/``assertWarnsRegex`` -> ``pytest.raises``/``pytest.warns``; ``@slowTest`` is
run anyway (it is fast on CPU); ``skipIfTorchDynamo``/``skipIfNoLapack`` dropped (no dynamo,
LAPACK present). The module is named ``init`` as upstream: ``impl.init``.

Skipped: initializers course_utils.init does not have (ones_, eye_, dirac_, trunc_normal_,
sparse_, orthogonal_, the deprecated non-underscore aliases) are skipped for the course and
run against torch; ``TestNNInitDeviceType`` (trunc_normal_ per device and dtype: trunc_normal_
is not claimed, and devices/fp16/bf16 are not either).
"""

# ruff: noqa: B905, SIM108  (upstream's names and idioms, kept verbatim)

import math
import random
import string
from functools import reduce
from operator import mul

import pytest
import torch
import torch.nn.functional as F
from _upstream_impl import impl, needs, not_claimed
from scipy import stats

pytestmark = pytest.mark.upstream
init = impl.init


@pytest.fixture(autouse=True)
def _setup(torch_seed):
    random.seed(123)


def _is_normal(tensor, mean, std):
    samples = tensor.view(-1).tolist()
    p_value = stats.kstest(samples, "norm", args=(mean, std))[1]
    return p_value > 0.0001


def _is_trunc_normal(tensor, mean, std, a, b):
    # scipy's trunc norm is suited for data drawn from N(0, 1),
    # so we need to transform our data to test it using scipy.
    z_samples = (tensor.view(-1) - mean) / std
    z_samples = z_samples.tolist()
    a0 = (a - mean) / std
    b0 = (b - mean) / std
    p_value = stats.kstest(z_samples, "truncnorm", args=(a0, b0))[1]
    return p_value > 0.0001


def _is_uniform(tensor, a, b):
    samples = tensor.view(-1).tolist()
    p_value = stats.kstest(samples, "uniform", args=(a, (b - a)))[1]
    return p_value > 0.0001


def _create_random_nd_tensor(dims, size_min, size_max):
    size = [random.randint(size_min, size_max) for _ in range(dims)]
    tensor = torch.zeros(size)
    return tensor


def _random_float(a, b):
    return (b - a) * random.random() + a


def test_calculate_gain_linear():
    for fn in [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose2d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]:
        gain = init.calculate_gain(fn)
        assert gain == 1


def test_calculate_gain_nonlinear():
    for fn in ["sigmoid", "tanh", "relu", "leaky_relu"]:
        gain = init.calculate_gain(fn)
        if fn == "sigmoid":
            assert gain == 1
        elif fn == "tanh":  # 5 / 3
            assert gain == 1.6666666666666667
        elif fn == "relu":  # sqrt(2)
            assert gain == 1.4142135623730951
        elif fn == "leaky_relu":  # sqrt(2 / 1 + slope^2))
            assert gain == 1.4141428569978354
        elif fn == "selu":
            assert gain == 0.75


def test_calculate_gain_leaky_relu():
    for param in [None, 0, 0.01, 10]:
        gain = init.calculate_gain("leaky_relu", param)
        if param is None:  # Default slope is 0.01
            assert gain == 1.4141428569978354
        elif param == 0:  # No slope = same gain as normal ReLU
            assert gain == 1.4142135623730951
        elif param == 0.01:
            assert gain == 1.4141428569978354
        elif param == 10:
            assert gain == 0.14071950894605836


def test_calculate_gain_leaky_relu_only_accepts_numbers():
    for param in [True, [1], {"a": "b"}]:
        with pytest.raises(ValueError):
            init.calculate_gain("leaky_relu", param)


def test_calculate_gain_only_accepts_valid_nonlinearities():
    for n in [2, 5, 25]:
        # Generate random strings of lengths that definitely aren't supported
        random_string = "".join([random.choice(string.ascii_lowercase) for i in range(n)])
        with pytest.raises(ValueError):
            init.calculate_gain(random_string)


def test_uniform():
    for dims in [1, 2, 4]:
        input_tensor = _create_random_nd_tensor(dims, size_min=30, size_max=50)
        a = _random_float(-3, 3)
        b = a + _random_float(1, 5)
        init.uniform_(input_tensor, a=a, b=b)
        if not _is_uniform(input_tensor, a, b):
            raise AssertionError("Expected uniform distribution")


def test_normal():
    for dims in [1, 2, 4]:
        input_tensor = _create_random_nd_tensor(dims, size_min=30, size_max=50)
        mean = _random_float(-3, 3)
        std = _random_float(1, 5)
        init.normal_(input_tensor, mean=mean, std=std)

        if not _is_normal(input_tensor, mean, std):
            raise AssertionError("Expected normal distribution")


@needs("trunc_normal_")
def test_trunc_normal_generator():
    gen = torch.Generator()
    gen.manual_seed(42)
    input_tensor = torch.empty(5)
    init.trunc_normal_(input_tensor, generator=gen)

    ref = torch.empty(5)
    torch.manual_seed(42)
    init.trunc_normal_(ref)

    torch.testing.assert_close(input_tensor, ref)
    if not _is_trunc_normal(input_tensor, mean=0, std=1, a=0, b=1):
        raise AssertionError("Expected truncated normal distribution")


def test_constant():
    for dims in [1, 2, 4]:
        input_tensor = _create_random_nd_tensor(dims, size_min=1, size_max=5)
        val = _random_float(1, 10)
        init.constant_(input_tensor, val)

        torch.testing.assert_close(input_tensor, input_tensor.clone().fill_(val))


@needs("ones_")
def test_ones_and_zeros():
    for init_fn_, val in zip([init.ones_, init.zeros_], [1, 0]):
        for dims in [1, 2, 4]:
            input_tensor = _create_random_nd_tensor(dims, size_min=1, size_max=5)
            init_fn_(input_tensor)

            torch.testing.assert_close(input_tensor, input_tensor.clone().fill_(val))


def test_zeros():
    # the zeros_ half of test_ones_and_zeros (course_utils.init has zeros_ but no ones_)
    for dims in [1, 2, 4]:
        input_tensor = _create_random_nd_tensor(dims, size_min=1, size_max=5)
        init.zeros_(input_tensor)

        torch.testing.assert_close(input_tensor, input_tensor.clone().fill_(0))


@needs("eye_")
def test_eye():
    input_tensor = _create_random_nd_tensor(2, size_min=1, size_max=5)
    init.eye_(input_tensor)

    # Check every single element
    for i in range(input_tensor.size(0)):
        for j in range(input_tensor.size(1)):
            if i == j:
                if input_tensor[i][j] != 1:
                    raise AssertionError(f"Expected 1 at [{i}][{j}], got {input_tensor[i][j]}")
            else:
                if input_tensor[i][j] != 0:
                    raise AssertionError(f"Expected 0 at [{i}][{j}], got {input_tensor[i][j]}")


@needs("eye_")
def test_eye_only_works_on_2d_inputs():
    for dims in [1, 3]:
        with pytest.raises(ValueError):
            tensor = _create_random_nd_tensor(dims, size_min=1, size_max=3)
            init.eye_(tensor)


@needs("dirac_")
def test_dirac_properties():
    for dims in [3, 4, 5]:
        for groups in [1, 2, 3]:
            # prepare random tensor with random sizes, but fits groups
            a, c, d, e = (random.randint(1, 5) for _ in range(4))
            b = random.randint(1, 5 * groups)  # same range as a*groups but all range allowed
            # make sure first dim divides by groups
            input_tensor = torch.randn((a * groups, b, c, d, e)[:dims])

            init.dirac_(input_tensor, groups)

            c_out, c_in = input_tensor.size(0) // groups, input_tensor.size(1)
            min_d = min(c_out, c_in)
            # Check number of nonzeros is equivalent to smallest dim (for each group)
            if torch.nonzero(input_tensor).size(0) != min_d * groups:
                raise AssertionError(
                    f"Expected {min_d * groups} nonzeros, got {torch.nonzero(input_tensor).size(0)}"
                )
            # Check sum of values (can have precision issues, hence assertEqual) is also equivalent
            torch.testing.assert_close(input_tensor.sum(), torch.tensor(float(min_d * groups)))


@needs("dirac_")
def test_dirac_identity():
    for groups in [1, 3]:
        batch, in_c, out_c, size, kernel_size = 8, 3, 9, 5, 3  # in_c, out_c must divide by groups
        eff_out_c = out_c // groups

        for conv, ndim in ((F.conv1d, 1), (F.conv2d, 2), (F.conv3d, 3)):
            input_var = torch.randn(batch, in_c, *([size] * ndim))
            filter_var = torch.zeros(eff_out_c, in_c, *([kernel_size] * ndim))
            filter_var = torch.cat([filter_var] * groups)
            init.dirac_(filter_var, groups)
            output_var = conv(input_var, filter_var)
            input_tensor, output_tensor = input_var.data, output_var.data
            inner = (slice(None), slice(None)) + (slice(1, -1),) * ndim
            for g in range(groups):
                # Assert in_c outputs are preserved (per each group)
                torch.testing.assert_close(
                    input_tensor[inner], output_tensor[:, eff_out_c * g : eff_out_c * g + in_c]
                )
                # Assert extra outputs are 0
                if torch.nonzero(output_tensor[:, eff_out_c * g + in_c : eff_out_c * (g + 1)]).numel() != 0:
                    raise AssertionError("Expected extra outputs to be 0")


@needs("dirac_")
def test_dirac_only_works_on_3_4_5d_inputs():
    for dims in [1, 2, 6]:
        with pytest.raises(ValueError):
            tensor = _create_random_nd_tensor(dims, size_min=1, size_max=3)
            init.dirac_(tensor)


def test_xavier_uniform_errors_on_inputs_smaller_than_2d():
    for dims in [0, 1]:
        tensor = _create_random_nd_tensor(dims, size_min=1, size_max=1)
        with pytest.raises(ValueError):
            init.xavier_uniform_(tensor)


def test_xavier_normal_errors_on_inputs_smaller_than_2d():
    for dims in [0, 1]:
        tensor = _create_random_nd_tensor(dims, size_min=1, size_max=1)
        with pytest.raises(ValueError):
            init.xavier_normal_(tensor)


def test_xavier_uniform():
    for use_gain in [True, False]:
        for dims in [2, 4]:
            input_tensor = _create_random_nd_tensor(dims, size_min=20, size_max=25)
            gain = 1

            if use_gain:
                gain = _random_float(0.1, 2)
                init.xavier_uniform_(input_tensor, gain=gain)
            else:
                init.xavier_uniform_(input_tensor)

            fan_in = input_tensor.size(1)
            fan_out = input_tensor.size(0)
            if input_tensor.dim() > 2:
                fan_in *= input_tensor[0, 0].numel()
                fan_out *= input_tensor[0, 0].numel()

            expected_std = gain * math.sqrt(2.0 / (fan_in + fan_out))
            bounds = expected_std * math.sqrt(3)
            if not _is_uniform(input_tensor, -bounds, bounds):
                raise AssertionError("Expected uniform distribution")


def test_xavier_normal():
    for use_gain in [True, False]:
        for dims in [2, 4]:
            input_tensor = _create_random_nd_tensor(dims, size_min=20, size_max=25)
            gain = 1

            if use_gain:
                gain = _random_float(0.1, 2)
                init.xavier_normal_(input_tensor, gain=gain)
            else:
                init.xavier_normal_(input_tensor)

            fan_in = input_tensor.size(1)
            fan_out = input_tensor.size(0)
            if input_tensor.dim() > 2:
                fan_in *= input_tensor[0, 0].numel()
                fan_out *= input_tensor[0, 0].numel()

            expected_std = gain * math.sqrt(2.0 / (fan_in + fan_out))
            if not _is_normal(input_tensor, 0, expected_std):
                raise AssertionError("Expected normal distribution")


def test_kaiming_uniform_errors_on_inputs_smaller_than_2d():
    for dims in [0, 1]:
        with pytest.raises(ValueError):
            tensor = _create_random_nd_tensor(dims, size_min=1, size_max=1)
            init.kaiming_uniform_(tensor)


def test_kaiming_normal_errors_on_inputs_smaller_than_2d():
    for dims in [0, 1]:
        with pytest.raises(ValueError):
            tensor = _create_random_nd_tensor(dims, size_min=1, size_max=1)
            init.kaiming_normal_(tensor)


def test_kaiming_uniform_warning_on_0element_tensor():
    tensor = torch.empty(0, 1)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        _ = init.kaiming_uniform_(tensor)


def test_kaiming_normal_warning_on_0element_tensor():
    tensor = torch.empty(0, 1)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        _ = init.kaiming_normal_(tensor)


@pytest.mark.parametrize("kaiming", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming(kaiming):
    # test_kaiming_uniform and test_kaiming_normal (same body, parametrized)
    for use_a in [True, False]:
        for dims in [2, 4]:
            for mode in ["fan_in", "fan_out"]:
                input_tensor = _create_random_nd_tensor(dims, size_min=20, size_max=25)
                if use_a:
                    a = _random_float(0.1, 2)
                    getattr(init, kaiming)(input_tensor, a=a, mode=mode)
                else:
                    a = 0
                    getattr(init, kaiming)(input_tensor, mode=mode)

                fan_in = input_tensor.size(1)
                fan_out = input_tensor.size(0)
                if input_tensor.dim() > 2:
                    fan_in *= input_tensor[0, 0].numel()
                    fan_out *= input_tensor[0, 0].numel()

                if mode == "fan_in":
                    n = fan_in
                else:
                    n = fan_out

                expected_std = math.sqrt(2.0 / ((1 + a**2) * n))
                if kaiming == "kaiming_uniform_":
                    bounds = expected_std * math.sqrt(3.0)
                    if not _is_uniform(input_tensor, -bounds, bounds):
                        raise AssertionError("Expected uniform distribution")
                elif not _is_normal(input_tensor, 0, expected_std):
                    raise AssertionError("Expected normal distribution")


@needs("sparse_")
def test_sparse_only_works_on_2d_inputs():
    for dims in [1, 3]:
        with pytest.raises(ValueError):
            sparsity = _random_float(0.1, 0.9)
            tensor = _create_random_nd_tensor(dims, size_min=1, size_max=3)
            init.sparse_(tensor, sparsity)


@needs("sparse_")
def test_sparse_default_std():
    for use_random_std in [True, False]:
        input_tensor = _create_random_nd_tensor(2, size_min=30, size_max=35)
        rows = input_tensor.size(0)
        sparsity = _random_float(0.1, 0.2)

        std = 0.01  # default std
        if use_random_std:
            std = _random_float(0.01, 0.2)
            init.sparse_(input_tensor, sparsity=sparsity, std=std)
        else:
            init.sparse_(input_tensor, sparsity=sparsity)

        for col_idx in range(input_tensor.size(1)):
            column = input_tensor[:, col_idx]
            if column[column == 0].nelement() < math.ceil(sparsity * rows):
                raise AssertionError("Expected more zero elements for sparsity")

        if not _is_normal(input_tensor[input_tensor != 0], 0, std):
            raise AssertionError("Expected normal distribution for non-zero elements")


@needs("orthogonal_")
def test_orthogonal():
    for use_gain in [True, False]:
        for tensor_size in [[3, 4], [4, 3], [20, 2, 3, 4], [2, 3, 4, 5]]:
            input_tensor = torch.zeros(tensor_size)
            gain = 1.0

            if use_gain:
                gain = _random_float(0.1, 2)
                init.orthogonal_(input_tensor, gain=gain)
            else:
                init.orthogonal_(input_tensor)

            rows, cols = tensor_size[0], reduce(mul, tensor_size[1:])
            flattened_tensor = input_tensor.view(rows, cols)
            if rows > cols:
                torch.testing.assert_close(
                    torch.mm(flattened_tensor.t(), flattened_tensor), torch.eye(cols) * gain**2,
                    atol=1e-6, rtol=0)
            else:
                torch.testing.assert_close(
                    torch.mm(flattened_tensor, flattened_tensor.t()), torch.eye(rows) * gain**2,
                    atol=1e-6, rtol=0)


@needs("normal")
def test_deprecation():
    x = torch.randn(3, 3)

    def fn():
        init.normal(x)

    with pytest.warns(FutureWarning, match="deprecated"):
        fn()


@not_claimed("TestNNInitDeviceType: trunc_normal_ per device/dtype (fp16, bf16) is not in course_utils.init")
def test_trunc_normal_device_type():
    pass
