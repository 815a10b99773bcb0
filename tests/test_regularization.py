"""Tests of course_utils.regularization (chapter 02), with torch as the oracle."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.normalization import BatchNorm1d as CourseBatchNorm1d
from course_utils.normalization import LayerNorm as CourseLayerNorm
from course_utils.regularization import (
    ProximalSGD,
    abs_weight_quantile,
    decay_parameter_groups,
    decayed_sgd_step,
    global_weight_norm,
    input_weight_norms,
    is_normalization_module,
    l1_penalty,
    l1_proximal_step_,
    l2_penalty,
    layer_weight_growth,
    max_abs_weight,
    soft_threshold,
    sparsity,
    split_decay_parameters,
    weight_norms,
    weight_parameters,
)

pytestmark = pytest.mark.decay

floats = st.floats(min_value=-10, max_value=10, allow_nan=False, width=32)
vectors = st.lists(floats, min_size=1, max_size=30).map(lambda v: torch.tensor(v))


def small_mlp(seed: int = 0, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 3)).to(dtype)


def batches(n_steps: int, dtype: torch.dtype = torch.float32, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(n_steps):
        yield (torch.randn(16, 5, generator=generator).to(dtype),
               torch.randint(0, 3, (16,), generator=generator))


# ----------------------------------------------------------------------------- penalties


@given(vectors, vectors)
@settings(max_examples=30, deadline=None)
def test_l2_penalty_is_half_the_squared_norm(a, b):
    expected = 0.5 * (torch.linalg.vector_norm(a.double()) ** 2
                      + torch.linalg.vector_norm(b.double()) ** 2)
    assert l2_penalty([a, b]).item() == pytest.approx(expected.item(), rel=1e-5, abs=1e-6)


@given(vectors, vectors)
@settings(max_examples=30, deadline=None)
def test_l1_penalty_is_the_l1_norm(a, b):
    expected = torch.linalg.vector_norm(a.double(), 1) + torch.linalg.vector_norm(b.double(), 1)
    assert l1_penalty([a, b]).item() == pytest.approx(expected.item(), rel=1e-5, abs=1e-6)


def test_penalties_by_hand():
    w = [torch.tensor([[1.0, -2.0], [0.0, 3.0]]), torch.tensor([-4.0])]
    assert l2_penalty(w).item() == 0.5 * (1 + 4 + 0 + 9 + 16)
    assert l1_penalty(w).item() == 1 + 2 + 0 + 3 + 4


def test_penalties_of_nothing_are_zero():
    assert l2_penalty([]).item() == 0.0
    assert l1_penalty(nn.Sequential(nn.ReLU())).item() == 0.0


def test_penalty_gradients_are_lambda_w_and_lambda_sign_w():
    lam = 0.3
    w = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    (lam * l2_penalty([w])).backward()
    torch.testing.assert_close(w.grad, lam * w.detach())
    w.grad = None
    (lam * l1_penalty([w])).backward()
    torch.testing.assert_close(w.grad, lam * w.detach().sign())


def test_model_penalties_use_weights_only_iterables_use_everything():
    model = small_mlp()
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    everything = list(model.parameters())
    torch.testing.assert_close(l2_penalty(model), 0.5 * sum((w**2).sum() for w in weights))
    torch.testing.assert_close(l2_penalty(model.parameters()),
                               0.5 * sum((p**2).sum() for p in everything))
    torch.testing.assert_close(l1_penalty(model), sum(w.abs().sum() for w in weights))


# --------------------------------------------------- L2 in the loss == the optimizer's decay


def train_side_by_side(penalized, opt_penalized, penalty, decayed, opt_decayed, data):
    """Step two models on the same batches: one with ``penalty()`` added to its loss, one
    whose optimizer decays the weights itself."""
    for x, y in data:
        opt_penalized.zero_grad()
        (F.cross_entropy(penalized(x), y) + penalty()).backward()
        opt_penalized.step()
        opt_decayed.zero_grad()
        F.cross_entropy(decayed(x), y).backward()
        opt_decayed.step()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_l2_in_the_loss_equals_sgd_weight_decay_after_many_steps(momentum):
    lam, lr = 0.05, 0.1
    in_loss = small_mlp(dtype=torch.float64)
    in_optimizer = copy.deepcopy(in_loss)
    opt_loss = torch.optim.SGD(in_loss.parameters(), lr=lr, momentum=momentum)
    opt_decay = torch.optim.SGD(in_optimizer.parameters(), lr=lr, momentum=momentum,
                                weight_decay=lam)
    train_side_by_side(in_loss, opt_loss, lambda: lam * l2_penalty(in_loss.parameters()),
                       in_optimizer, opt_decay, batches(150, torch.float64))
    start = small_mlp(dtype=torch.float64)
    moved = max((a - b).abs().max().item()
                for a, b in zip(in_loss.parameters(), start.parameters(), strict=True))
    assert moved > 0.1  # the runs went somewhere, and the penalty mattered on the way
    for a, b in zip(in_loss.parameters(), in_optimizer.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_weights_only_penalty_equals_decay_parameter_groups():
    lam, lr = 0.1, 0.2
    in_loss = small_mlp(dtype=torch.float64)
    grouped = copy.deepcopy(in_loss)
    opt_loss = torch.optim.SGD(in_loss.parameters(), lr=lr)
    opt_groups = torch.optim.SGD(decay_parameter_groups(grouped, lam), lr=lr)
    train_side_by_side(in_loss, opt_loss, lambda: lam * l2_penalty(in_loss),
                       grouped, opt_groups, batches(200, torch.float64))
    for a, b in zip(in_loss.parameters(), grouped.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_l2_in_the_loss_matches_weight_decay_in_float32_too():
    lam, lr = 0.05, 0.1
    in_loss, in_optimizer = small_mlp(), small_mlp()
    opt_loss = torch.optim.SGD(in_loss.parameters(), lr=lr)
    opt_decay = torch.optim.SGD(in_optimizer.parameters(), lr=lr, weight_decay=lam)
    train_side_by_side(in_loss, opt_loss, lambda: lam * l2_penalty(in_loss.parameters()),
                       in_optimizer, opt_decay, batches(150))
    for a, b in zip(in_loss.parameters(), in_optimizer.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)  # float32 rounding only


def test_decayed_sgd_step_is_one_torch_sgd_step():
    lam, lr = 0.2, 0.3
    w = nn.Parameter(torch.randn(3, 4))
    grad = torch.randn(3, 4)
    expected = decayed_sgd_step(w.detach(), grad, lr, lam)
    w.grad = grad.clone()
    torch.optim.SGD([w], lr=lr, weight_decay=lam).step()
    torch.testing.assert_close(w.detach(), expected)
    torch.testing.assert_close(decayed_sgd_step(w.detach(), torch.zeros(3, 4), lr, lam),
                               (1 - lr * lam) * w.detach())


# ------------------------------------------------------------------- Adam + L2 vs AdamW


def test_adam_with_l2_is_the_penalty_in_the_gradient():
    lam = 0.01
    with_option = small_mlp(dtype=torch.float64)
    with_penalty = copy.deepcopy(with_option)
    opt_option = torch.optim.Adam(with_option.parameters(), lr=1e-2, weight_decay=lam)
    opt_penalty = torch.optim.Adam(with_penalty.parameters(), lr=1e-2)
    for x, y in batches(50, torch.float64):
        opt_option.zero_grad()
        F.cross_entropy(with_option(x), y).backward()
        opt_option.step()
        opt_penalty.zero_grad()
        (F.cross_entropy(with_penalty(x), y) + lam * l2_penalty(with_penalty.parameters())
         ).backward()
        opt_penalty.step()
    for a, b in zip(with_option.parameters(), with_penalty.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)


def test_adamw_is_adam_plus_a_separate_multiplicative_decay():
    """AdamW == Adam on the data gradient, with w *= (1 - lr * lam) before each step."""
    lam, lr, steps = 0.5, 1e-2, 40
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(10, dtype=torch.float64, generator=generator)
    grads = [torch.randn(10, dtype=torch.float64, generator=generator) for _ in range(steps)]
    w_adamw, w_adam = nn.Parameter(start.clone()), nn.Parameter(start.clone())
    opt_adamw = torch.optim.AdamW([w_adamw], lr=lr, weight_decay=lam)
    opt_adam = torch.optim.Adam([w_adam], lr=lr)
    for g in grads:  # a linear loss g·w: its gradient does not depend on w
        w_adamw.grad = g.clone()
        opt_adamw.step()
        with torch.no_grad():
            w_adam.mul_(1 - lr * lam)
        w_adam.grad = g.clone()
        opt_adam.step()
    torch.testing.assert_close(w_adamw, w_adam, rtol=1e-12, atol=1e-12)


def test_adam_l2_decay_ignores_weight_size_while_adamw_decay_is_proportional():
    """With no data gradient, Adam + L2 moves every weight by lr towards 0 (the decay is
    normalized away), AdamW by lr * lam * w: that is how the two differ."""
    lam, lr = 0.1, 1e-3
    start = torch.tensor([5.0, -2.0, 0.5, -0.01], dtype=torch.float64)
    w_l2, w_decoupled = nn.Parameter(start.clone()), nn.Parameter(start.clone())
    opt_l2 = torch.optim.Adam([w_l2], lr=lr, weight_decay=lam)
    opt_decoupled = torch.optim.AdamW([w_decoupled], lr=lr, weight_decay=lam)
    for w, opt in ((w_l2, opt_l2), (w_decoupled, opt_decoupled)):
        w.grad = torch.zeros_like(start)
        opt.step()
    # Adam's first step is lr * g / (|g| + eps) = lr * sign(g), up to eps = 1e-8
    torch.testing.assert_close(w_l2.detach(), start - lr * start.sign(), rtol=0, atol=1e-7)
    torch.testing.assert_close(w_decoupled.detach(), (1 - lr * lam) * start)
    assert not torch.allclose(w_l2.detach(), w_decoupled.detach())


# ----------------------------------------------------------------------- parameter groups


class NamedLikeANorm(nn.Module):
    """A module whose name ends in "Norm1d" but which is no normalization layer."""

    def __init__(self, width: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(2, width))

    def forward(self, x):
        return x


NamedLikeANorm.__name__ = "MyBatchNorm1d"


def test_groups_exempt_exactly_biases_and_normalization_parameters():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3),                     # 0: weight decayed, bias not
        nn.BatchNorm2d(2),                      # 1: exempt
        nn.Flatten(),
        nn.Linear(8, 4, bias=False),            # 3: weight decayed
        nn.LayerNorm([2, 2]),                   # 4: 2-D weight, still exempt
        nn.Flatten(),
        CourseBatchNorm1d(4),                   # 6: the course's drop-in, exempt by type
        nn.Linear(4, 3),                        # 7
        nn.GroupNorm(1, 3),                     # 8: exempt
    )
    decay, no_decay = split_decay_parameters(model)
    assert decay == ["0.weight", "3.weight", "7.weight"]
    assert sorted(no_decay) == sorted([
        "0.bias", "1.weight", "1.bias", "4.weight", "4.bias",
        "6.weight", "6.bias", "7.bias", "8.weight", "8.bias"])
    groups = decay_parameter_groups(model, 0.3)
    optimizer = torch.optim.SGD(groups, lr=0.1)  # torch accepts them: no duplicates, none missing
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.3, 0.0]
    grouped = [id(p) for g in groups for p in g["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())
    assert [id(p) for p in weight_parameters(model)] == [id(p) for p in groups[0]["params"]]


def test_frozen_parameters_are_left_out_and_empty_groups_dropped():
    model = nn.Linear(3, 2)
    model.bias.requires_grad_(False)
    groups = decay_parameter_groups(model, 0.1)
    assert len(groups) == 1 and groups[0]["params"][0] is model.weight


def test_normalization_module_detection():
    assert is_normalization_module(nn.BatchNorm1d(3))
    assert is_normalization_module(nn.InstanceNorm2d(3))
    assert is_normalization_module(nn.LayerNorm(3))
    assert is_normalization_module(CourseBatchNorm1d(3))
    assert is_normalization_module(CourseLayerNorm(3))
    assert is_normalization_module(nn.RMSNorm(3)) and is_normalization_module(nn.GroupNorm(1, 3))
    assert not is_normalization_module(NamedLikeANorm(3))  # by type, not by class name
    assert not is_normalization_module(nn.Linear(3, 3))
    assert not is_normalization_module(nn.Sequential())


# --------------------------------------------------------------------- L1 proximal step


@given(vectors, st.floats(min_value=0, max_value=5, allow_nan=False))
@settings(max_examples=50, deadline=None)
def test_soft_threshold_is_torch_softshrink(w, threshold):
    torch.testing.assert_close(soft_threshold(w, threshold), F.softshrink(w, threshold))


@given(vectors, st.floats(min_value=0, max_value=5, allow_nan=False))
@settings(max_examples=50, deadline=None)
def test_soft_threshold_is_the_proximal_operator_of_the_l1_norm(w, t):
    """prox(w) minimizes ½(u - w)² + t|u|: no point on a fine grid around it does better."""
    w = w.double()
    prox = soft_threshold(w, t)

    def objective(u):
        return 0.5 * (u - w) ** 2 + t * u.abs()

    for shift in (-1e-2, -1e-4, 1e-4, 1e-2):
        assert (objective(prox) <= objective(prox + shift) + 1e-12).all()


def test_proximal_sgd_is_sgd_then_soft_threshold():
    lr, lam = 0.1, 0.05
    model = small_mlp()
    reference = copy.deepcopy(model)
    opt = ProximalSGD(decay_parameter_groups(model, lam, option="l1"), lr=lr, momentum=0.9)
    opt_ref = torch.optim.SGD(reference.parameters(), lr=lr, momentum=0.9)
    for x, y in batches(20):
        for net, optimizer in ((model, opt), (reference, opt_ref)):
            optimizer.zero_grad()
            F.cross_entropy(net(x), y).backward()
            optimizer.step()
        with torch.no_grad():
            for layer in reference:
                if isinstance(layer, nn.Linear):
                    layer.weight.copy_(F.softshrink(layer.weight, lr * lam))
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert all(layer.bias.ne(0).all() for layer in model if isinstance(layer, nn.Linear))


def test_proximal_steps_give_exact_zeros_subgradient_steps_do_not():
    """A lasso regression with 3 useful of 20 features."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 20, generator=generator)
    true_w = torch.zeros(20)
    true_w[:3] = torch.tensor([2.0, -1.5, 1.0])
    y = x @ true_w + 0.1 * torch.randn(200, generator=generator)
    lam, lr = 0.1, 0.05
    w_prox, w_sub = nn.Parameter(torch.zeros(20)), nn.Parameter(torch.zeros(20))
    opt_prox, opt_sub = ProximalSGD([w_prox], lr=lr, l1=lam), torch.optim.SGD([w_sub], lr=lr)
    for _ in range(500):
        opt_prox.zero_grad()
        (0.5 * ((x @ w_prox - y) ** 2).mean()).backward()
        opt_prox.step()
        opt_sub.zero_grad()
        (0.5 * ((x @ w_sub - y) ** 2).mean() + lam * l1_penalty([w_sub])).backward()
        opt_sub.step()
    assert (w_prox[3:] == 0).sum() >= 15          # most useless weights exactly zero
    assert (w_prox[:3] != 0).all()                # the useful ones kept
    assert (w_sub[3:] == 0).sum() == 0            # subgradient: hovering, never exactly 0
    assert w_sub[3:].abs().max() < 2 * lr * lam   # ... within about one step ηλ of it


