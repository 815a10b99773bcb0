"""course_utils.search (chapter 06), with Optuna, scikit-learn and `fit` as oracles.

Statistical tests state their tolerance: a share estimated from n draws has standard error
sqrt(p(1-p)/n); we allow 5 standard errors (a false alarm about once in 1.7 million runs
for a fixed seed that happened to be unlucky), or use a test's p-value against 1e-3.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.model_selection import KFold

from course_utils import search
from course_utils.data import make_moons
from course_utils.models import mlp
from course_utils.training import fit

pytestmark = pytest.mark.search
optuna.logging.set_verbosity(optuna.logging.WARNING)


QUARTERS = torch.full((4,), 0.25, dtype=torch.float64)


def decade_shares(values, low_exponent, high_exponent):
    values = torch.as_tensor(values, dtype=torch.float64)
    return torch.stack([((values >= 10.0**k) & (values < 10.0 ** (k + 1))).double().mean()
                        for k in range(low_exponent, high_exponent)])


# ---------------------------------------------------------------------------------------
# Log-uniform sampling
# ---------------------------------------------------------------------------------------


def test_log_uniform_samples_spread_evenly_over_decades():
    samples = search.sample_log_uniform(1e-6, 1e-2, 40_000,
                                        generator=torch.Generator().manual_seed(0))
    tolerance = 5 * math.sqrt(0.25 * 0.75 / 40_000)
    assert torch.allclose(decade_shares(samples, -6, -2), QUARTERS, atol=tolerance)


def test_random_sampler_log_float_spreads_evenly_over_decades():
    study = search.create_study(sampler=search.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("lr", 1e-6, 1e-2, log=True), n_trials=4000)
    values = [t.params["lr"] for t in study.trials]
    tolerance = 5 * math.sqrt(0.25 * 0.75 / 4000)
    assert torch.allclose(decade_shares(values, -6, -2), QUARTERS, atol=tolerance)


def optuna_draws(suggest, n, seed):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(lambda trial: suggest(trial) and 0.0, n_trials=n)
    return [t.params for t in study.trials]


def our_draws(suggest, n, seed):
    study = search.create_study(sampler=search.RandomSampler(seed=seed))
    study.optimize(lambda trial: suggest(trial) and 0.0, n_trials=n)
    return [t.params for t in study.trials]


def suggest_everything(trial):
    trial.suggest_float("lr", 1e-5, 1.0, log=True)
    trial.suggest_float("momentum", 0.5, 0.99)
    trial.suggest_int("width", 16, 256, log=True)
    trial.suggest_int("layers", 1, 6)
    trial.suggest_categorical("optimizer", ["sgd", "adam", "adamw"])
    return True


def test_random_sampler_draws_from_the_same_distributions_as_optunas():
    """Optuna's RandomSampler promises these distributions, not these exact values:
    compare distributions (KS test for numbers, chi-square for categories, p > 1e-3)."""
    ours, theirs = our_draws(suggest_everything, 800, 0), optuna_draws(suggest_everything, 800, 0)
    for name in ("lr", "momentum", "width", "layers"):
        result = stats.ks_2samp([p[name] for p in ours], [p[name] for p in theirs])
        assert result.pvalue > 1e-3, f"{name}: KS statistic {result.statistic:.3f}"
    counts = [[sum(p["optimizer"] == c for p in draws) for c in ("sgd", "adam", "adamw")]
              for draws in (ours, theirs)]
    assert stats.chi2_contingency(counts).pvalue > 1e-3


def test_int_and_categorical_values_stay_in_their_support():
    draws = our_draws(suggest_everything, 500, 3)
    assert {p["layers"] for p in draws} == set(range(1, 7))
    assert all(16 <= p["width"] <= 256 and isinstance(p["width"], int) for p in draws)
    assert {p["optimizer"] for p in draws} == {"sgd", "adam", "adamw"}
    assert all(0.5 <= p["momentum"] < 0.99 for p in draws)


def test_float_with_step_lands_on_the_grid():
    study = search.create_study(sampler=search.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("p", 0.0, 0.5, step=0.1), n_trials=300)
    values = {round(t.params["p"], 10) for t in study.trials}
    assert values == {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}


@settings(max_examples=50, deadline=None)
@given(st.floats(-12, 3), st.floats(0, 8), st.integers(0, 2**31))
def test_log_uniform_stays_in_range(low_exponent, width, seed):
    low, high = 10.0**low_exponent, 10.0 ** (low_exponent + width)
    samples = search.sample_log_uniform(low, high, 64, generator=torch.Generator().manual_seed(seed))
    assert samples.dtype == torch.float64
    assert bool(((samples >= low) & (samples <= high)).all())


def test_random_sampler_values_depend_on_seed_and_number_only():
    def forward(trial):
        return trial.suggest_float("a", 0, 1) + trial.suggest_float("b", 0, 1)

    def backward(trial):
        return trial.suggest_float("b", 0, 1) + trial.suggest_float("a", 0, 1)

    one, two, other = (search.create_study(sampler=search.RandomSampler(seed=s)) for s in (5, 5, 6))
    one.optimize(forward, n_trials=5)
    two.optimize(backward, n_trials=5)
    other.optimize(forward, n_trials=5)
    assert [t.params for t in one.trials] == [t.params for t in two.trials]
    assert [t.params for t in one.trials] != [t.params for t in other.trials]


def test_asking_twice_returns_the_same_value():
    trial = search.create_study(sampler=search.RandomSampler(seed=0)).ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)


# ---------------------------------------------------------------------------------------
# Errors with Optuna's wording
# ---------------------------------------------------------------------------------------

BAD_SUGGESTIONS = [
    ("suggest_float", ("x", 0.0, 1.0), {"log": True}),
    ("suggest_float", ("x", -1.0, 1.0), {"log": True}),
    ("suggest_float", ("x", 2.0, 1.0), {}),
    ("suggest_float", ("x", 1e-3, 1.0), {"log": True, "step": 0.1}),
    ("suggest_float", ("x", 0.0, 1.0), {"step": 0.0}),
    ("suggest_int", ("n", 5, 1), {}),
    ("suggest_int", ("n", 0, 10), {"log": True}),
    ("suggest_int", ("n", 1, 10), {"step": 0}),
    ("suggest_int", ("n", 1, 10), {"log": True, "step": 2}),
    ("suggest_categorical", ("c", []), {}),
]


@pytest.mark.parametrize(("method", "args", "kwargs"), BAD_SUGGESTIONS)
def test_bad_search_spaces_raise_optunas_errors(method, args, kwargs):
    ours_trial = search.create_study().ask()
    theirs_trial = optuna.create_study().ask()
    with pytest.raises(ValueError) as ours:
        getattr(ours_trial, method)(*args, **kwargs)
    with pytest.raises(ValueError) as theirs:
        getattr(theirs_trial, method)(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_log_uniform_rejects_non_positive_low_with_optunas_words():
    with pytest.raises(ValueError, match=r"`low > 0` must hold for `log=True`"):
        search.sample_log_uniform(0.0, 1.0)


def test_direction_must_be_minimize_or_maximize():
    with pytest.raises(ValueError, match="'minimize' or 'maximize'"):
        search.create_study(direction="max")


def test_negative_report_step_is_rejected():
    with pytest.raises(ValueError, match="must be non-negative"):
        search.create_study().ask().report(0.5, -1)


def test_duplicate_report_step_warns_and_keeps_the_first():
    trial = search.create_study().ask()
    trial.report(0.5, 1)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(0.9, 1)
    assert trial.intermediate_values == {1: 0.5}


# ---------------------------------------------------------------------------------------
# Study: optimize, ask / tell, best trial, failures
# ---------------------------------------------------------------------------------------


def test_minimize_is_the_default_and_best_follows_direction():
    low = search.create_study(sampler=search.RandomSampler(seed=0))
    high = search.create_study(direction="maximize", sampler=search.RandomSampler(seed=0))
    for study in (low, high):
        study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=30)
    values = [t.value for t in low.trials]
    assert low.best_value == min(values) and high.best_value == max(values)
    assert low.best_params == low.best_trial.params


def test_no_complete_trial_has_no_best():
    with pytest.raises(ValueError, match="No trials are completed yet"):
        search.create_study().best_value  # noqa: B018


def test_ask_tell_numbers_trials_and_records_values():
    study = search.create_study(direction="maximize")
    trials = [study.ask() for _ in range(3)]
    assert [t.number for t in trials] == [0, 1, 2]
    assert [t.state for t in study.trials] == [search.TrialState.RUNNING] * 3
    study.tell(trials[1], 0.7)
    study.tell(trials[0], [0.2])
    with pytest.warns(UserWarning, match="The value nan is not acceptable"):
        study.tell(2, float("nan"))
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert study.best_trial.number == 1


def test_tell_rejects_a_finished_trial():
    study = search.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="Cannot tell a COMPLETE trial"):
        study.tell(trial, 2.0)


def test_several_values_for_one_objective_fail_the_trial_as_in_optuna():
    study = search.create_study()
    with pytest.warns(UserWarning, match="did not match the number of the objectives 1"):
        told = study.tell(study.ask(), [1.0, 2.0])
    assert told.state == search.TrialState.FAIL and told.value is None


def test_pruned_trial_keeps_last_intermediate_value_like_optuna():
    def objective(trial):
        trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(0.1 * step, step)
        raise search.TrialPruned()

    ours = search.create_study(sampler=search.RandomSampler(seed=0))
    theirs = optuna.create_study()
    for study in (ours, theirs):
        study.optimize(objective, n_trials=1)
    assert ours.trials[0].state.name == theirs.trials[0].state.name == "PRUNED"
    assert ours.trials[0].value == theirs.trials[0].value == pytest.approx(0.2)


def test_failing_objective_is_recorded_and_raises_unless_caught():
    def objective(trial):
        if trial.number == 1:
            raise RuntimeError("boom")
        return trial.suggest_float("x", 0, 1)

    study = search.create_study()
    with pytest.raises(RuntimeError, match="boom"):
        study.optimize(objective, n_trials=3)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"]
    study.optimize(objective, n_trials=2, catch=RuntimeError)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]


def test_callbacks_see_every_finished_trial_and_can_stop():
    seen = []

    def callback(study, trial):
        seen.append(trial.number)
        if trial.number == 3:
            study.stop()

    study = search.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, callbacks=[callback])
    assert seen == [0, 1, 2, 3]


def test_negative_n_trials_is_rejected():
    with pytest.raises(ValueError, match="n_trials must be non-negative"):
        search.create_study().optimize(lambda t: 0.0, n_trials=-1)


def test_timeout_ends_the_search():
    study = search.create_study()
    study.optimize(lambda t: time.sleep(0.02) or 0.0, timeout=0.05)
    assert 1 <= len(study.trials) <= 10


def test_namespaces_mirror_optunas_modules():
    assert search.samplers.RandomSampler is search.RandomSampler
    assert search.pruners.SuccessiveHalvingPruner is search.SuccessiveHalvingPruner
    assert issubclass(search.TrialPruned, optuna.TrialPruned)
    assert issubclass(search.DuplicatedStudyError, optuna.exceptions.DuplicatedStudyError)


# ---------------------------------------------------------------------------------------
# Grid search
# ---------------------------------------------------------------------------------------

GRID = {"lr": [0.001, 0.01, 0.1], "layers": [1, 2], "optimizer": ["sgd", "adam"]}


def grid_objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    return (math.log10(lr) + 2) ** 2 + layers + (optimizer == "adam")


def test_grid_covers_the_product_exactly_once_and_stops():
    study = search.create_study(sampler=search.GridSampler(GRID, seed=3))
    study.optimize(grid_objective, n_trials=100)
    points = [(t.params["lr"], t.params["layers"], t.params["optimizer"]) for t in study.trials]
    assert len(points) == 12
    assert sorted(points, key=str) == sorted(itertools.product(*GRID.values()), key=str)
    assert study.sampler.is_exhausted(study)


def test_grid_search_finds_the_same_best_trial_as_optunas():
    """Both GridSamplers promise every grid point once, so the best trial must agree."""
    ours = search.create_study(sampler=search.GridSampler(GRID))
    theirs = optuna.create_study(sampler=optuna.samplers.GridSampler(GRID))
    ours.optimize(grid_objective)
    theirs.optimize(grid_objective)
    assert ours.best_params == theirs.best_params
    assert ours.best_value == theirs.best_value
    assert len(ours.trials) == len(theirs.trials) == 12


def test_grid_rejects_unknown_parameter_and_empty_values():
    with pytest.raises(ValueError, match="at least one value"):
        search.GridSampler({"lr": []})
    study = search.create_study(sampler=search.GridSampler({"lr": [0.1]}))
    with pytest.raises(ValueError, match="The parameter name, momentum, is not found"):
        study.optimize(lambda t: t.suggest_float("momentum", 0, 1), n_trials=1)


def test_grid_value_outside_the_suggested_range_warns():
    study = search.create_study(sampler=search.GridSampler({"lr": [5.0]}))
    with pytest.warns(UserWarning, match="out of range"):
        study.optimize(lambda t: t.suggest_float("lr", 0, 1), n_trials=1)


# ---------------------------------------------------------------------------------------
# Storage and resume
# ---------------------------------------------------------------------------------------


def quadratic(trial):
    return (trial.suggest_float("x", -3, 3) - 1) ** 2 + trial.suggest_int("n", 0, 4)


def test_storage_round_trip_and_duplicate_study(tmp_path):
    path = tmp_path / "runs.jsonl"
    study = search.create_study(storage=path, sampler=search.RandomSampler(seed=0),
                                study_name="demo")
    study.optimize(quadratic, n_trials=5)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"kind": "study", "study_name": "demo", "direction": "minimize"}
    assert len(lines) == 6
    with pytest.raises(search.DuplicatedStudyError, match="load_if_exists"):
        search.create_study(storage=path)
    loaded = search.create_study(storage=path, load_if_exists=True)
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    assert [t.value for t in loaded.trials] == [t.value for t in study.trials]
    assert loaded.trials[0].distributions == study.trials[0].distributions
    assert loaded.study_name == "demo"


def test_resume_rejects_another_direction_or_name(tmp_path):
    path = tmp_path / "runs.jsonl"
    search.create_study(storage=path, study_name="a").optimize(quadratic, n_trials=1)
    with pytest.raises(ValueError, match="Cannot overwrite study direction"):
        search.create_study(storage=path, direction="maximize", load_if_exists=True)
    with pytest.raises(ValueError, match="study_name must match"):
        search.create_study(storage=path, study_name="b", load_if_exists=True)


def test_server_database_urls_are_optunas_job():
    with pytest.raises(ValueError, match=r"'postgresql://u@h/db'.*use Optuna"):
        search.create_study(storage="postgresql://u@h/db")


def test_a_half_written_last_line_is_cut_off(tmp_path):
    path = tmp_path / "runs.jsonl"
    search.create_study(storage=path, sampler=search.RandomSampler(seed=0)).optimize(
        quadratic, n_trials=3)
    with path.open("a") as file:
        file.write('{"kind": "trial", "number": 3, "sta')  # killed in the middle of a write
    resumed = search.create_study(storage=path, sampler=search.RandomSampler(seed=0),
                                  load_if_exists=True)
    assert len(resumed.trials) == 3
    resumed.optimize(quadratic, n_trials=2)
    assert [json.loads(line).get("number") for line in path.read_text().splitlines()[1:]] == [
        0, 1, 2, 3, 4]


def test_a_corrupt_line_names_its_line_number(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text('{"kind": "study", "study_name": "s", "direction": "minimize"}\nnot json\n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        search.create_study(storage=path, load_if_exists=True)


WORKER = textwrap.dedent("""
    import sys, time
    from course_utils import search

    def objective(trial):
        value = (trial.suggest_float("x", -3, 3) - 1) ** 2 + trial.suggest_int("n", 0, 4)
        time.sleep(0.05)
        return value

    path, total = sys.argv[1], int(sys.argv[2])
    storage = search.storages.JournalStorage(search.storages.journal.JournalFileBackend(path))
    study = search.create_study(storage=storage, sampler=search.samplers.RandomSampler(seed=7),
                                load_if_exists=True)
    study.optimize(objective, n_trials=total - len(study.trials))
