"""course_utils.init against torch.nn.init, the oracle.

Three layers of evidence: (1) with the same generator state every initializer draws
*exactly* torch's numbers, for Linear and Conv layouts and every mode and nonlinearity;
(2) statistics of large draws match the variance formulas within a stated tolerance, and
uniform draws stay inside (and reach) their exact bounds; (3) the contract: in place, the
same tensor returned, no autograd history, reproducible with a generator, torch's
behaviour on zero-element tensors, and one test per error message.
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils import init
from course_utils.errors import InvalidArgumentError
from course_utils.models import mlp

pytestmark = pytest.mark.init

SHAPES = [(400, 300), (64, 32, 5, 5)]  # Linear (120,000 entries) and Conv2d (51,200)
NORMAL = ["xavier_normal_", "kaiming_normal_"]
UNIFORM = ["xavier_uniform_", "kaiming_uniform_"]
KAIMING_OPTIONS = [
    {},  # torch's defaults: a=0, fan_in, leaky_relu (= ReLU's gain)
    {"nonlinearity": "relu"},
    {"nonlinearity": "relu", "mode": "fan_out"},
    {"nonlinearity": "leaky_relu", "a": 0.2},
    {"nonlinearity": "leaky_relu", "a": math.sqrt(5)},
    {"nonlinearity": "leaky_relu", "a": 1, "mode": "fan_out"},
    {"nonlinearity": "tanh", "mode": "fan_in"},
    {"nonlinearity": "linear", "mode": "fan_out"},
    {"nonlinearity": "sigmoid"},
    {"nonlinearity": "selu"},
    {"nonlinearity": "conv2d", "mode": "FAN_OUT"},  # torch lower-cases the mode
]
XAVIER_OPTIONS = [{}, {"gain": 5 / 3}, {"gain": math.sqrt(2)}, {"gain": 0.5}]


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def expected_std(name: str, shape: tuple[int, ...], options: dict) -> float:
    """The std each scheme's formula asks for (written out here, not taken from init)."""
    receptive = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    if name.startswith("xavier"):
        return options.get("gain", 1.0) * math.sqrt(2 / (fan_in + fan_out))
    if name.startswith("lecun"):
        return 1 / math.sqrt(fan_in)
    fan = fan_out if options.get("mode", "fan_in").lower() == "fan_out" else fan_in
    gains = {"relu": math.sqrt(2), "tanh": 5 / 3, "selu": 3 / 4}
    nonlinearity = options.get("nonlinearity", "leaky_relu")
    if nonlinearity == "leaky_relu":
        gain = math.sqrt(2 / (1 + options.get("a", 0) ** 2))
    else:
        gain = gains.get(nonlinearity, 1.0)
    return gain / math.sqrt(fan)


def std_tolerance(n: int, uniform: bool) -> float:
    """Relative tolerance of an empirical std from n draws: six standard errors.

    The sample std of n i.i.d. draws has relative standard error
    sqrt((kurtosis - 1) / (4 n)): 1/sqrt(2n) for a normal (kurtosis 3) and sqrt(0.2 / n)
    for a uniform (kurtosis 9/5). Six of them: a false alarm about once in 10^9 runs.
    """
    kurtosis = 9 / 5 if uniform else 3.0
    return 6 * math.sqrt((kurtosis - 1) / (4 * n))


def draw(name: str, shape, options: dict, seed: int = 0, module=init) -> torch.Tensor:
    return getattr(module, name)(torch.empty(shape), **options, generator=generator(seed))


# --- 1. the same numbers as torch -------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", NORMAL + UNIFORM)
def test_draws_are_identical_to_torch(name, shape):
    options_list = XAVIER_OPTIONS if name.startswith("xavier") else KAIMING_OPTIONS
    for options in options_list:
        ours, theirs = draw(name, shape, options), draw(name, shape, options, module=nn.init)
        assert torch.equal(ours, theirs), (name, shape, options)


@pytest.mark.parametrize("shape", SHAPES)
def test_lecun_equals_torch_kaiming_with_linear_gain(shape):
    assert torch.equal(draw("lecun_normal_", shape, {}),
                       draw("kaiming_normal_", shape, {"nonlinearity": "linear"}, module=nn.init))
    assert torch.equal(draw("lecun_uniform_", shape, {}),
                       draw("kaiming_uniform_", shape, {"nonlinearity": "linear"}, module=nn.init))


@pytest.mark.parametrize(("ours", "theirs", "args"), [
    (init.normal_, nn.init.normal_, (0.5, 2.0)),
    (init.uniform_, nn.init.uniform_, (-0.3, 0.7)),
])
def test_plain_distributions_are_identical_to_torch(ours, theirs, args):
    a = ours(torch.empty(50, 20), *args, generator=generator(3))
    b = theirs(torch.empty(50, 20), *args, generator=generator(3))
    assert torch.equal(a, b)