def test_proximal_sgd_defaults_and_groups():
    a, b = nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(3))
    opt = ProximalSGD([{"params": [a]}, {"params": [b], "l1": 2.0}], lr=0.1, l1=0.5)
    assert [g["l1"] for g in opt.param_groups] == [0.5, 2.0]
    assert opt.defaults["l1"] == 0.5
    a.grad, b.grad = torch.zeros(3), torch.zeros(3)
    opt.step()
    torch.testing.assert_close(a.detach(), torch.full((3,), 0.95))
    torch.testing.assert_close(b.detach(), torch.full((3,), 0.8))


def test_l1_proximal_step_in_place_on_weights_only():
    model = nn.Linear(4, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -0.05, 2.0, 0.0], [-1.0, 0.1, 0.09, -3.0]]))
        model.bias.fill_(0.05)
    l1_proximal_step_(model, 0.1)
    expected = F.softshrink(torch.tensor([[0.5, -0.05, 2.0, 0.0], [-1.0, 0.1, 0.09, -3.0]]), 0.1)
    torch.testing.assert_close(model.weight.detach(), expected)
    torch.testing.assert_close(model.bias.detach(), torch.full((2,), 0.05))


# ------------------------------------------------------------- sparsity and weight norms


def test_sparsity_counts_small_weights_of_the_model():
    model = nn.Linear(10, 10)
    with torch.no_grad():
        model.weight.copy_(torch.linspace(-1, 1, 100).reshape(10, 10))
        model.weight[0, :5] = 0.0
        model.bias.zero_()  # 10 zero biases must not count: weights only
    w = model.weight.detach().numpy()
    for tol in (0.0, 1e-3, 0.1, 0.5):
        assert sparsity(model, tol) == pytest.approx(np.mean(np.abs(w) <= tol))
    assert sparsity(model, 0.0) == pytest.approx(5 / 100)
    assert sparsity([], 1e-3) == 0.0


