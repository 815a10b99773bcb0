"""The chapter's study code (``search.recipes``) run once with ``course_utils.search`` and
once with ``optuna``: ``import optuna as search`` must give the same behaviour."""

from __future__ import annotations

import itertools
import math

import optuna
import pytest

from course_utils import search

pytestmark = pytest.mark.search
optuna.logging.set_verbosity(optuna.logging.WARNING)

LIBRARIES = {"ours": search, "optuna": optuna}
GRID = {"lr": [1e-4, 1e-3, 1e-2], "layers": [1, 3]}


def toy_objective(trial):
    """The chapter's toy score: optimum at lr = 0.01 and 3 layers."""
    lr = trial.suggest_float("lr", 1e-6, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 6)
    return (math.log10(lr) + 2) ** 2 + 0.5 * (layers - 3) ** 2


def storage_for(library, kind, tmp_path):
    if kind == "journal":
        return search.recipes.journal_storage(library, tmp_path / "toy.log")
    return f"sqlite:///{tmp_path / 'toy.db'}"


@pytest.fixture(params=list(itertools.product(LIBRARIES, ["journal", "sqlite"])),
                ids=lambda p: "-".join(p))
def demo(request, tmp_path):
    name, kind = request.param
    library = LIBRARIES[name]
    result = search.recipes.run_study_demo(library, storage_for(library, kind, tmp_path),
                                           toy_objective, n_trials=10, crash_at=6, seed=1,
                                           grid=GRID)
    return library, kind, tmp_path, result


def test_the_trials_before_the_crash_are_the_first_six(demo):
    _, _, _, result = demo
    assert [t.number for t in result.before_crash] == [0, 1, 2, 3, 4, 5]


def test_resuming_loses_and_repeats_no_finished_trial(demo):
    _, _, _, result = demo
    complete = search.recipes.complete_trials(result.resumed)
    numbers = [t.number for t in complete]
    assert len(complete) == 10 and numbers == sorted(set(numbers))
    kept = {t.number: (t.params, t.value) for t in complete}
    assert all(kept[t.number] == (t.params, t.value) for t in result.before_crash)
    assert min(numbers[6:]) > 5  # new trials are numbered after the stored ones


def test_the_best_trial_is_the_best_complete_one(demo):
    _, _, _, result = demo
    complete = search.recipes.complete_trials(result.resumed)
    assert result.best_trial.value == min(t.value for t in complete)
    assert result.resumed.best_params == result.best_trial.params
    assert result.best_trial.number in {t.number for t in complete}
    assert len({t.value for t in complete[:6]}) == 6  # distinct values: "best" means something


def test_a_new_process_sees_the_whole_study(demo):
    library, kind, tmp_path, result = demo
    again = search.recipes.open_study(library, storage_for(library, kind, tmp_path),
                                      study_name="toy", seed=1)
    assert [t.number for t in search.recipes.complete_trials(again)] == [
        t.number for t in search.recipes.complete_trials(result.resumed)]
    assert again.best_value == result.best_trial.value


def test_the_grid_study_visits_every_point_once_and_stops(demo):
    _, _, _, result = demo
    points = [(t.params["lr"], t.params["layers"]) for t in result.grid.trials]
    assert sorted(points) == sorted(itertools.product(GRID["lr"], GRID["layers"]))
    assert result.grid.best_params == {"lr": 1e-2, "layers": 3}  # the toy score's minimum, 0


def test_both_libraries_agree_where_the_samplers_do_not_matter(tmp_path):
    results = {name: search.recipes.run_study_demo(
        library, storage_for(library, "journal", tmp_path / name), toy_objective, grid=GRID)
        for name, library in LIBRARIES.items() if (tmp_path / name).mkdir() is None}
    ours, theirs = results["ours"], results["optuna"]
    assert {t.number for t in ours.before_crash} == {t.number for t in theirs.before_crash}
    assert ({tuple(t.params.items()) for t in ours.grid.trials}
            == {tuple(t.params.items()) for t in theirs.grid.trials})
    assert ours.grid.best_value == theirs.grid.best_value


def test_ours_resumes_to_the_trials_of_a_search_that_never_crashed(tmp_path):
    """Course only: our RandomSampler seeds each trial by its number, Optuna's draws from
    one stream (its resumed values differ from an unbroken run's)."""
    result = search.recipes.run_study_demo(search, search.recipes.journal_storage(
        search, tmp_path / "toy.log"), toy_objective)
    unbroken = search.create_study(sampler=search.samplers.RandomSampler(seed=1))
    unbroken.optimize(toy_objective, n_trials=10)
    assert [t.params for t in result.resumed.trials] == [t.params for t in unbroken.trials]


def test_optuna_reseeded_on_resume_proposes_its_first_values_again(tmp_path):
    """Why the chapter warns: Optuna's RandomSampler(seed=1) in the restarted process starts
    its stream again, so the new trials repeat the first ones; ours draws from the trial
    number and does not."""
    repeated = {}
    for name, library in LIBRARIES.items():
        (tmp_path / name).mkdir()
        result = search.recipes.run_study_demo(
            library, storage_for(library, "journal", tmp_path / name), toy_objective)
        complete = search.recipes.complete_trials(result.resumed)
        repeated[name] = [t.params for t in complete[6:]] == [t.params for t in complete[:4]]
    assert repeated == {"ours": False, "optuna": True}
