"""fit_batched: K models at once, equal to K separate `fit` runs (the oracle), and fit's
in-place SGD equal to torch.optim.SGD."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.batched import fit_batched, stack_supported
from course_utils.dropout import Dropout
from course_utils.models import mlp
from course_utils.normalization import BatchNorm1d, LayerNorm
from course_utils.training import History, classification_metrics, fit, record_epoch

pytestmark = pytest.mark.core

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "step_loss")

NORMS = {
    "none": None,
    "torch_batch": "batch",
    "our_batch": BatchNorm1d,
    "our_batch_cumulative": lambda width: BatchNorm1d(width, momentum=None),
    "our_batch_untracked": lambda width: BatchNorm1d(width, track_running_stats=False),
    "torch_layer": "layer",
    "our_layer": LayerNorm,
}


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(120, 9, generator=gen), torch.randint(0, 4, (120,), generator=gen)
    val = (torch.randn(40, 9, generator=gen), torch.randint(0, 4, (40,), generator=gen))
    return (x, y), val


def make_models(k, **kwargs):
    return [mlp([9, 12, 10, 4], init="he_normal", generator=torch.Generator().manual_seed(s), **kwargs)
            for s in range(k)]


def assert_same_as_fit(models, histories, twins, train, *, lrs, decays, seeds, subsets=None,
                       dropout_seeds=None, **options):
    """Each model and history equal what its own fit run gives (to float rounding)."""
    for k, (model, twin, history) in enumerate(zip(models, twins, histories, strict=True)):
        if dropout_seeds is not None:
            torch.manual_seed(dropout_seeds[k])
        own = train if subsets is None else (train[0][subsets[k]], train[1][subsets[k]])
        expected = fit(twin, own, lr=lrs[k], weight_decay=decays[k], seed=seeds[k], progress=False,
                       **options)
        assert history.epoch == expected.epoch
        for name in METRICS:
            assert len(getattr(history, name)) == len(getattr(expected, name)), name
            assert getattr(history, name) == pytest.approx(getattr(expected, name), abs=2e-5), name
        ours, theirs = model.state_dict(), twin.state_dict()
        assert ours.keys() == theirs.keys()
        for key, value in theirs.items():
            assert torch.allclose(ours[key].double(), value.double(), atol=2e-5), key
            assert ours[key].dtype == value.dtype


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("norm", list(NORMS))
@pytest.mark.parametrize("orders", ["shared", "own", "subsets"])
def test_equals_separate_fit_runs_with_norm_layers(data, norm, position, orders):
    train, val = data
    lrs, decays = [0.05, 0.3, 0.1], [0.0, 1e-3, 1e-2]
    seeds = [4, 4, 4] if orders == "shared" else [4, 5, 6]
    subsets = torch.randint(0, 120, (3, 70), generator=torch.Generator().manual_seed(1)) \
        if orders == "subsets" else None
    models = make_models(3, norm=NORMS[norm], norm_position=position, activation="tanh")
    twins = copy.deepcopy(models)
    options = {"val": val, "epochs": 3, "batch_size": 16, "max_steps": 14, "eval_every": 2}
    histories = fit_batched(models, train, lr=lrs, weight_decay=decays, seed=seeds,
                            subsets=subsets, **options)
    assert_same_as_fit(models, histories, twins, train, lrs=lrs, decays=decays, seeds=seeds,
                       subsets=subsets, **options)


@pytest.mark.parametrize("mode", ["inverted", "vanilla"])
@pytest.mark.parametrize("norm", [None, "batch", "layer"])
def test_equals_separate_fit_runs_with_dropout(data, mode, norm):
    """With a dropout seed per model, every mask is the one its own fit run draws."""
    train, val = data
    lrs, decays, seeds, dropout_seeds = [0.1, 0.2], [0.0, 1e-3], [1, 2], [7, 8]
    models = make_models(2, norm=norm, dropout=0.3, dropout_layer=lambda p: Dropout(p, mode=mode))
    twins = copy.deepcopy(models)
    options = {"val": val, "epochs": 4, "batch_size": 32, "eval_every": 1}
    histories = fit_batched(models, train, lr=lrs, weight_decay=decays, seed=seeds,
                            dropout_seed=dropout_seeds, **options)
    assert_same_as_fit(models, histories, twins, train, lrs=lrs, decays=decays, seeds=seeds,
                       dropout_seeds=dropout_seeds, **options)


RELU_STACKS = {  # differentiated by hand in fit_batched (a ReLU between two linear layers)
    "relu": lambda: [nn.Linear(9, 12), nn.ReLU(), nn.Linear(12, 10), nn.ReLU(), nn.Linear(10, 4)],
    "relu_then_dropout": lambda: [nn.Linear(9, 12), nn.ReLU(), Dropout(0.3), nn.Linear(12, 4)],
    "dropout_then_relu": lambda: [nn.Linear(9, 12), Dropout(0.4), nn.ReLU(), nn.Linear(12, 4)],
    "two_dropouts_vanilla": lambda: [nn.Linear(9, 12), nn.ReLU(), Dropout(0.2, mode="vanilla"),
                                     Dropout(0.5), nn.Linear(12, 4)],
    "all_dropped": lambda: [nn.Linear(9, 12), nn.ReLU(), Dropout(1.0), nn.Linear(12, 4)],
}


def relu_stacks(name, k):
    models = []
    for s in range(k):
        torch.manual_seed(s)
        models.append(nn.Sequential(*RELU_STACKS[name]()))
    return models


@pytest.mark.parametrize("name", list(RELU_STACKS))
@pytest.mark.parametrize("orders", ["shared", "own", "subsets"])
def test_relu_stacks_by_hand_equal_separate_fit_runs(data, name, orders):
    """ReLU/dropout stacks skip autograd below the logits; each model still ends as its fit run."""
    from course_utils.batched import _Stack

    assert _Stack(relu_stacks(name, 1), None).by_hand
    train, val = data
    lrs, decays, dropout_seeds = [0.05, 0.3, 0.1], [0.0, 1e-3, 1e-2], [3, 4, 5]
    seeds = [4, 4, 4] if orders == "shared" else [4, 5, 6]
    subsets = torch.randint(0, 120, (3, 70), generator=torch.Generator().manual_seed(1)) \
        if orders == "subsets" else None
    models = relu_stacks(name, 3)
    twins = copy.deepcopy(models)
    options = {"val": val, "epochs": 3, "batch_size": 16, "max_steps": 14, "eval_every": 2}
    histories = fit_batched(models, train, lr=lrs, weight_decay=decays, seed=seeds, subsets=subsets,
                            dropout_seed=dropout_seeds, **options)
    assert_same_as_fit(models, histories, twins, train, lrs=lrs, decays=decays, seeds=seeds,
                       subsets=subsets, dropout_seeds=dropout_seeds, **options)


def test_by_hand_and_autograd_paths_agree(data, monkeypatch):
    """The same ReLU/dropout models trained with the hand-written chain rule and with autograd."""
    import course_utils.batched as batched

    train, val = data
    results = []
    for by_hand in (True, False):
        if not by_hand:
            monkeypatch.setattr(batched, "_relu_chain", lambda layers: None)
        models = make_models(3, dropout=0.25)
        weights = torch.rand(3, 120, generator=torch.Generator().manual_seed(2))
        histories = fit_batched(models, train, val=val, epochs=3, batch_size=20, lr=[0.1, 0.2, 0.3],
                                weight_decay=1e-3, seed=[0, 1, 2], dropout_seed=[5, 6, 7],
                                sample_weight=weights)
        results.append((models, histories))
    (ours, our_runs), (theirs, their_runs) = results
    for model, twin, run, twin_run in zip(ours, theirs, our_runs, their_runs, strict=True):
        assert run.step_loss == pytest.approx(twin_run.step_loss, abs=1e-5)
        for key, value in twin.state_dict().items():
            assert torch.allclose(model.state_dict()[key], value, atol=1e-5), key


@pytest.mark.parametrize("layers", [
    [nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)],                       # another activation
    [nn.Linear(4, 3), nn.ReLU(), nn.ReLU(), nn.Linear(3, 2)],             # two ReLUs in a row
    [nn.Linear(4, 3), Dropout(0.2), nn.Linear(3, 2)],                     # dropout without ReLU
    [Dropout(0.2), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)],          # input dropout
    [nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2)],     # a norm layer
    [nn.Linear(4, 3), nn.ReLU()],                                         # ends in an activation
])
def test_other_stacks_use_autograd(layers):
    from course_utils.batched import _relu_chain

    assert _relu_chain(layers) is None


def test_torch_dropout_draws_independent_masks_per_model(data):
    """nn.Dropout in the stack: identical models with one batch order still diverge."""
    train, _ = data
    base = mlp([9, 12, 4], dropout=0.5)
    models = [copy.deepcopy(base) for _ in range(2)]
    fit_batched(models, train, epochs=1, batch_size=32, lr=0.5, eval_every=0)
    assert not torch.equal(models[0][0].weight, models[1][0].weight)
    same = [copy.deepcopy(base) for _ in range(2)]
    fit_batched(same, train, epochs=1, batch_size=32, lr=0.5, eval_every=0, dropout_seed=3)
    assert torch.equal(same[0][0].weight, same[1][0].weight)


def test_eval_every_and_eval_train(data):
    train, val = data
    histories = fit_batched(make_models(2), train, val=val, epochs=7, batch_size=40, lr=0.1,
                            eval_every=3, eval_train=False)
    assert histories[0].epoch == [3, 6, 7]
    assert histories[0].train_acc == [] and len(histories[1].val_acc) == 3
    assert len(histories[0].step_loss) == 7 * 3
    (only_last,) = fit_batched(make_models(1), train, epochs=5, batch_size=40, lr=0.1, eval_every=0)
    assert only_last.epoch == [5] and len(only_last.train_acc) == 1


def test_eval_at_adds_epochs_as_fit_does(data):
    train, val = data
    models = make_models(2)
    twins = copy.deepcopy(models)
    options = {"val": val, "epochs": 9, "batch_size": 40, "eval_every": 4, "eval_at": (1, 2, 4)}
    histories = fit_batched(models, train, lr=[0.1, 0.2], seed=[0, 1], **options)
    assert histories[0].epoch == [1, 2, 4, 8, 9]
    assert_same_as_fit(models, histories, twins, train, lrs=[0.1, 0.2], decays=[0.0, 0.0],
                       seeds=[0, 1], **options)
    (start_only,) = fit_batched(make_models(1), train, epochs=5, batch_size=40, lr=0.1,
                                eval_every=0, eval_at=[1, 3])
    assert start_only.epoch == [1, 3, 5]


def test_callback_sees_current_weights_and_can_stop(data):
    train, val = data
    models = make_models(2)
    twins = copy.deepcopy(models)
    seen = []

    def callback(epoch, histories):
        seen.append((epoch, models[1][0].weight.detach().clone(), len(histories[1].val_acc)))
        return epoch >= 4

    histories = fit_batched(models, train, val=val, epochs=9, batch_size=40, lr=0.1, seed=[1, 2],
                            eval_every=2, callback=callback)
    assert [epoch for epoch, _, _ in seen] == [2, 4] and seen[-1][2] == 2
    assert histories[0].epoch == [2, 4] and len(histories[0].step_loss) == 4 * 3
    expected = fit(twins[1], train, epochs=2, batch_size=40, lr=0.1, seed=2, progress=False)
    assert torch.allclose(seen[0][1], twins[1][0].weight, atol=1e-6) and expected.epoch == [1, 2]
    assert torch.equal(seen[-1][1], models[1][0].weight)


def weighted_loop(model, x, y, weights, *, epochs, batch_size, lr, seed):
    """The oracle for sample weights: SGD on sum(w * loss) / sum(w) per batch."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            losses = F.cross_entropy(model(x[batch]), y[batch], reduction="none")
            opt.zero_grad()
            ((weights[batch] * losses).sum() / weights[batch].sum()).backward()
            opt.step()