def test_weight_norm_helpers_match_torch_linalg():
    model = small_mlp()
    weights = {f"{i}.weight": m.weight for i, m in enumerate(model) if isinstance(m, nn.Linear)}
    norms = weight_norms(model)
    assert list(norms) == list(weights)
    for name, w in weights.items():
        assert norms[name] == pytest.approx(torch.linalg.matrix_norm(w).item(), rel=1e-6)
    flat = torch.cat([w.detach().flatten() for w in weights.values()])
    assert global_weight_norm(model) == pytest.approx(torch.linalg.vector_norm(flat).item(),
                                                      rel=1e-6)
    assert max_abs_weight(model) == pytest.approx(flat.abs().max().item())
    torch.testing.assert_close(input_weight_norms(model),
                               torch.linalg.vector_norm(model[0].weight.detach(), dim=0))
    assert input_weight_norms(model).shape == (5,)
    assert math.isclose(max_abs_weight([]), 0.0)


# --------------------------------------------------------------------------- bad input


def test_negative_weight_decay_raises():
    with pytest.raises(ValueError, match=r"Invalid weight_decay value: -0.1"):
        decay_parameter_groups(nn.Linear(2, 2), -0.1)


def test_nan_weight_decay_raises():
    with pytest.raises(ValueError, match=r"Invalid weight_decay value: nan"):
        decay_parameter_groups(nn.Linear(2, 2), float("nan"))


