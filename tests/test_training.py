"""fit, evaluate, the shared recorder, History and the seeding helpers, with torch.optim as oracle."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.models import mlp
from course_utils.notebooks import setup_notebook
from course_utils.training import (
    History,
    evaluate,
    fit,
    make_optimizer,
    seed_everything,
)

pytestmark = pytest.mark.core


@pytest.fixture
def small(mnist):
    (x, y), (x_test, y_test) = mnist
    return (x[:256], y[:256]), (x_test[:200], y_test[:200])


def manual_sgd(model, x, y, *, epochs, batch_size, lr, weight_decay, seed):
    """The textbook loop with torch.optim.SGD: the oracle for fit."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            opt.zero_grad()
            F.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()


def max_param_diff(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_fit_equals_the_textbook_loop(small):
    (x, y), _ = small
    ours = mlp([784, 32, 10])
    oracle = copy.deepcopy(ours)
    fit(ours, (x, y), epochs=3, batch_size=50, lr=0.1, weight_decay=1e-3, seed=7, progress=False)
    manual_sgd(oracle, x, y, epochs=3, batch_size=50, lr=0.1, weight_decay=1e-3, seed=7)
    assert max_param_diff(ours, oracle) < 1e-6


def test_history_records_every_epoch_and_step(small):
    train, val = small
    history = fit(mlp([784, 32, 10]), train, val=val, epochs=4, batch_size=64, lr=0.1, progress=False)
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.train_acc) == len(history.val_loss) == 4
    assert len(history.step_loss) == 4 * 4
    assert history.train_loss[-1] < history.train_loss[0]


def test_recorded_metrics_equal_evaluate(small):
    train, val = small
    model = mlp([784, 32, 10])
    history = fit(model, train, val=val, epochs=2, batch_size=64, lr=0.1, progress=False)
    assert history.val_loss[-1] == pytest.approx(evaluate(model, *val)[0], rel=1e-6)
    assert history.train_acc[-1] == pytest.approx(evaluate(model, *train)[1])


def test_eval_every_max_steps_and_no_train_eval(small):
    train, val = small
    history = fit(mlp([784, 16, 10]), train, val=val, epochs=10, batch_size=64, lr=0.1,
                  progress=False, eval_every=3, eval_train=False)
    assert history.epoch == [3, 6, 9, 10] and history.train_acc == []
    capped = fit(mlp([784, 16, 10]), train, epochs=10, batch_size=64, lr=0.1, progress=False,
                 max_steps=6, eval_every=0)
    assert len(capped.step_loss) == 6 and capped.epoch == [2]
    early = fit(mlp([784, 16, 10]), train, epochs=10, batch_size=64, lr=0.1, progress=False,
                eval_every=5, eval_at=(1, 2, 5))
    assert early.epoch == [1, 2, 5, 10]


def test_callback_stops_training(small):
    train, val = small
    history = fit(mlp([784, 16, 10]), train, val=val, epochs=10, batch_size=64, lr=0.1,
                  progress=False, callback=lambda epoch, h: epoch == 2)
    assert history.epoch == [1, 2]


def test_penalty_and_callable_optimizer(small):
    (x, y), _ = small
    model = mlp([784, 16, 10])
    oracle = copy.deepcopy(model)
    fit(model, (x, y), epochs=1, batch_size=256, lr=0.1, progress=False,
        penalty=lambda m: 0.5 * sum((p**2).sum() for p in m.parameters()),
        optimizer=lambda params: torch.optim.SGD(params, lr=0.1))
    manual_sgd(oracle, x, y, epochs=1, batch_size=256, lr=0.1, weight_decay=1.0, seed=0)
    assert max_param_diff(model, oracle) < 1e-6  # L2 penalty gradient == SGD weight_decay


def test_evaluate_restores_mode_and_matches_manual(small):
    _, (x, y) = small
    model = mlp([784, 16, 10], dropout=0.5)
    model.train()
    loss, acc = evaluate(model, x, y)
    assert model.training
    model.eval()
    logits = model(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-6)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())
    assert evaluate(model, x, y, batch_size=33) == pytest.approx((loss, acc), rel=1e-5)