""")


@pytest.mark.slow
def test_resume_after_killing_a_real_search_process(tmp_path):
    """SIGKILL a running search, restart it: no finished trial lost, none repeated, and the
    result is the same as a search that never stopped."""
    script, path = tmp_path / "worker.py", tmp_path / "runs.jsonl"
    script.write_text(WORKER)
    process = subprocess.Popen([sys.executable, str(script), str(path), "30"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) >= 8:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the search ended before it could be killed"
    before_kill = path.read_text().splitlines()
    assert 8 <= len(before_kill) < 31
    subprocess.run([sys.executable, str(script), str(path), "30"], check=True, timeout=120)
    after = path.read_text().splitlines()
    assert after[: len(before_kill)] == before_kill  # finished trials kept as they were
    numbers = [json.loads(line)["number"] for line in after[1:]]
    assert numbers == list(range(30))  # none lost, none repeated
    uninterrupted = search.create_study(sampler=search.RandomSampler(seed=7))
    uninterrupted.optimize(quadratic, n_trials=30)
    resumed = search.create_study(storage=path, load_if_exists=True)
    assert [t.params for t in resumed.trials] == [t.params for t in uninterrupted.trials]
    assert [t.value for t in resumed.trials] == [t.value for t in uninterrupted.trials]


# ---------------------------------------------------------------------------------------
# Early stopping, successive halving, the pruner
# ---------------------------------------------------------------------------------------


def reference_stop(values, patience):
    """Brute force: the first epoch with `patience` evaluations since the last improvement."""
    best, best_epoch = -math.inf, 0
    for epoch, value in enumerate(values, start=1):
        if value > best:
            best, best_epoch = value, epoch
        elif epoch - best_epoch >= patience:
            return epoch
    return len(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 20).map(lambda v: v / 20), min_size=1, max_size=40),
       st.integers(1, 6))
def test_early_stopping_replay_matches_brute_force(values, patience):
    rule = search.EarlyStopping(patience)
    assert rule.replay(values) == reference_stop(values, patience)
    stop = rule.replay(values)
    assert rule.best_value == max(values[:stop])


def test_early_stopping_in_fit_stops_where_the_replay_says():
    x, y = make_moons(200, noise=0.3, seed=0)
    data, val = (x[:100], y[:100]), (x[100:], y[100:])

    def run(callback=None):
        model = mlp([2, 16, 2], generator=torch.Generator().manual_seed(0), init="he_normal")
        return fit(model, data, val=val, epochs=40, batch_size=50, lr=0.2, seed=0,
                   progress=False, eval_train=False, callback=callback)

    full = run()
    rule = search.EarlyStopping(3, metric="val_loss")
    expected = rule.replay(full.val_loss)
    stopped = run(search.EarlyStopping(3, metric="val_loss"))
    assert expected < 40, "pick a setting where the rule fires"
    assert stopped.epoch[-1] == expected
    assert stopped.val_loss == full.val_loss[:expected]


def test_early_stopping_rejects_bad_arguments():
    with pytest.raises(ValueError, match="patience must be at least 1"):
        search.EarlyStopping(0)
    with pytest.raises(ValueError, match="min_delta must be non-negative"):
        search.EarlyStopping(2, min_delta=-0.1)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        search.EarlyStopping(2, mode="up")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 120), st.integers(2, 4), st.integers(1, 4), st.integers(0, 2**31))
def test_successive_halving_keeps_the_top_share_each_rung(n, eta, min_resource, seed):
    table = np.random.default_rng(seed).random((n, 200))  # score of candidate i after r epochs

    result = search.successive_halving(
        n, lambda ids, r: [table[i, r] for i in ids], min_resource=min_resource,
        max_resource=81, reduction_factor=eta)
    for rung in range(1, len(result.resources)):
        previous, scores = result.candidates[rung - 1], result.scores[rung - 1]
        keep = max(1, len(previous) // eta)
        best_first = [previous[i] for i in np.argsort(-np.asarray(scores), kind="stable")[:keep]]
        assert result.candidates[rung] == best_first
        assert result.resources[rung] == min(result.resources[rung - 1] * eta, 81)
    last = result.scores[-1]
    assert result.best_score == max(last)
    assert result.best_index == result.candidates[-1][int(np.argmax(last))]
    spent = sum(len(c) * (r - p) for c, r, p in zip(
        result.candidates, result.resources, [0] + result.resources[:-1], strict=True))
    assert result.total_resource == spent


def test_successive_halving_without_resume_pays_each_rung_in_full():
    result = search.successive_halving(9, lambda ids, r: [float(i) for i in ids],
                                       min_resource=1, max_resource=9, reduction_factor=3,
                                       resume=False)
    assert result.resources == [1, 3, 9] and [len(c) for c in result.candidates] == [9, 3, 1]
    assert result.total_resource == 9 * 1 + 3 * 3 + 1 * 9
    assert result.best_index == 8


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50), st.integers(2, 5),
       st.sampled_from(["maximize", "minimize"]))
def test_halving_survivors_are_the_best_positions(scores, eta, direction):
    survivors = search.halving_survivors(scores, eta, direction=direction)
    keep = max(1, len(scores) // eta)
    signed = -np.asarray(scores) if direction == "maximize" else np.asarray(scores)
    assert survivors == np.argsort(signed, kind="stable")[:keep].tolist()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: search.halving_survivors([], 3), "at least one score"),
    (lambda: search.halving_survivors([0.1], 1), "reduction_factor must be at least 2"),
    (lambda: search.halving_survivors([0.1], 3, direction="up"), "direction must be"),
    (lambda: search.successive_halving(0, None, min_resource=1, max_resource=2), "n_candidates"),
    (lambda: search.successive_halving(3, None, min_resource=3, max_resource=2), "min_resource"),
])
def test_halving_rejects_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def run_pruned_search(study, curves):
    """Each trial reports its curve step by step and asks the pruner after every step."""
    decisions = []
    for curve in curves:
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        for step, value in enumerate(curve, start=1):
            trial.report(value, step)
            if trial.should_prune():
                decisions.append(step)
                study.tell(trial, state=study_state(study, "PRUNED"))
                break
        else:
            decisions.append(None)
            study.tell(trial, curve[-1])
    return decisions


def study_state(study, name):
    return (optuna.trial.TrialState if isinstance(study, optuna.Study) else search.TrialState)[name]


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_successive_halving_pruner_decides_like_optunas(direction):
    curves = np.random.default_rng(0).random((40, 30)).cumsum(axis=1).tolist()
    ours = search.create_study(direction=direction,
                               pruner=search.SuccessiveHalvingPruner(min_resource=2,
                                                                     reduction_factor=3))
    theirs = optuna.create_study(direction=direction,
                                 pruner=optuna.pruners.SuccessiveHalvingPruner(
                                     min_resource=2, reduction_factor=3))
    assert run_pruned_search(ours, curves) == run_pruned_search(theirs, curves)


def test_successive_halving_pruner_rejects_bad_arguments():
    with pytest.raises(ValueError, match="min_resource"):
        search.SuccessiveHalvingPruner(min_resource=0)
    with pytest.raises(ValueError) as ours:
        search.SuccessiveHalvingPruner(reduction_factor=1)
    with pytest.raises(ValueError) as theirs:
        optuna.pruners.SuccessiveHalvingPruner(reduction_factor=1)
    assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------------------------------
# k-fold cross-validation
# ---------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, n))),
       st.one_of(st.none(), st.integers(0, 1000)))
def test_kfold_partitions_every_index_exactly_once(n_k, seed):
    n, k = n_k
    folds = search.kfold_indices(n, k, seed=seed)
    assert len(folds) == k
    validation = torch.cat([val for _, val in folds])
    assert sorted(validation.tolist()) == list(range(n))
    sklearn_sizes = [len(test) for _, test in KFold(k).split(np.zeros(n))]
    assert [len(val) for _, val in folds] == sklearn_sizes
    for train, val in folds:
        assert torch.equal(torch.cat([train, val]).sort().values, torch.arange(n))
        assert torch.equal(train, train.sort().values) and torch.equal(val, val.sort().values)


@pytest.mark.parametrize(("n", "k"), [(10, 3), (7, 7), (100, 6)])
def test_unshuffled_kfold_equals_scikit_learn(n, k):
    ours = search.kfold_indices(n, k, seed=None)
    theirs = list(KFold(k).split(np.zeros(n)))
    for (train, val), (their_train, their_val) in zip(ours, theirs, strict=True):
        assert train.tolist() == their_train.tolist() and val.tolist() == their_val.tolist()


@pytest.mark.parametrize(("n", "k"), [(10, 1), (3, 5)])
def test_kfold_errors_use_scikit_learns_words(n, k):
    with pytest.raises(ValueError) as ours:
        search.kfold_indices(n, k, seed=0)
    with pytest.raises(ValueError) as theirs:
        list(KFold(k).split(np.zeros(n)))
    assert str(ours.value) == str(theirs.value)


def test_cross_val_scores_shape_and_indivisible_data():
    x, y = make_moons(60, noise=0.2, seed=1)
    scores = search.cross_val_scores([{"lr": 0.1}, {"lr": 0.5, "weight_decay": 1e-4}], (x, y),
                                     k=3, seed=0, sizes=[2, 8, 2], epochs=3, batch_size=10)
    assert scores.shape == (2, 3) and bool(((scores >= 0) & (scores <= 1)).all())
    with pytest.raises(ValueError, match="multiple of k"):
        search.cross_val_scores([{"lr": 0.1}], (x[:59], y[:59]), k=3, seed=0, sizes=[2, 8, 2],
                                epochs=1)


# ---------------------------------------------------------------------------------------
# Training trials side by side
# ---------------------------------------------------------------------------------------


def test_side_by_side_training_equals_fit_one_after_another(mnist):
    (x, y), _ = mnist
    train, val = (x[:200], y[:200]), (x[200:300], y[200:300])
    configs = [{"lr": 0.05, "weight_decay": 1e-3}, {"lr": 0.01}, {"lr": 1e-4, "weight_decay": 0.1}]
    sizes = [784, 32, 32, 10]
    models, histories = search.train_configs(configs, train, val=val, sizes=sizes, epochs=3,
                                             batch_size=50, seed=4, init_seeds=[0, 1, 2],
                                             eval_train=True)
    for i, config in enumerate(configs):
        alone = mlp(sizes, init="he_normal", generator=torch.Generator().manual_seed(i))
        expected = fit(alone, train, val=val, epochs=3, batch_size=50, lr=config["lr"],
                       weight_decay=config.get("weight_decay", 0.0), seed=4, progress=False)
        for ours, theirs in zip(models[i].parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
        assert histories[i].val_acc == pytest.approx(expected.val_acc)
        assert histories[i].train_loss == pytest.approx(expected.train_loss, rel=1e-5)
        assert histories[i].step_loss == pytest.approx(expected.step_loss, rel=1e-5)


@pytest.mark.parametrize(("configs", "kwargs", "message"), [
    ([], {}, "at least one configuration"),
    ([{"weight_decay": 0.1}], {}, "positive 'lr'"),
    ([{"lr": 0.1, "weight_decay": -1.0}], {}, "weight_decay must be non-negative"),
    ([{"lr": 0.1}], {"init_seeds": [0, 1]}, "one seed per configuration"),
    ([{"lr": 0.1}], {"epochs": 0}, "epochs must be at least 1, but got 0"),
])
def test_train_configs_rejects_bad_arguments(configs, kwargs, message):
    x, y = make_moons(20, seed=0)
    arguments = {"sizes": [2, 4, 2], "epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        search.train_configs(configs, (x, y), **arguments)


def test_dlfs_objective_runs_under_both_libraries_and_prunes(mnist):
    (x, y), _ = mnist
    train, val = (x[:100], y[:100]), (x[100:150], y[100:150])

    def objective(trial):
        return search.dlfs_objective(trial, train, val, epochs=4, lr_range=(1e-4, 0.1))

    ours = search.create_study(direction="maximize", sampler=search.RandomSampler(seed=0),
                               pruner=search.SuccessiveHalvingPruner(1, 2))
    theirs = optuna.create_study(direction="maximize",
                                 sampler=optuna.samplers.RandomSampler(seed=0),
                                 pruner=optuna.pruners.SuccessiveHalvingPruner(1, 2))
    for study in (ours, theirs):
        study.optimize(objective, n_trials=6)
        states = {t.state.name for t in study.trials}
        assert states <= {"COMPLETE", "PRUNED"} and "PRUNED" in states


def test_optuna_worker_joins_a_journal_study(tmp_path):
    journal = str(tmp_path / "journal.log")
    arguments = ["--journal", journal, "--study-name", "s", "--n-trials", "2", "--epochs", "1"]
    assert search.main(arguments) == 0
    assert search.main(arguments + ["--seed", "1"]) == 0
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(journal))
    study = optuna.load_study(study_name="s", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4


# ---------------------------------------------------------------------------------------
# Narrowing, test-set optimism
# ---------------------------------------------------------------------------------------


def study_with_best_at(best_lr):
    study = search.create_study(direction="maximize", sampler=search.RandomSampler(seed=0))
    study.optimize(lambda t: -abs(math.log10(t.suggest_float("lr", 1e-6, 1e-2, log=True))
                                  - math.log10(best_lr)), n_trials=200)
    return study


def test_narrow_range_spans_the_best_trials_and_stays_quiet_inside():
    study = study_with_best_at(1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = search.narrow_range(study.trials, "lr", top=10)
    best_values = sorted(study.trials, key=lambda t: -t.value)[:10]
    assert (low, high) == (min(t.params["lr"] for t in best_values),
                           max(t.params["lr"] for t in best_values))


@pytest.mark.parametrize(("best_lr", "side"), [(1e-2, "upper"), (1e-6, "lower")])
def test_narrow_range_warns_when_the_best_lies_on_a_border(best_lr, side):
    with pytest.warns(search.RangeBorderWarning, match=f"at the {side} border"):
        search.narrow_range(study_with_best_at(best_lr).trials, "lr")


def test_narrow_range_reads_optuna_trials():
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: -abs(math.log10(t.suggest_float("lr", 1e-6, 1e-2, log=True)) + 2.0),
                   n_trials=100)
    with pytest.warns(search.RangeBorderWarning, match="upper border"):
        low, high = search.narrow_range(study.trials, "lr", top=5)
    assert 1e-6 <= low <= high <= 1e-2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"top": 0}, "top must be at least 1"), ({"border": 0.5}, "border must be in"),
    ({"name": "momentum"}, "no complete trial"),
])
def test_narrow_range_rejects_bad_arguments(kwargs, message):
    study = study_with_best_at(1e-4)
    arguments = {"name": "lr", **kwargs}
    with pytest.raises(ValueError, match=message):
        search.narrow_range(study.trials, **arguments)


def test_tuning_on_the_test_set_is_optimistic_and_a_fixed_choice_is_not():
    """50 equally good models (each example right with probability 0.7, independently):
    the one that looks best on 100 test examples looks better than it is; a model fixed in
    advance does not. Tolerances: 5 standard errors of the mean over 2,000 draws."""
    correct = torch.rand(50, 2000, generator=torch.Generator().manual_seed(0)) < 0.7
    picked_reported, picked_fresh = search.selection_optimism(correct, test_size=100,
                                                              n_draws=2000, seed=1)
    fixed_reported, fixed_fresh = search.selection_optimism(correct, test_size=100,
                                                            n_draws=2000, seed=1, chosen=0)
    fixed_gap, picked_gap = fixed_reported - fixed_fresh, picked_reported - picked_fresh
    assert abs(fixed_gap.mean()) < 5 * fixed_gap.std() / math.sqrt(2000)
    assert picked_gap.mean() > 0.05  # the maximum of 50 binomial(100, 0.7) shares is ~0.8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"test_size": 0}, "test_size"), ({"test_size": 10}, "test_size"),
    ({"n_draws": 0}, "n_draws"), ({"chosen": 3}, "chosen"),
])
def test_selection_optimism_rejects_bad_arguments(kwargs, message):
    arguments = {"test_size": 5, "n_draws": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        search.selection_optimism(torch.ones(3, 10), **arguments)


# ---------------------------------------------------------------------------------------
# Explorer and figures
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [1, 9, 25, 64])
def test_search_coverage_counts(budget):
    from course_utils.widgets import coverage_score, search_coverage

    result = search_coverage(budget, seed=2)
    n = math.isqrt(budget)
    assert result["grid"].shape == (budget, 2) and result["random"].shape == (budget, 2)
    assert result["grid_distinct"] == n and result["random_distinct"] == budget
    grid = result["grid"]
    assert result["grid_best"] == coverage_score(grid[:, 0], grid[:, 1]).max().item()


@pytest.mark.parametrize("budget", [0, -4, 10, 30])
def test_search_coverage_rejects_unequal_budgets(budget):
    from course_utils.widgets import search_coverage

    with pytest.raises(ValueError, match=rf"budget must be a square number .* but got {budget}"):
        search_coverage(budget)


def test_search_coverage_explorer_redraws_on_change():
    from course_utils.widgets import SearchCoverageExplorer

    explorer = SearchCoverageExplorer()
    explorer.controls["budget"].value = 16
    assert "4 distinct x" in explorer.last_result.axes[0].get_title()


def test_search_figures_have_titles_and_labels():
    from course_utils import plotting

    scores = [0.1, 0.5, 0.9, 0.3]
    params = {"lr": [1e-4, 1e-3, 1e-2, 1e-1], "wd": [1e-6, 1e-5, 1e-4, 1e-3]}
    curves = [[0.1, 0.2, 0.3, 0.4]] * 4
    halving = search.successive_halving(4, lambda ids, r: [curves[i][r - 1] for i in ids],
                                        min_resource=1, max_resource=4, reduction_factor=2)
    figures = [
        plotting.plot_score_vs_hyperparameter(params["lr"], scores, name="lr", title="t"),
        plotting.plot_search_scatter(params, scores, top=2, title="t", ranges={"lr": (1e-3, 1e-2)}),
        plotting.plot_top_curves(curves, list("abcd"), ncols=3, title="t"),
        plotting.plot_optimism({"a": [0.01, 0.02], "b": [-0.01, 0.0]}),
        plotting.plot_decade_shares(["d1", "d2"], {"u": [0.1, 0.9], "log": [0.5, 0.5]}, title="t"),
        plotting.plot_best_found({"grid": [0.5, 0.6], "random": [0.7, 0.8]}, title="t"),
        plotting.plot_grid_vs_random({"grid": (params["lr"], params["wd"], scores)},
                                     names=("lr", "wd"), background=(params["lr"], params["wd"], scores)),
        plotting.plot_halving(curves, halving.resources, halving.candidates, title="t"),
        plotting.plot_budget_bars({"full": 10, "sh": 4}, {"full": 0.9, "sh": 0.9}, title="t"),
        plotting.plot_cv_scores(torch.rand(3, 4), ["a", "b", "c"], {"single": [1, 2, 0]}, title="t"),
        plotting.plot_study_trials([0, 1, 2], [0.5, None, 0.2], ["COMPLETE", "RUNNING", "PRUNED"],
                                   title="t"),
    ]
    for figure in figures:
        titled = [ax for ax in figure.axes if ax.get_title() or figure._suptitle is not None]
        assert titled, "every figure needs a title"
        assert any(ax.get_xlabel() for ax in figure.axes) or figure._supxlabel is not None
        plt.close(figure)