def test_zeros_and_constant_match_torch():
    assert torch.equal(init.zeros_(torch.randn(5, 4)), nn.init.zeros_(torch.randn(5, 4)))
    assert torch.equal(init.constant_(torch.empty(5, 4), 0.25), nn.init.constant_(torch.empty(5, 4), 0.25))


def test_pytorch_default_is_kaiming_uniform_with_a_sqrt5():
    torch.manual_seed(7)
    layer = nn.Linear(300, 40)
    torch.manual_seed(7)
    ours = init.SCHEMES["torch_default"](torch.empty(40, 300))
    assert torch.equal(layer.weight.detach(), ours)
    assert ours.abs().max() <= 1 / math.sqrt(300)


# --- 2. the formulas, statistically ------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", NORMAL + UNIFORM + ["lecun_normal_", "lecun_uniform_"])
def test_empirical_std_matches_formula(name, shape):
    options_list = [{}] if name.startswith("lecun") else (
        XAVIER_OPTIONS if name.startswith("xavier") else KAIMING_OPTIONS)
    uniform = name.endswith("uniform_")
    for seed, options in enumerate(options_list):
        weight = draw(name, shape, options, seed=seed)
        target = expected_std(name, shape, options)
        tol = std_tolerance(weight.numel(), uniform)
        assert weight.std().item() == pytest.approx(target, rel=tol), (name, options)
        # the mean's standard error is std / sqrt(n); allow six of them
        assert abs(weight.mean().item()) < 6 * target / math.sqrt(weight.numel())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", NORMAL + UNIFORM)
def test_empirical_std_agrees_with_torch_on_independent_draws(name, shape):
    options = {"gain": 5 / 3} if name.startswith("xavier") else {"nonlinearity": "relu"}
    ours = draw(name, shape, options, seed=1)
    theirs = draw(name, shape, options, seed=2, module=nn.init)
    # two independent estimates: the difference has sqrt(2) times one standard error
    tol = math.sqrt(2) * std_tolerance(ours.numel(), name.endswith("uniform_"))
    assert ours.std().item() == pytest.approx(theirs.std().item(), rel=tol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "options", "bound"), [
    ("xavier_uniform_", {}, lambda fi, fo: math.sqrt(6 / (fi + fo))),
    ("xavier_uniform_", {"gain": 5 / 3}, lambda fi, fo: 5 / 3 * math.sqrt(6 / (fi + fo))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, lambda fi, fo: math.sqrt(6 / fi)),
    ("kaiming_uniform_", {"nonlinearity": "relu", "mode": "fan_out"},
     lambda fi, fo: math.sqrt(6 / fo)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, lambda fi, fo: 1 / math.sqrt(fi)),
    ("lecun_uniform_", {}, lambda fi, fo: math.sqrt(3 / fi)),
])
def test_uniform_draws_fill_exactly_their_bounds(name, options, bound, shape):
    weight = draw(name, shape, options)
    theirs = torch.empty(shape)
    if name != "lecun_uniform_":
        theirs = draw(name, shape, options, seed=5, module=nn.init)
    b = bound(*init.fan_in_and_fan_out(weight))
    assert weight.abs().max().item() <= b
    assert theirs.abs().max().item() <= b or name == "lecun_uniform_"
    # P(every |w| < b (1 - 1e-3)) = (1 - 1e-3)^n < e^-51 for n >= 51,200 draws
    assert weight.max().item() > b * (1 - 1e-3)
    assert weight.min().item() < -b * (1 - 1e-3)


# --- fans and gains ----------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=7), min_size=2, max_size=5))
def test_fans_equal_torch_for_any_shape(shape):
    tensor = torch.empty(shape)
    assert init.fan_in_and_fan_out(tensor) == nn.init._calculate_fan_in_and_fan_out(tensor)


@pytest.mark.parametrize(("layer", "fans"), [
    (nn.Linear(784, 100), (784, 100)),
    (nn.Conv1d(3, 8, 5), (15, 40)),
    (nn.Conv2d(3, 16, (3, 5)), (45, 240)),
    (nn.Conv3d(2, 4, 3), (54, 108)),
    (nn.Conv2d(8, 16, 3, groups=4), (18, 144)),  # weight (16, 2, 3, 3): in_channels / groups
    (nn.ConvTranspose2d(6, 3, 2), (12, 24)),  # weight (6, 3, 2, 2): torch reads dim 1 as "in"
])
def test_fans_of_real_layers(layer, fans):
    assert init.fan_in_and_fan_out(layer.weight) == fans
    assert init.fan_in_and_fan_out(layer.weight) == nn.init._calculate_fan_in_and_fan_out(layer.weight)