def test_unknown_group_option_raises():
    with pytest.raises(ValueError, match=r"option must be 'weight_decay' or 'l1', but got 'l3'"):
        decay_parameter_groups(nn.Linear(2, 2), 0.1, option="l3")


def test_negative_sparsity_tolerance_raises():
    with pytest.raises(ValueError, match=r"tol must be non-negative, but got -0.001"):
        sparsity(nn.Linear(2, 2), -1e-3)


def test_negative_threshold_raises():
    with pytest.raises(ValueError, match=r"threshold must be non-negative, but got -1"):
        soft_threshold(torch.ones(2), -1)
    with pytest.raises(ValueError, match=r"threshold must be non-negative, but got -0.5"):
        l1_proximal_step_([torch.ones(2)], -0.5)


def test_negative_l1_raises():
    with pytest.raises(ValueError, match=r"Invalid l1 value: -0.1"):
        ProximalSGD([nn.Parameter(torch.ones(2))], lr=0.1, l1=-0.1)
    with pytest.raises(ValueError, match=r"Invalid l1 value: -2"):
        ProximalSGD([{"params": [nn.Parameter(torch.ones(2))], "l1": -2}], lr=0.1)


def test_decayed_sgd_step_rejects_bad_arguments():
    w = torch.ones(2)
    with pytest.raises(ValueError, match=r"Invalid learning rate: 0"):
        decayed_sgd_step(w, w, 0, 0.1)
    with pytest.raises(ValueError, match=r"Invalid weight_decay value: -1"):
        decayed_sgd_step(w, w, 0.1, -1)
    with pytest.raises(ValueError, match=r"same shape, but got \(2,\) and \(3,\)"):
        decayed_sgd_step(w, torch.ones(3), 0.1, 0.1)