@pytest.mark.parametrize("seeds", [[3, 3], [3, 9]])
def test_sample_weights_follow_the_weighted_loop(data, seeds):
    (x, y), _ = data
    weights = torch.rand(2, len(x), generator=torch.Generator().manual_seed(2)) * 3
    models = make_models(2)
    oracles = copy.deepcopy(models)
    fit_batched(models, (x, y), epochs=2, batch_size=25, lr=0.2, seed=seeds, sample_weight=weights,
                eval_every=0)
    for model, oracle, w, seed in zip(models, oracles, weights, seeds, strict=True):
        weighted_loop(oracle, x, y, w, epochs=2, batch_size=25, lr=0.2, seed=seed)
        for p, q in zip(model.parameters(), oracle.parameters(), strict=True):
            assert torch.allclose(p, q, atol=1e-5)


def test_zero_weight_samples_change_nothing(data):
    (x, y), _ = data
    a, b = make_models(1), make_models(1)
    weights = torch.ones(1, len(x))
    weights[0, :50] = 0.0
    y_changed = y.clone()
    y_changed[:50] = (y[:50] + 1) % 4
    fit_batched(a, (x, y), epochs=2, batch_size=30, lr=0.1, sample_weight=weights, eval_every=0)
    fit_batched(b, (x, y_changed), epochs=2, batch_size=30, lr=0.1, sample_weight=weights, eval_every=0)
    assert torch.allclose(a[0][0].weight, b[0][0].weight, atol=1e-6)


