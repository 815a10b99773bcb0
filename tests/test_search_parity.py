"""Behaviour that must match Optuna's, call by call: the same call on a trial or study of
each library must return the same, warn the same or raise the same (type and message)."""

from __future__ import annotations

import ast
import math
import warnings

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import search

pytestmark = pytest.mark.search
optuna.logging.set_verbosity(optuna.logging.ERROR)

LIBRARIES = {"ours": search, "optuna": optuna}


def outcome(call):
    """What ``call()`` did: ("returned", value) or ("raised", type name, message), plus the
    warnings it gave as (category name, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("returned", call())
        except Exception as error:  # the test compares exceptions
            result = ("raised", type(error).__name__, str(error))
    return result, [(w.category.__name__, str(w.message)) for w in caught]


def on_both(act):
    """``act(library, trial)`` on a fresh trial of each library (first suggestions made)."""
    results = {}
    for name, library in LIBRARIES.items():
        trial = library.create_study().ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_int("n", 0, 4)
        trial.suggest_categorical("c", ["a", "b"])
        results[name] = outcome(lambda trial=trial, library=library: act(library, trial))
    return results


def same_behaviour(results, *, compare_values=False):
    (ours, ours_warnings), (theirs, their_warnings) = results["ours"], results["optuna"]
    assert ours[0] == theirs[0], results
    if ours[0] == "raised" or compare_values:
        assert ours == theirs
    assert [category for category, _ in ours_warnings] == [c for c, _ in their_warnings]


# ---------------------------------------------------------------------------------------
# Asking for a parameter twice
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("again", [
    lambda t: t.suggest_int("x", 0, 1),  # another kind
    lambda t: t.suggest_float("x", 1e-3, 1.0, log=True),  # another log setting
    lambda t: t.suggest_categorical("c", ["a", "z"]),  # other choices
    lambda t: t.suggest_float("n", 0, 4),  # an int asked as a float
    lambda t: t.suggest_int("n", 1, 4, log=True),
])
def test_asking_again_differently_raises_as_optuna_does(again):
    same_behaviour(on_both(lambda library, trial: again(trial)))


@pytest.mark.parametrize("again", [
    lambda t: t.suggest_float("x", 0.0, 2.0),
    lambda t: t.suggest_int("n", 0, 8),
    lambda t: t.suggest_float("x", 0.0, 1.0),  # the same distribution: no warning
    lambda t: t.suggest_categorical("c", ["a", "b"]),
])
def test_asking_again_with_another_range_warns_and_keeps_the_first_value(again):
    results = on_both(lambda library, trial: again(trial))
    same_behaviour(results)
    (_, ours_warnings), (_, their_warnings) = results["ours"], results["optuna"]

    def words_and_values(message):  # the dict of the first distribution, in any key order
        words, _, values = message.partition("Using these values: ")
        return words, values and ast.literal_eval(values)

    assert ([(c, words_and_values(m)) for c, m in ours_warnings]
            == [(c, words_and_values(m)) for c, m in their_warnings])


def test_asking_again_returns_the_first_value():
    trial = search.create_study().ask()
    first = trial.suggest_float("x", 0, 1)
    with pytest.warns(RuntimeWarning, match="Inconsistent parameter values"):
        assert trial.suggest_float("x", 5, 6) == first
    assert trial.distributions["x"] == search.FloatDistribution(0, 1)


# ---------------------------------------------------------------------------------------
# A step that does not divide the range
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "args", "step"), [
    ("suggest_int", ("m", 0, 10), 3), ("suggest_int", ("m", -5, 6), 4),
    ("suggest_float", ("f", 0, 1), 0.3), ("suggest_float", ("f", 0.1, 0.75), 0.2),
    ("suggest_float", ("f", 0.0, 0.3), 0.1),  # divisible: no warning
])
def test_a_step_off_the_range_moves_high_down_with_optunas_warning(method, args, step):
    results = on_both(lambda library, trial: getattr(trial, method)(*args, step=step) is not None)
    same_behaviour(results, compare_values=True)
    assert results["ours"][1] == results["optuna"][1]
    trials = {name: library.create_study().ask() for name, library in LIBRARIES.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        highs = {name: (getattr(t, method)(*args, step=step), t.distributions[args[0]].high)[1]
                 for name, t in trials.items()}
    assert highs["ours"] == pytest.approx(highs["optuna"])


@settings(max_examples=200, deadline=None)
@given(st.integers(-50, 50), st.integers(1, 100), st.integers(1, 30), st.integers(0, 2**31))
def test_random_float_steps_never_leave_the_range(low_tenths, span_tenths, step_tenths, seed):
    low, high, step = low_tenths / 10, (low_tenths + span_tenths) / 10, step_tenths / 10
    study = search.create_study(sampler=search.samplers.RandomSampler(seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            value = study.ask().suggest_float("p", low, high, step=step)
            assert low <= value <= high
            assert math.isclose(round((value - low) / step), (value - low) / step, abs_tol=1e-9)


def test_the_top_of_a_float_grid_is_high_itself():
    """0 + 3 * 0.1 is 0.30000000000000004 in floating point: clipped to high."""
    study = search.create_study(sampler=search.samplers.RandomSampler(seed=0))
    values = {study.ask().suggest_float("p", 0.0, 0.3, step=0.1) for _ in range(200)}
    assert max(values) == 0.3


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda t: t.report("high", 1), lambda t: t.report(None, 1), lambda t: t.report(0.5, -1),
    lambda t: t.report(0.5, 2), lambda t: (t.report(0.5, 2), t.report(0.7, 2)),
])
def test_report_raises_and_warns_as_optuna_does(call):
    results = on_both(lambda library, trial: call(trial))
    same_behaviour(results, compare_values=True)
    assert results["ours"][1] == results["optuna"][1]


# ---------------------------------------------------------------------------------------
# tell
# ---------------------------------------------------------------------------------------


def state(library, name):
    return getattr(library.trial.TrialState, name)


TELLS = {
    "running": lambda lib: {"state": state(lib, "RUNNING")},
    "waiting": lambda lib: {"state": state(lib, "WAITING")},
    "complete without values": lambda lib: {"state": state(lib, "COMPLETE")},
    "fail with values": lambda lib: {"values": 1.0, "state": state(lib, "FAIL")},
    "pruned with values": lambda lib: {"values": 1.0, "state": state(lib, "PRUNED")},
    "complete": lambda lib: {"values": 1.5, "state": state(lib, "COMPLETE")},
    "value": lambda lib: {"values": 1.5},
    "one value in a list": lambda lib: {"values": [1.5]},
    "nan": lambda lib: {"values": float("nan")},
    "nan, complete": lambda lib: {"values": float("nan"), "state": state(lib, "COMPLETE")},
    "not a number": lambda lib: {"values": None},
    "infinity": lambda lib: {"values": float("inf")},
    "two values": lambda lib: {"values": [1.0, 2.0]},
    "nothing": lambda lib: {},
    "fail": lambda lib: {"state": state(lib, "FAIL")},
    "pruned": lambda lib: {"state": state(lib, "PRUNED")},
}


@pytest.mark.parametrize("case", TELLS)
def test_tell_accepts_and_rejects_what_optuna_does(case):
    results = {}
    for name, library in LIBRARIES.items():
        study = library.create_study()
        trial = study.ask()

        def tell(study=study, trial=trial, library=library):
            told = study.tell(trial, **TELLS[case](library))
            return told.state.name, told.value

        results[name] = outcome(tell)
    same_behaviour(results, compare_values=True)
    assert [c for c, _ in results["ours"][1]] == [c for c, _ in results["optuna"][1]]


@pytest.mark.parametrize("case", ["finished", "never asked"])
def test_tell_rejects_trials_it_cannot_tell_with_optunas_words(case):
    results = {}
    for name, library in LIBRARIES.items():
        study = library.create_study()
        trial = study.ask()
        study.tell(trial, 1.0)
        target = trial if case == "finished" else 99
        results[name] = outcome(lambda study=study, target=target: study.tell(target, 2.0))
    same_behaviour(results, compare_values=True)


# ---------------------------------------------------------------------------------------
# optimize and stop
# ---------------------------------------------------------------------------------------


def test_nested_optimize_raises_as_optuna_does():
    results = {}
    for name, library in LIBRARIES.items():
        study = library.create_study()

        def nested(trial, study=study):
            study.optimize(lambda t: 0.0, n_trials=1)
            return 0.0

        results[name] = outcome(lambda study=study, nested=nested: study.optimize(nested, n_trials=1))
        assert [t.state.name for t in study.trials] == ["FAIL"]
    same_behaviour(results, compare_values=True)


def test_stop_outside_optimize_raises_as_optuna_does():
    same_behaviour({name: outcome(library.create_study().stop)
                    for name, library in LIBRARIES.items()}, compare_values=True)


def test_stop_inside_a_callback_ends_the_search_after_that_trial():
    for library in LIBRARIES.values():
        study = library.create_study()
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10,
                       callbacks=[lambda s, t: s.stop() if t.number == 3 else None])
        assert len(study.trials) == 4


@pytest.mark.filterwarnings("ignore:Trial 1 failed with value nan")
def test_after_trial_gets_optunas_arguments():
    seen = {}
    for name, library in LIBRARIES.items():
        class Recording(library.samplers.RandomSampler):
            def after_trial(self, study, trial, state, values, name=name):
                seen.setdefault(name, []).append((trial.number, state.name, values))
                super().after_trial(study, trial, state, values)

        study = library.create_study(sampler=Recording(seed=0))
        study.optimize(lambda t: 2.0 if t.number == 0 else math.nan, n_trials=2)
    assert seen["ours"] == seen["optuna"] == [(0, "COMPLETE", [2.0]), (1, "FAIL", None)]