@pytest.mark.parametrize(("nonlinearity", "param"), [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
    ("leaky_relu", None), ("leaky_relu", 0), ("leaky_relu", 0.2), ("leaky_relu", 3),
    ("leaky_relu", math.sqrt(5)),
])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


# --- 3. the contract ---------------------------------------------------------------------

ALL_FILLS = [
    ("zeros_", {}), ("constant_", {"val": 0.3}), ("normal_", {"std": 0.1}),
    ("uniform_", {"a": -1.0, "b": 1.0}), ("lecun_normal_", {}), ("lecun_uniform_", {}),
    ("xavier_normal_", {}), ("xavier_uniform_", {}), ("kaiming_normal_", {}),
    ("kaiming_uniform_", {}),
]


@pytest.mark.parametrize(("name", "options"), ALL_FILLS)
def test_fills_in_place_and_returns_the_same_tensor(name, options):
    parameter = nn.Parameter(torch.full((30, 20), float("nan")))
    pointer = parameter.data_ptr()
    returned = getattr(init, name)(parameter, **options)
    assert returned is parameter
    assert parameter.data_ptr() == pointer
    assert not torch.isnan(parameter).any()
    assert returned.grad_fn is None and parameter.requires_grad  # no autograd history


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
@pytest.mark.parametrize(("name", "options"), ALL_FILLS[2:])
def test_fills_keep_the_dtype_and_match_torch(name, options, dtype):
    ours = getattr(init, name)(torch.empty(40, 30, dtype=dtype), **options, generator=generator(4))
    theirs = getattr(nn.init, name.replace("lecun_", "kaiming_"))(
        torch.empty(40, 30, dtype=dtype),
        **(options or ({"nonlinearity": "linear"} if name.startswith("lecun") else {})),
        generator=generator(4))
    assert ours.dtype == dtype
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize(("name", "options"), ALL_FILLS[2:])
def test_generator_makes_draws_reproducible_and_leaves_global_rng_alone(name, options):
    state = torch.get_rng_state()
    first = getattr(init, name)(torch.empty(20, 10), **options, generator=generator(11))
    again = getattr(init, name)(torch.empty(20, 10), **options, generator=generator(11))
    other = getattr(init, name)(torch.empty(20, 10), **options, generator=generator(12))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0), (0, 3, 3, 3)])
@pytest.mark.parametrize("name", ["kaiming_normal_", "kaiming_uniform_"])
def test_kaiming_on_zero_element_tensors_warns_like_torch(name, shape):
    tensor = torch.empty(shape)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert getattr(init, name)(tensor) is tensor
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        getattr(nn.init, name)(torch.empty(shape))


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
@pytest.mark.parametrize("name", ["lecun_normal_", "lecun_uniform_"])
def test_lecun_on_zero_element_tensors_warns_like_kaiming(name, shape):
    tensor = torch.empty(shape)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert getattr(init, name)(tensor) is tensor


@pytest.mark.parametrize("name", ["xavier_normal_", "xavier_uniform_"])
def test_xavier_on_zero_element_tensors_is_a_silent_no_op(name):
    for shape in [(0, 5), (5, 0)]:  # torch agrees on these
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert getattr(init, name)(t := torch.empty(shape)) is t
            getattr(nn.init, name)(torch.empty(shape))
    # (0, 0): torch divides by fan_in + fan_out = 0; ours returns the empty tensor
    with pytest.raises(ZeroDivisionError):
        getattr(nn.init, name)(torch.empty(0, 0))
    assert getattr(init, name)(t := torch.empty(0, 0)) is t


# --- init_model --------------------------------------------------------------------------

def conv_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 2), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10),
    )


@pytest.mark.parametrize("scheme", sorted(init.SCHEMES))
def test_init_model_fills_every_layer_like_the_scheme_and_zeroes_biases(scheme):
    model = nn.Sequential(nn.Linear(200, 300), nn.ReLU(), nn.Conv1d(4, 64, 5), nn.Linear(300, 10))
    init.init_model(model, scheme, generator=generator(0))
    reference = generator(0)
    for layer in (model[0], model[2], model[3]):
        expected = init.SCHEMES[scheme](torch.empty_like(layer.weight), generator=reference)
        assert torch.equal(layer.weight.detach(), expected)
        assert torch.count_nonzero(layer.bias) == 0


def test_init_model_he_normal_matches_torch_kaiming_per_layer():
    model = mlp([784, 100, 100, 10], init="he_normal", generator=generator(2))
    reference = generator(2)
    for layer in (model[0], model[2], model[4]):
        expected = nn.init.kaiming_normal_(torch.empty_like(layer.weight), nonlinearity="relu",
                                           generator=reference)
        assert torch.equal(layer.weight.detach(), expected)