def test_penalty_of_a_bare_tensor_raises():
    with pytest.raises(ValueError, match=r"got one tensor; wrap it in a list"):
        l2_penalty(torch.ones(3))


def test_penalty_of_non_tensors_raises():
    with pytest.raises(ValueError, match=r"params must contain tensors, but got float"):
        l1_penalty([1.0, 2.0])


def test_input_weight_norms_needs_a_linear_layer():
    with pytest.raises(ValueError, match=r"must contain an nn.Linear layer, but got ReLU"):
        input_weight_norms(nn.ReLU())


def test_layer_weight_growth_per_layer_against_torch():
    from course_utils.models import mlp

    start = mlp([3, 4, 2], init="he_normal", generator=torch.Generator().manual_seed(0))
    model = copy.deepcopy(start)
    with torch.no_grad():
        model[0].weight.mul_(2.0)
    rows = layer_weight_growth(model, start)
    assert len(rows) == 2
    assert rows[0]["norm_ratio"] == pytest.approx(2.0)
    assert rows[0]["max_end"] == pytest.approx(2 * start[0].weight.abs().max().item())
    above = (model[0].weight.abs() > start[0].weight.abs().max()).float().mean().item()
    assert rows[0]["share_above"] == pytest.approx(above)
    assert rows[1] == {"norm_ratio": pytest.approx(1.0), "max_start": rows[1]["max_end"],
                       "max_end": rows[1]["max_end"], "share_above": 0.0, "n": 8.0}