def test_models_are_written_back_in_training_mode(data):
    train, _ = data
    models = make_models(2, norm="batch")
    for model in models:
        model.eval()
    fit_batched(models, train, epochs=1, batch_size=40, lr=0.1, eval_every=0)
    assert all(model.training for model in models)
    assert int(models[0][1].num_batches_tracked) == 3


def test_stack_supported():
    assert stack_supported(mlp([4, 3, 2], norm="batch", dropout=0.2))
    assert not stack_supported(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm2d(3)))
    assert not stack_supported(nn.Linear(4, 3))


@pytest.mark.parametrize(("models", "kwargs", "match"), [
    ([], {}, "models must contain at least one model, but got none"),
    ([nn.Linear(3, 2)], {}, "models must be nn.Sequential MLPs, but got Linear"),
    ("twice", {}, "models must be distinct objects"),
    ([mlp([3, 4, 2]), mlp([3, 4, 2], norm="batch")], {}, "model 1 differs from model 0"),
    ([mlp([3, 4, 2]), mlp([3, 5, 2])], {}, "model 1 differs from model 0"),
    ([mlp([3, 4, 2], dropout=0.1), mlp([3, 4, 2], dropout=0.5)], {}, "model 1 differs from model 0"),
    ([mlp([3, 4, 2], norm="batch"), mlp([3, 4, 2], norm=lambda w: nn.BatchNorm1d(w, eps=1e-3))], {},
     "model 1 differs from model 0"),
    ([nn.Sequential(nn.Linear(3, 4), nn.Dropout(), nn.Conv1d(1, 1, 1))], {}, "layer 2 is Conv1d"),
    ([nn.Sequential(nn.Linear(3, 4), nn.BatchNorm2d(4))], {}, "only BatchNorm1d"),
    ([nn.Sequential(nn.Linear(3, 4), nn.LayerNorm((2, 2)))], {}, "one normalized dimension"),
    ([mlp([3, 4, 2])], {"lr": 0.0}, r"lr must be positive, but got 0.0"),
    ([mlp([3, 4, 2])], {"lr": float("nan")}, r"lr must be positive, but got nan"),
    ("two", {"lr": [0.1, 0.2, 0.3]}, r"lr must be a number or one value per model \(2\)"),
    ([mlp([3, 4, 2])], {"weight_decay": -1.0}, "weight_decay must be non-negative, but got -1.0"),
    ("two", {"seed": [1]}, r"seed must be an int or one int per model \(2\)"),
    ([mlp([3, 4, 2])], {"seed": -1}, "seed must be non-negative, but got -1"),
    ([mlp([3, 4, 2])], {"dropout_seed": [1, 2]}, "dropout_seed must be an int or one int per model"),
    ([mlp([3, 4, 2])], {"batch_size": 0}, "batch_size must be at least 1, but got 0"),
    ([mlp([3, 4, 2])], {"epochs": 0}, "epochs must be at least 1, but got 0"),
    ([mlp([3, 4, 2])], {"eval_every": -1}, "eval_every must be non-negative, but got -1"),
    ([mlp([3, 4, 2])], {"eval_at": (0, 2)}, r"eval_at must hold epochs of at least 1, but got \(0, 2\)"),
    ([mlp([3, 4, 2])], {"eval_at": [1.5]}, r"eval_at must hold epochs of at least 1, but got \[1.5\]"),
    ([mlp([3, 4, 2])], {"max_steps": 0}, "max_steps must be at least 1, but got 0"),
    ([mlp([3, 4, 2])], {"subsets": torch.zeros(2, 3, dtype=torch.long)}, r"subsets must be a \(n_models"),
    ([mlp([3, 4, 2])], {"subsets": torch.full((1, 3), 8)}, "subsets must index the 8 training samples"),
    ([mlp([3, 4, 2])], {"sample_weight": torch.ones(3)}, r"sample_weight must have shape \(1, 8\)"),
    ([mlp([3, 4, 2])], {"sample_weight": -torch.ones(1, 8)}, "sample_weight must be finite and non-negative"),
])
def test_rejects_bad_arguments(models, kwargs, match):
    if models == "twice":
        models = [mlp([3, 4, 2])] * 2
    elif models == "two":
        models = [mlp([3, 4, 2]), mlp([3, 4, 2])]
    data = (torch.randn(8, 3), torch.randint(0, 2, (8,)))
    options = {"epochs": 1, "batch_size": 4, "lr": 0.1} | kwargs
    with pytest.raises(ValueError, match=match):
        fit_batched(models, data, **options)


