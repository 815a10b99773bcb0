"""mlp(): layer layout, options, initialization and argument checks."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_utils.models import ACTIVATIONS, mlp

pytestmark = pytest.mark.core


def kinds(model):
    return [type(layer).__name__ for layer in model]


def test_default_layout_and_output_shape():
    model = mlp([784, 100, 50, 10])
    assert kinds(model) == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert model(torch.zeros(3, 784)).shape == (3, 10)


def test_no_hidden_layer_is_a_linear_model():
    assert kinds(mlp([4, 3])) == ["Linear"]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation(name):
    assert isinstance(mlp([4, 5, 2], activation=name)[1], ACTIVATIONS[name])


def test_norm_before_and_after_activation_and_dropout_last():
    before = mlp([4, 5, 2], norm="batch", dropout=0.3)
    assert kinds(before) == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    after = mlp([4, 5, 2], norm="layer", norm_position="after")
    assert kinds(after) == ["Linear", "ReLU", "LayerNorm", "Linear"]
    custom = mlp([4, 5, 2], norm=lambda width: nn.GroupNorm(1, width))
    assert isinstance(custom[1], nn.GroupNorm)


def test_dropout_layer_factory_and_bias_switch():
    model = mlp([4, 5, 2], dropout=0.5, dropout_layer=lambda p: nn.AlphaDropout(p), bias=False)
    assert isinstance(model[2], nn.AlphaDropout)
    assert all(layer.bias is None for layer in model if isinstance(layer, nn.Linear))


def test_bias_except_before_batch_norm_drops_only_the_biases_bn_cancels():
    before = mlp([4, 5, 5, 2], norm="batch", bias="except_before_batch_norm", init="he_normal",
                 generator=torch.Generator().manual_seed(0))
    assert [layer.bias is None for layer in before if isinstance(layer, nn.Linear)] == [
        True, True, False]
    with_bias = mlp([4, 5, 5, 2], norm="batch", init="he_normal",
                    generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(before, with_bias, strict=True)
               if isinstance(a, nn.Linear))  # the same initial weights
    after = mlp([4, 5, 2], norm="batch", norm_position="after", bias="except_before_batch_norm")
    plain = mlp([4, 5, 2], bias="except_before_batch_norm")
    layer_norm = mlp([4, 5, 2], norm="layer", bias="except_before_batch_norm")
    assert all(layer.bias is not None for net in (after, plain, layer_norm) for layer in net
               if isinstance(layer, nn.Linear))


def test_init_scheme_sets_scale_and_zero_biases():
    model = mlp([1000, 400, 10], init="he_normal", generator=torch.Generator().manual_seed(0))
    assert model[0].weight.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert torch.count_nonzero(model[0].bias) == 0


def test_init_std_and_generator_reproducibility():
    a = mlp([50, 20, 3], init=0.01, generator=torch.Generator().manual_seed(1))
    b = mlp([50, 20, 3], init=0.01, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a[0].weight, b[0].weight)
    assert a[0].weight.std().item() == pytest.approx(0.01, rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [784]}, "sizes must be at least two positive integers"),
        ({"sizes": [784, 0, 10]}, "sizes must be at least two positive integers"),
        ({"sizes": [4, 2], "activation": "swish"}, "activation must be one of .* but got 'swish'"),
        ({"sizes": [4, 2], "dropout": 1.0}, r"dropout probability has to be in \[0, 1\), but got 1.0"),
        ({"sizes": [4, 2], "norm": "group"}, "norm must be None, 'batch', 'layer' or a callable"),
        ({"sizes": [4, 2], "norm_position": "middle"}, "norm_position must be 'before' or 'after'"),
        ({"sizes": [4, 2], "bias": "auto"},
         "bias must be True, False or 'except_before_batch_norm', but got 'auto'"),
        ({"sizes": [4, 2], "init": "glorot"}, "scheme must be a number.*but got .glorot."),
    ],
)
def test_bad_arguments(kwargs, message):
    sizes = kwargs.pop("sizes")
    with pytest.raises(ValueError, match=message):
        mlp(sizes, **kwargs)