def test_layer_weight_growth_rejects_different_architectures():
    with pytest.raises(ValueError, match=r"must have the same linear layers, but got shapes"):
        layer_weight_growth(nn.Linear(2, 3), nn.Linear(3, 2))


# -------------------------------------------------------- the chapter's plots and explorer


def test_decay_toy_model_decay_shrinks_weights_and_is_deterministic():
    from course_utils.widgets import decay_toy_model

    plain = decay_toy_model(0.0, "none", steps=60)
    decayed = decay_toy_model(0.05, "l2", steps=60)
    lasso = decay_toy_model(0.05, "l1", steps=60)
    assert max_abs_weight(decayed) < max_abs_weight(plain)
    assert sparsity(lasso, 1e-2) > sparsity(plain, 1e-2)
    again = decay_toy_model(0.05, "l2", steps=60)
    for a, b in zip(decayed.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_decay_toy_model_rejects_bad_arguments():
    from course_utils.widgets import decay_toy_model

    with pytest.raises(ValueError, match=r"lam must be non-negative, but got -1"):
        decay_toy_model(-1, "l2")
    with pytest.raises(ValueError, match=r"penalty must be one of .*, but got 'l3'"):
        decay_toy_model(0.1, "l3")
    with pytest.raises(ValueError, match=r"steps must be at least 1, but got 0"):
        decay_toy_model(0.1, "l2", steps=0)
    with pytest.raises(ValueError, match=r"lr must be positive, but got 0"):
        decay_toy_model(0.1, "l2", lr=0)


def test_decay_toy_model_l2_is_sgd_weight_decay_and_l1_is_proximal():
    from course_utils.models import mlp
    from course_utils.training import fit
    from course_utils.widgets import decay_toy_data, decay_toy_model

    ours = decay_toy_model(0.05, "l2", steps=5)
    oracle = mlp([2, 64, 64, 2], init="he_normal", generator=torch.Generator().manual_seed(0))
    fit(oracle, decay_toy_data(), epochs=5, batch_size=100, lr=0.5, progress=False, eval_every=0,
        eval_train=False, optimizer=lambda _p: torch.optim.SGD(decay_parameter_groups(oracle, 0.05), lr=0.5))
    for a, b in zip(ours.parameters(), oracle.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert sparsity(decay_toy_model(0.05, "l1", steps=5), 0.0) > 0.5


def test_decay_toy_val_data_is_fresh_and_fixed():
    from course_utils.widgets import decay_toy_data, decay_toy_val_data

    x_val, y_val = decay_toy_val_data()
    assert x_val.shape == (1000, 2) and set(y_val.tolist()) == {0, 1}
    assert torch.equal(x_val, decay_toy_val_data()[0])
    assert not torch.equal(x_val[:100], decay_toy_data()[0])


def test_decay_explorer_redraws_when_a_control_changes():
    import matplotlib.pyplot as plt

    from course_utils.widgets import DecayExplorer

    explorer = DecayExplorer(steps=20)
    first = explorer.last_result
    explorer.controls["penalty"].value = "none"
    assert explorer.last_result is not first
    title = explorer.last_result.axes[0].get_title()
    assert "none" in title and "validation" in title and "test" not in title
    plt.close("all")


def test_chapter_plots_have_titles_labels_and_legends():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    seeds_by_epochs = np.random.default_rng(0).random((3, 4))
    figures = [
        plotting.plot_train_test_curves({"a": {"train": seeds_by_epochs, "test": seeds_by_epochs}},
                                        epochs=[1, 2, 3, 4], title="t"),
        plotting.plot_lambda_sweep([0.0, 0.01, 0.1], np.ones((3, 3)), chosen=0.01),
        plotting.plot_weight_histograms({"a": torch.tensor([0.0, 0.1, -0.2, 1e-4])}),
        plotting.plot_weight_norm_curves([0, 1, 2, 3], {"a": seeds_by_epochs}),
    ]
    for fig in figures:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
            assert ax.get_legend() is not None
    maps = plotting.plot_input_weight_maps({"a": torch.rand(784), "b": torch.rand(784)})
    assert [ax.get_title() for ax in maps.axes[:2]] == ["a", "b"]  # then the colour bars
    plt.close("all")


def test_abs_weight_quantile_matches_numpy_and_max():
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    flat = torch.cat([model[0].weight.detach().flatten(), model[2].weight.detach().flatten()])
    assert abs_weight_quantile(model, 1.0) == pytest.approx(max_abs_weight(model))
    assert abs_weight_quantile(model, 0.9) == pytest.approx(float(np.quantile(flat.abs().numpy(), 0.9)))
    assert abs_weight_quantile([], 0.5) == 0.0
    with pytest.raises(ValueError, match="q must be in"):
        abs_weight_quantile(model, 1.5)


def test_weight_histograms_count_values_beyond_the_range_instead_of_clipping():
    from course_utils import plotting

    fig = plotting.plot_weight_histograms({"a": torch.tensor([0.0, 0.1, -0.2, 5.0, -7.0])},
                                          value_range=0.3)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a (2 beyond ±0.3)"]
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_input_weight_maps_draw_a_mask_panel_and_one_shared_colour_bar():
    from course_utils import plotting

    mask = torch.zeros(784, dtype=torch.bool)
    mask[:100] = True
    fig = plotting.plot_input_weight_maps({"a": torch.rand(784), "b": 2 * torch.rand(784)},
                                          mask=mask, mask_title="blank")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    assert "100 of 784" in fig.axes[0].get_title()
    assert images[1].get_clim() == images[2].get_clim()
    assert sum(1 for ax in fig.axes if not ax.images) == 1  # one colour bar
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_lambda_sweep_draws_zero_in_the_baseline_colour_with_a_broken_axis():
    import matplotlib.pyplot as plt

    from course_utils import plotting
    from course_utils.plotting.shared import style

    rng = np.random.default_rng(0)
    fig = plotting.plot_lambda_sweep([0.0, 0.01, 0.1], rng.random((3, 3)),
                                     train_acc=rng.random((3, 3)), chosen=0.01)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "validation (mean ± sd, 3 seeds)" in labels
    assert "no decay (λ = 0): validation (mean ± sd, 3 seeds)" in labels
    colors = {c.get_label(): c.lines[0].get_color().lower() for c in ax.containers}
    assert colors["no decay (λ = 0): train (mean ± sd, 3 seeds)"] == style("no decay").color.lower()
    assert colors["train (mean ± sd, 3 seeds)"] == style("L2").color.lower()
    strokes = [line for line in ax.lines if line.get_label().startswith("_") and not line.get_clip_on()]
    assert len(strokes) == 2  # the two slanted strokes of the break
    assert all(0.001 < np.mean(line.get_xdata()) < 0.01 for line in strokes)
    plt.close("all")


@pytest.mark.parametrize("kwargs, match", [
    ({"lambdas": [0.0, -0.1], "val_acc": np.ones((2, 2))}, "lambdas must be distinct values >= 0"),
    ({"lambdas": [0.1, 0.1], "val_acc": np.ones((2, 2))}, "lambdas must be distinct"),
    ({"lambdas": [0.0, 0.1], "val_acc": np.ones((2, 3))}, "val_acc must be seeds x 2"),
    ({"lambdas": [0.0, 0.1], "val_acc": np.ones((2, 2)), "train_acc": np.ones(3)},
     "train_acc must be seeds x 2"),
    ({"lambdas": [0.0, 0.1], "val_acc": np.ones((2, 2)), "chosen": 0.5}, "chosen must be one of"),
    ({"lambdas": [0.0, 0.1], "val_acc": np.ones((2, 2)), "what": "se"}, "what must be"),
])
def test_lambda_sweep_rejects_bad_input(kwargs, match):
    from course_utils import plotting

    with pytest.raises(ValueError, match=match):
        plotting.plot_lambda_sweep(**kwargs)


def test_input_weight_maps_draw_blank_inputs_grey_on_white_and_check_the_mask():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    mask = torch.zeros(784, dtype=torch.bool)
    mask[:10] = True
    fig = plotting.plot_input_weight_maps({"a": torch.rand(784)}, mask=mask, mask_title="blank")
    shown = np.asarray(fig.axes[0].images[0].get_array())
    assert set(np.unique(shown[mask.reshape(28, 28).numpy()])) == {0.6}
    assert set(np.unique(shown[~mask.reshape(28, 28).numpy()])) == {1.0}  # white, not black
    with pytest.raises(ValueError, match="mask must have one entry per input"):
        plotting.plot_input_weight_maps({"a": torch.rand(784)}, mask=torch.zeros(10, dtype=torch.bool))
    with pytest.raises(ValueError, match="maps must hold at least one"):
        plotting.plot_input_weight_maps({})
    plt.close("all")


def test_weight_histograms_leave_room_above_the_bars_for_the_legend():
    import matplotlib.pyplot as plt

    from course_utils import plotting

    fig = plotting.plot_weight_histograms({"L2": torch.randn(2000), "L1 proximal": torch.randn(2000)},
                                          title="t")
    for ax in fig.axes:
        tallest = max(patch.get_path().vertices[:, 1].max() for patch in ax.patches)
        assert ax.get_ylim()[1] >= 10 * tallest
    assert fig.get_suptitle() == "t"
    plt.close("all")