def test_rejects_malformed_data():
    with pytest.raises(ValueError, match=r"train must be an \(x, y\) pair"):
        fit_batched([mlp([3, 2])], torch.zeros(3, 3), epochs=1, batch_size=1, lr=0.1)
    with pytest.raises(ValueError, match=r"val must be an \(x, y\) pair"):
        fit_batched([mlp([3, 2])], (torch.zeros(3, 3), torch.zeros(3).long()), val=torch.zeros(2),
                    epochs=1, batch_size=1, lr=0.1)


# ---------------------------------------------------------------------------------------
# The recorder shared by fit and fit_batched
# ---------------------------------------------------------------------------------------


def test_classification_metrics_match_torch():
    gen = torch.Generator().manual_seed(0)
    logits, y = torch.randn(3, 20, 5, generator=gen), torch.randint(0, 5, (20,), generator=gen)
    loss, accuracy = classification_metrics(logits, y)
    for k in range(3):
        assert loss[k].item() == pytest.approx(F.cross_entropy(logits[k], y).item(), rel=1e-6)
        assert accuracy[k].item() == pytest.approx((logits[k].argmax(1) == y).float().mean().item())
    own = torch.randint(0, 5, (3, 20), generator=gen)
    assert classification_metrics(logits, own)[1][2].item() == pytest.approx(
        (logits[2].argmax(1) == own[2]).float().mean().item())
    with pytest.raises(ValueError, match=r"logits must be \(K, n, classes\), but got shape \(20, 5\)"):
        classification_metrics(logits[0], y)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\) or \(3, 20\), but got \(19,\)"):
        classification_metrics(logits, y[:19])