def test_init_model_handles_conv_transpose_and_leaves_norm_layers_alone():
    model = conv_net()
    model(torch.zeros(1, 3, 8, 8))  # materialize the lazy layer
    init.init_model(model, "xavier_uniform", generator=generator(1))
    assert torch.equal(model[1].weight.detach(), torch.ones(16))  # BatchNorm untouched
    for index in (0, 3, 6):
        weight = model[index].weight
        bound = math.sqrt(6 / sum(init.fan_in_and_fan_out(weight)))
        assert weight.abs().max() <= bound
        assert torch.count_nonzero(model[index].bias) == 0


@pytest.mark.parametrize("std", [0.0, 0.01, 1])
def test_init_model_with_a_number_draws_plain_normal_weights(std):
    model = init.init_model(nn.Sequential(nn.Linear(500, 400)), std, generator=generator(3))
    expected = nn.init.normal_(torch.empty(400, 500), 0.0, std, generator=generator(3))
    assert torch.equal(model[0].weight.detach(), expected)


def test_init_model_accepts_a_fill_function_and_mlp_passes_it_on():
    model = mlp([20, 8, 3], init=lambda w, generator=None: init.constant_(w, 0.5))
    assert torch.equal(model[0].weight.detach(), torch.full((8, 20), 0.5))
    assert torch.equal(model[2].weight.detach(), torch.full((3, 8), 0.5))


def test_init_model_is_reproducible_and_returns_the_model():
    a, b = mlp([30, 20, 5]), mlp([30, 20, 5])
    assert init.init_model(a, "lecun_uniform", generator=generator(9)) is a
    init.init_model(b, "lecun_uniform", generator=generator(9))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


# --- every error message -----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (5,), (0,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions, but got tensor of shape"):
        init.fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("name", ["lecun_normal_", "lecun_uniform_", "xavier_normal_",
                                  "xavier_uniform_", "kaiming_normal_", "kaiming_uniform_"])
def test_scaled_initializers_need_two_dimensions(name):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(init, name)(torch.empty(10))


@pytest.mark.parametrize("name", ["kaiming_normal_", "kaiming_uniform_"])
def test_unknown_mode_is_rejected(name):
    message = r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"
    with pytest.raises(ValueError, match=message):
        getattr(init, name)(torch.empty(3, 4), mode="fan_avg")


@pytest.mark.parametrize("name", ["kaiming_normal_", "kaiming_uniform_"])
def test_unknown_nonlinearity_is_rejected_by_initializers(name):
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        getattr(init, name)(torch.empty(3, 4), nonlinearity="gelu")


def test_unknown_nonlinearity_is_rejected_by_calculate_gain():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softmax"):
        init.calculate_gain("softmax")


@pytest.mark.parametrize("param", ["0.1", True, [0.1]])
def test_leaky_relu_slope_must_be_a_number(param):
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError, match="not a valid number"):
        nn.init.calculate_gain("leaky_relu", param)


def test_normal_rejects_a_negative_std():
    with pytest.raises(ValueError, match="std must be non-negative, but got -0.5"):
        init.normal_(torch.empty(3), std=-0.5)


def test_uniform_rejects_reversed_bounds():
    with pytest.raises(ValueError, match="uniform_ expects a <= b, but got a=1.0, b=0.0"):
        init.uniform_(torch.empty(3), 1.0, 0.0)


@pytest.mark.parametrize(("name", "args"), [("normal_", (0.0, -0.5)), ("uniform_", (1.0, 0.0))])
def test_bad_normal_and_uniform_arguments_raise_what_torch_code_catches(name, args):
    # torch raises RuntimeError here; the course's error is a ValueError and a RuntimeError
    with pytest.raises(RuntimeError):
        getattr(nn.init, name)(torch.empty(3), *args)
    for caught in (ValueError, RuntimeError):
        with pytest.raises(caught) as info:
            getattr(init, name)(torch.empty(3), *args)
        assert type(info.value) is InvalidArgumentError


def test_init_model_rejects_an_unknown_scheme_name():
    message = "scheme must be a number, a callable or one of .*'he_normal'.*but got 'kaiming'"
    with pytest.raises(ValueError, match=message):
        init.init_model(nn.Linear(2, 2), "kaiming")


@pytest.mark.parametrize("scheme", [None, True, [0.1]])
def test_init_model_rejects_a_scheme_of_another_type(scheme):
    with pytest.raises(ValueError, match="scheme must be a number, a callable or one of"):
        init.init_model(nn.Linear(2, 2), scheme)


@pytest.mark.parametrize("std", [-0.1, float("nan"), float("inf")])
def test_init_model_rejects_a_negative_or_non_finite_std(std):
    with pytest.raises(ValueError, match="scheme as a std must be a finite number >= 0"):
        init.init_model(nn.Linear(2, 2), std)


def test_init_model_rejects_an_unmaterialized_lazy_layer():
    with pytest.raises(ValueError, match="must be materialized"):
        init.init_model(conv_net(), "he_normal")