def test_history_final_and_best():
    history = History(epoch=[1, 2, 3], val_acc=[0.5, 0.9, 0.8], val_loss=[1.0, 0.2, 0.4])
    assert history.final() == {"val_acc": 0.8, "val_loss": 0.4}
    assert history.best("val_acc") == (2, 0.9)
    assert history.best("val_loss") == (2, 0.2)
    with pytest.raises(ValueError, match="metric must be a recorded per-epoch metric, but got 'train_acc'"):
        history.best("train_acc")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1, but got 0"),
        ({"batch_size": 0}, "batch_size must be at least 1, but got 0"),
        ({"lr": 0.0}, "lr must be positive, but got 0.0"),
        ({"weight_decay": -1.0}, "weight_decay must be non-negative, but got -1.0"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of .* but got 'lbfgs'"),
        ({"eval_every": -1}, "eval_every must be non-negative, but got -1"),
        ({"eval_at": (-1,)}, r"eval_at must hold epochs of at least 1, but got \(-1,\)"),
        ({"max_steps": 0}, "max_steps must be at least 1, but got 0"),
        ({"lr": float("nan")}, "lr must be positive, but got nan"),
    ],
)
def test_fit_rejects_bad_arguments(small, kwargs, message):
    train, _ = small
    args = {"epochs": 1, "batch_size": 8, "lr": 0.1, "progress": False} | kwargs
    with pytest.raises(ValueError, match=message):
        fit(mlp([784, 4, 10]), train, **args)


def test_fit_rejects_malformed_data():
    with pytest.raises(ValueError, match=r"train must be an \(x, y\) pair"):
        fit(mlp([4, 2]), torch.zeros(3, 4), epochs=1, batch_size=1, lr=0.1)
    with pytest.raises(ValueError, match="non-empty tensors of equal length"):
        fit(mlp([4, 2]), (torch.zeros(3, 4), torch.zeros(2).long()), epochs=1, batch_size=1, lr=0.1)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "adamw"])
def test_make_optimizer_names(name):
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt = make_optimizer(params, name, lr=0.1, weight_decay=0.01)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["weight_decay"] == 0.01


def test_seed_everything_repeats_all_generators():
    seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    seed_everything(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first  # noqa: NPY002
    with pytest.raises(ValueError, match="seed must be non-negative, but got -1"):
        seed_everything(-1)


def test_setup_notebook_sets_one_thread():
    torch.set_num_threads(2)
    setup_notebook(0)
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="threads must be at least 1, but got 0"):
        setup_notebook(0, threads=0)


def test_smoke_test_mode_takes_one_step_per_epoch_and_keeps_the_schedule(small, monkeypatch):
    from course_utils.batched import fit_batched

    train, val = small
    options = {"val": val, "epochs": 6, "batch_size": 16, "lr": 0.1, "eval_every": 2}
    full = fit(mlp([784, 8, 10]), train, progress=False, **options)
    monkeypatch.setenv("COURSE_UTILS_SMOKE_TEST", "1")
    smoke = fit(mlp([784, 8, 10]), train, progress=False, **options)
    (batched,) = fit_batched([mlp([784, 8, 10])], train, **options)
    assert len(full.step_loss) > 6 * 2
    for history in (smoke, batched):
        assert history.epoch == full.epoch == [2, 4, 6]
        assert len(history.step_loss) == 6 and len(history.val_acc) == 3
    capped = {"epochs": 100, "batch_size": 16, "lr": 0.1, "max_steps": 40, "eval_every": 0}
    assert fit(mlp([784, 8, 10]), train, progress=False, **capped).epoch == [3]  # as the real run
    (capped_batched,) = fit_batched([mlp([784, 8, 10])], train, **capped)
    assert capped_batched.epoch == [3] and len(capped_batched.step_loss) == 3
    monkeypatch.setenv("COURSE_UTILS_SMOKE_TEST", "0")
    assert len(fit(mlp([784, 8, 10]), train, progress=False, **options).step_loss) == len(full.step_loss)
    monkeypatch.setenv("COURSE_UTILS_SMOKE_TEST", "yes")
    with pytest.raises(ValueError, match="COURSE_UTILS_SMOKE_TEST must be 0 or 1 .* but got 'yes'"):
        fit(mlp([784, 8, 10]), train, progress=False, **options)