def test_record_epoch_appends_to_each_history():
    histories = [History(), History()]
    record_epoch(histories, 5, {"val": (torch.tensor([0.5, 0.25]), torch.tensor([0.75, 1.0]))})
    assert [h.epoch for h in histories] == [[5], [5]]
    assert histories[1].val_loss == [0.25] and histories[0].val_acc == [0.75]
    assert histories[0].train_loss == []
    with pytest.raises(ValueError, match="metrics keys must be 'train' or 'val', but got 'test'"):
        record_epoch(histories, 6, {"test": (torch.zeros(2), torch.zeros(2))})
    with pytest.raises(ValueError, match=r"metrics\['val'\] must hold one value per history \(2\)"):
        record_epoch(histories, 6, {"val": (torch.zeros(3), torch.zeros(3))})


# ---------------------------------------------------------------------------------------
# fit's plain SGD: in place, the same arithmetic as torch.optim.SGD, and no cold start
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_fit_plain_sgd_is_bitwise_torch_sgd(data, weight_decay):
    train, _ = data
    ours = make_models(1, norm="batch")[0]
    theirs = copy.deepcopy(ours)
    fit(ours, train, epochs=3, batch_size=16, lr=0.1, weight_decay=weight_decay, seed=2, progress=False)
    fit(theirs, train, epochs=3, batch_size=16, seed=2, progress=False, lr=0.1,
        optimizer=lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=weight_decay))
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key


def test_fit_leaves_frozen_parameters_alone(data):
    train, _ = data
    model = make_models(1)[0]
    model[0].weight.requires_grad_(False)
    before = model[0].weight.clone()
    fit(model, train, epochs=1, batch_size=16, lr=0.1, weight_decay=0.1, progress=False)
    assert torch.equal(model[0].weight, before)


def test_plain_sgd_fit_does_not_build_torch_optim():
    """The first torch.optim optimizer of a process imports torch._dynamo (about a second):
    a plain-SGD fit in a fresh process must not pay it."""
    code = (
        "import sys, torch\n"
        "from course_utils.models import mlp\n"
        "from course_utils.training import fit\n"
        "x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))\n"
        "fit(mlp([5, 8, 3]), (x, y), epochs=2, batch_size=16, lr=0.1, weight_decay=1e-3, progress=False)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
