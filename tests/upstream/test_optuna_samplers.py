"""Port of optuna/optuna ``tests/samplers_tests/test_samplers.py``: its RandomSampler and
GridSampler parts, with the ``BasicSamplerTestCase`` they run (``optuna/testing/pytest_samplers.py``).

Upstream: repository optuna/optuna, paths tests/samplers_tests/test_samplers.py and
optuna/testing/pytest_samplers.py, commit 1d8ce7bb6f3c7274a7a31a0a007991995085baa7 (the copy
read; its ``optuna/version.py`` says 5.0.0.dev; its pytest_samplers.py is the installed optuna
5.0.0's, byte for byte). The real run is against the installed optuna 5.0.0, which every
ported test passes: the file needs nothing newer.

Ported: ``TestBasicSampler`` with its ``RandomSampler`` parametrization, and the
``RandomSampler`` / ``GridSampler`` parametrizations of test_sampler_reseed_rng,
test_reseed_rng_change_sampling, test_reproducible, test_reproducible_in_other_process and
test_pickle_random_sampler. Not ported (other samplers, outside the brief): the TPE, CMA-ES,
NSGA-II/III, QMC, GP and PartialFixedSampler parametrizations, ``TestRelativeSampler``,
``TestMultiObjectiveSampler``, ``TestSingleOnlySampler`` and test_sample_relative.

Plumbing: ``import optuna`` -> ``impl.optuna`` (the package ``course_utils.search``, or
``optuna`` with COURSE_UPSTREAM=real); ``_create_new_trial(study)`` (a trial made through the
storage's ``create_new_trial`` / ``get_trial``, storage internals) -> ``study.ask()``, for both
implementations (RandomSampler does not look at the trial beyond its number);
test_reproducible_in_other_process starts its processes from
``multiprocessing.get_context("spawn")`` instead of switching the whole test process with
``set_start_method("spawn", force=True)``, shuts its manager down, and runs upstream's
``run_optimize`` from ``_optuna_spawned.py`` (so each fresh process imports only the package
under test); ``@pytest.mark.slow``
is kept only where the test is slow here (test_reproducible_in_other_process). Assertions,
distributions and trial counts are upstream's.

Skipped for both (not claimed by course_utils.search): ``optuna.create_trial`` /
``Study.add_trial`` (test_conditional_sample_independent); ``PartialFixedSampler``
(test_partial_fixed_sampling); the samplers' ``LazyRandomState`` internals (``_rng``:
test_sampler_reseed_rng, test_pickle_random_sampler) -- the course's RandomSampler seeds one
generator per (seed, trial number, parameter name) instead of holding one stream.
"""

# ruff: noqa: B023, SIM118  (upstream's names and idioms, kept verbatim)

from __future__ import annotations

import multiprocessing
import os
import pickle
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.managers import DictProxy
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from _optuna_spawned import run_optimize
from _pytest.fixtures import SubRequest
from _pytest.mark.structures import MarkDecorator
from _upstream_impl import REAL, impl, not_claimed

pytestmark = pytest.mark.upstream

optuna = impl.optuna
BaseDistribution = Any  # optuna.distributions.BaseDistribution (a type annotation here)
CategoricalChoiceType = Any  # optuna.distributions.CategoricalChoiceType
CategoricalDistribution = optuna.distributions.CategoricalDistribution
FloatDistribution = optuna.distributions.FloatDistribution
IntDistribution = optuna.distributions.IntDistribution
BaseSampler = optuna.samplers.BaseSampler
FrozenTrial = optuna.trial.FrozenTrial
Trial = optuna.trial.Trial
TrialState = optuna.trial.TrialState
Study = optuna.study.Study
if REAL:
    from optuna.samplers._lazy_random_state import LazyRandomState
else:  # only the skipped tests use it
    LazyRandomState = None

ADD_TRIAL = "optuna.create_trial and Study.add_trial"
PARTIAL_FIXED = "PartialFixedSampler"
LAZY_RANDOM_STATE = ("the samplers' LazyRandomState internals (_rng); the course's RandomSampler "
                     "seeds a generator per trial and parameter")


# ---------------------------------------------------------------------------------------
# optuna/testing/pytest_samplers.py
# ---------------------------------------------------------------------------------------


def parametrize_suggest_method(name: str) -> MarkDecorator:
    return pytest.mark.parametrize(
        f"suggest_method_{name}",
        [
            lambda t: t.suggest_float(name, 0, 10),
            lambda t: t.suggest_int(name, 0, 10),
            lambda t: t.suggest_categorical(name, [0, 1, 2]),
            lambda t: t.suggest_float(name, 0, 10, step=0.5),
            lambda t: t.suggest_float(name, 1e-7, 10, log=True),
            lambda t: t.suggest_int(name, 1, 10, log=True),
        ],
    )


def _create_new_trial(study: Study) -> Trial:
    # upstream: study._storage.create_new_trial(study._study_id), then get_trial (storage internals)
    return study.ask()


class _BaseSamplerTestCase:
    @pytest.fixture
    def sampler(self) -> Callable[[], BaseSampler]:
        raise NotImplementedError


class BasicSamplerTestCase(_BaseSamplerTestCase):
    @pytest.mark.parametrize(
        "distribution",
        [
            FloatDistribution(-1.0, 1.0),
            FloatDistribution(0.0, 1.0),
            FloatDistribution(-1.0, 0.0),
            FloatDistribution(1e-7, 1.0, log=True),
            FloatDistribution(-10, 10, step=0.1),
            FloatDistribution(-10.2, 10.2, step=0.1),
        ],
    )
    def test_float(
        self,
        sampler: Callable[[], BaseSampler],
        distribution: FloatDistribution,
    ) -> None:
        study = optuna.study.create_study(sampler=sampler())
        points = np.array(
            [
                study.sampler.sample_independent(
                    study, _create_new_trial(study), "x", distribution
                )
                for _ in range(100)
            ]
        )
        assert np.all(points >= distribution.low)
        assert np.all(points <= distribution.high)
        assert not isinstance(
            study.sampler.sample_independent(study, _create_new_trial(study), "x", distribution),
            np.floating,
        )

        if distribution.step is not None:
            # Check all points are multiples of distribution.step.
            points -= distribution.low
            points /= distribution.step
            round_points = np.round(points)
            np.testing.assert_almost_equal(round_points, points)

    @pytest.mark.parametrize(
        "distribution",
        [
            IntDistribution(-10, 10),
            IntDistribution(0, 10),
            IntDistribution(-10, 0),
            IntDistribution(-10, 10, step=2),
            IntDistribution(0, 10, step=2),
            IntDistribution(-10, 0, step=2),
            IntDistribution(1, 100, log=True),
        ],
    )
    def test_int(self, sampler: Callable[[], BaseSampler], distribution: IntDistribution) -> None:
        study = optuna.study.create_study(sampler=sampler())
        points = np.array(
            [
                study.sampler.sample_independent(
                    study, _create_new_trial(study), "x", distribution
                )
                for _ in range(100)
            ]
        )
        assert np.all(points >= distribution.low)
        assert np.all(points <= distribution.high)
        assert not isinstance(
            study.sampler.sample_independent(study, _create_new_trial(study), "x", distribution),
            np.integer,
        )

    @pytest.mark.parametrize("choices", [(1, 2, 3), ("a", "b", "c"), (1, "a")])
    def test_categorical(
        self, sampler: Callable[[], BaseSampler], choices: Sequence[CategoricalChoiceType]
    ) -> None:
        distribution = CategoricalDistribution(choices)

        study = optuna.study.create_study(sampler=sampler())

        def sample() -> float:
            trial = _create_new_trial(study)
            param_value = study.sampler.sample_independent(study, trial, "x", distribution)
            return float(distribution.to_internal_repr(param_value))

        points = np.asarray([sample() for i in range(100)])

        # 'x' value is corresponding to an index of distribution.choices.
        assert np.all(points >= 0)
        assert np.all(points <= len(distribution.choices) - 1)
        round_points = np.round(points)
        np.testing.assert_almost_equal(round_points, points)

    @not_claimed(ADD_TRIAL)
    def test_conditional_sample_independent(self, sampler: Callable[[], BaseSampler]) -> None:
        # This test case reproduces the error reported in #2734.
        # See https://github.com/optuna/optuna/pull/2734#issuecomment-857649769.

        study = optuna.study.create_study(sampler=sampler())
        categorical_distribution = CategoricalDistribution(choices=["x", "y"])
        dependent_distribution = CategoricalDistribution(choices=["a", "b"])

        study.add_trial(
            optuna.create_trial(
                params={"category": "x", "x": "a"},
                distributions={"category": categorical_distribution, "x": dependent_distribution},
                value=0.1,
            )
        )

        study.add_trial(
            optuna.create_trial(
                params={"category": "y", "y": "b"},
                distributions={"category": categorical_distribution, "y": dependent_distribution},
                value=0.1,
            )
        )

        _trial = _create_new_trial(study)
        category = study.sampler.sample_independent(
            study, _trial, "category", categorical_distribution
        )
        assert category in ["x", "y"]
        value = study.sampler.sample_independent(study, _trial, category, dependent_distribution)
        assert value in ["a", "b"]

    def test_nan_objective_value(self, sampler: Callable[[], BaseSampler]) -> None:
        study = optuna.create_study(sampler=sampler())

        def objective(trial: Trial, base_value: float) -> float:
            return trial.suggest_float("x", 0.1, 0.2) + base_value

        # Non NaN objective values.
        for i in range(10, 1, -1):
            study.optimize(lambda t: objective(t, i), n_trials=1, catch=())
        assert int(study.best_value) == 2

        # NaN objective values.
        study.optimize(lambda t: objective(t, float("nan")), n_trials=1, catch=())
        assert int(study.best_value) == 2

        # Non NaN objective value.
        study.optimize(lambda t: objective(t, 1), n_trials=1, catch=())
        assert int(study.best_value) == 1

    @not_claimed(PARTIAL_FIXED)
    def test_partial_fixed_sampling(self, sampler: Callable[[], BaseSampler]) -> None:
        study = optuna.create_study(sampler=sampler())

        def objective(trial: Trial) -> float:
            x = trial.suggest_float("x", -1, 1)
            y = trial.suggest_int("y", -1, 1)
            z = trial.suggest_float("z", -1, 1)
            return x + y + z

        # First trial.
        study.optimize(objective, n_trials=1)

        # Second trial. Here, the parameter ``y`` is fixed as 0.
        fixed_params = {"y": 0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.sampler = optuna.samplers.PartialFixedSampler(fixed_params, study.sampler)
        study.optimize(objective, n_trials=1)
        trial_params = study.trials[-1].params
        assert trial_params["y"] == fixed_params["y"]

    def test_sample_single_distribution(self, sampler: Callable[[], BaseSampler]) -> None:
        relative_search_space = {
            "a": CategoricalDistribution([1]),
            "b": IntDistribution(low=1, high=1),
            "c": IntDistribution(low=1, high=1, log=True),
            "d": FloatDistribution(low=1.0, high=1.0),
            "e": FloatDistribution(low=1.0, high=1.0, log=True),
            "f": FloatDistribution(low=1.0, high=1.0, step=1.0),
        }

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler_ = sampler()
        study = optuna.study.create_study(sampler=sampler_)

        # We need to test the construction of the model, so we should set `n_trials >= 2`.
        for _ in range(2):
            trial = study.ask(fixed_distributions=relative_search_space)
            study.tell(trial, 1.0)
            for param_name in relative_search_space.keys():
                assert trial.params[param_name] == 1

    @parametrize_suggest_method("x")
    def test_single_parameter_objective(
        self, sampler: Callable[[], BaseSampler], suggest_method_x: Callable[[Trial], float]
    ) -> None:
        def objective(trial: Trial) -> float:
            return suggest_method_x(trial)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler_ = sampler()

        study = optuna.study.create_study(sampler=sampler_)
        study.optimize(objective, n_trials=10)

        assert len(study.trials) == 10
        assert all(t.state == TrialState.COMPLETE for t in study.trials)

    def test_conditional_parameter_objective(self, sampler: Callable[[], BaseSampler]) -> None:
        def objective(trial: Trial) -> float:
            x = trial.suggest_categorical("x", [True, False])
            if x:
                return trial.suggest_float("y", 0, 1)
            return trial.suggest_float("z", 0, 1)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler_ = sampler()

        study = optuna.study.create_study(sampler=sampler_)
        study.optimize(objective, n_trials=10)

        assert len(study.trials) == 10
        assert all(t.state == TrialState.COMPLETE for t in study.trials)

    @parametrize_suggest_method("x")
    @parametrize_suggest_method("y")
    def test_combination_of_different_distributions_objective(
        self,
        sampler: Callable[[], BaseSampler],
        suggest_method_x: Callable[[Trial], float],
        suggest_method_y: Callable[[Trial], float],
    ) -> None:
        def objective(trial: Trial) -> float:
            return suggest_method_x(trial) + suggest_method_y(trial)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler_ = sampler()

        study = optuna.study.create_study(sampler=sampler_)
        study.optimize(objective, n_trials=3)

        assert len(study.trials) == 3
        assert all(t.state == TrialState.COMPLETE for t in study.trials)

    @pytest.mark.parametrize(
        "second_low,second_high",
        [
            (0, 5),  # Narrow range.
            (0, 20),  # Expand range.
            (20, 30),  # Set non-overlapping range.
        ],
    )
    def test_dynamic_range_objective(
        self, sampler: Callable[[], BaseSampler], second_low: int, second_high: int
    ) -> None:
        def objective(trial: Trial, low: int, high: int) -> float:
            v = trial.suggest_float("x", low, high)
            v += trial.suggest_int("y", low, high)
            return v

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler_ = sampler()

        study = optuna.study.create_study(sampler=sampler_)
        study.optimize(lambda t: objective(t, 0, 10), n_trials=10)
        study.optimize(lambda t: objective(t, second_low, second_high), n_trials=10)

        assert len(study.trials) == 20
        assert all(t.state == TrialState.COMPLETE for t in study.trials)



# ---------------------------------------------------------------------------------------
# tests/samplers_tests/test_samplers.py (the RandomSampler and GridSampler parts)
# ---------------------------------------------------------------------------------------

sampler_class_with_seed: dict[str, Callable[[int], BaseSampler]] = {
    "RandomSampler": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}
param_sampler_with_seed = []
param_sampler_name_with_seed = []
for sampler_name, sampler_class in sampler_class_with_seed.items():
    param_sampler_with_seed.append(pytest.param(sampler_class, id=sampler_name))
    param_sampler_name_with_seed.append(pytest.param(sampler_name))
parametrize_sampler_with_seed = pytest.mark.parametrize(
    "sampler_class_with_seed", param_sampler_with_seed
)
parametrize_sampler_name_with_seed = pytest.mark.parametrize(
    "sampler_name", param_sampler_name_with_seed
)


# upstream's run_optimize (used only in test_reproducible_in_other_process) is in
# _optuna_spawned.py, which a spawned process imports cheaply; it takes the name of the package
# under test as a fifth argument.


class TestBasicSampler(BasicSamplerTestCase):
    @pytest.fixture(
        params=[
            optuna.samplers.RandomSampler,
        ]
    )
    def sampler(self, request: SubRequest) -> Callable[[], BaseSampler]:
        return request.param


@pytest.fixture
def unset_seed_in_test(request: SubRequest) -> None:
    # Unset the hashseed at beginning and restore it at end regardless of an exception
    # in the test.
    # See https://docs.pytest.org/en/stable/how-to/fixtures.html#adding-finalizers-directly
    # for details.

    hash_seed = os.getenv("PYTHONHASHSEED")
    if hash_seed is not None:
        del os.environ["PYTHONHASHSEED"]

    def restore_seed() -> None:
        if hash_seed is not None:
            os.environ["PYTHONHASHSEED"] = hash_seed

    request.addfinalizer(restore_seed)


@not_claimed(LAZY_RANDOM_STATE)
@pytest.mark.parametrize(
    "sampler_class_reseed_rng,expected_has_rng,expected_has_another_sampler",
    [
        (optuna.samplers.RandomSampler, True, False),
        (lambda: optuna.samplers.GridSampler(search_space={"x": [0]}), True, False),
    ],
)
def test_sampler_reseed_rng(
    sampler_class_reseed_rng: Callable[[], BaseSampler],
    expected_has_rng: bool,
    expected_has_another_sampler: bool,
) -> None:
    def _extract_attr_name_from_sampler_by_cls(sampler: BaseSampler, cls: Any) -> str | None:
        for name, attr in sampler.__dict__.items():
            if isinstance(attr, cls):
                return name
        return None

    sampler = sampler_class_reseed_rng()

    rng_name = _extract_attr_name_from_sampler_by_cls(sampler, LazyRandomState)
    has_rng = rng_name is not None
    assert expected_has_rng == has_rng
    if has_rng:
        rng_name = str(rng_name)
        original_random_state = sampler.__dict__[rng_name].rng.get_state()
        sampler.reseed_rng()
        random_state = sampler.__dict__[rng_name].rng.get_state()
        if not isinstance(sampler, optuna.samplers.CmaEsSampler):
            assert str(original_random_state) != str(random_state)
        else:
            # CmaEsSampler has a RandomState that is not reseed by its reseed_rng method.
            assert str(original_random_state) == str(random_state)

    had_sampler_name = _extract_attr_name_from_sampler_by_cls(sampler, BaseSampler)
    has_another_sampler = had_sampler_name is not None
    assert expected_has_another_sampler == has_another_sampler

    if has_another_sampler:
        had_sampler_name = str(had_sampler_name)
        had_sampler = sampler.__dict__[had_sampler_name]
        had_sampler_rng_name = _extract_attr_name_from_sampler_by_cls(had_sampler, LazyRandomState)
        original_had_sampler_random_state = had_sampler.__dict__[
            had_sampler_rng_name
        ].rng.get_state()
        with patch.object(
            had_sampler,
            "reseed_rng",
            wraps=had_sampler.reseed_rng,
        ) as mock_object:
            sampler.reseed_rng()
            assert mock_object.call_count == 1

        had_sampler = sampler.__dict__[had_sampler_name]
        had_sampler_random_state = had_sampler.__dict__[had_sampler_rng_name].rng.get_state()
        assert str(original_had_sampler_random_state) != str(had_sampler_random_state)


@parametrize_sampler_with_seed
def test_reseed_rng_change_sampling(sampler_class_with_seed: Callable[[int], BaseSampler]) -> None:
    def objective(trial: Trial) -> float:
        a = trial.suggest_float("a", 1, 9)
        b = trial.suggest_float("b", 1, 9, log=True)
        c = trial.suggest_float("c", 1, 9, step=1)
        d = trial.suggest_int("d", 1, 9)
        e = trial.suggest_int("e", 1, 9, log=True)
        f = trial.suggest_int("f", 1, 9, step=2)
        g = trial.suggest_categorical("g", range(1, 10))
        return a + b + c + d + e + f + g

    sampler = sampler_class_with_seed(1)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=15)

    sampler_different_seed = sampler_class_with_seed(1)
    sampler_different_seed.reseed_rng()
    study_different_seed = optuna.create_study(sampler=sampler_different_seed)
    study_different_seed.optimize(objective, n_trials=15)
    assert any(
        [study.trials[i].params != study_different_seed.trials[i].params for i in range(15)]
    )


# We add tests for constant objective functions to ensure the reproducibility of sorting.
@parametrize_sampler_with_seed
@pytest.mark.parametrize("objective_func", [lambda *args: sum(args), lambda *args: 0.0])
def test_reproducible(
    sampler_class_with_seed: Callable[[int], BaseSampler], objective_func: Any
) -> None:
    def objective(trial: Trial) -> float:
        a = trial.suggest_float("a", 1, 9)
        b = trial.suggest_float("b", 1, 9, log=True)
        c = trial.suggest_float("c", 1, 9, step=1)
        d = trial.suggest_int("d", 1, 9)
        e = trial.suggest_int("e", 1, 9, log=True)
        f = trial.suggest_int("f", 1, 9, step=2)
        g = trial.suggest_categorical("g", range(1, 10))
        return objective_func(a, b, c, d, e, f, g)

    study = optuna.create_study(sampler=sampler_class_with_seed(1))
    study.optimize(objective, n_trials=15)

    study_same_seed = optuna.create_study(sampler=sampler_class_with_seed(1))
    study_same_seed.optimize(objective, n_trials=15)
    for i in range(15):
        assert study.trials[i].params == study_same_seed.trials[i].params

    study_different_seed = optuna.create_study(sampler=sampler_class_with_seed(2))
    study_different_seed.optimize(objective, n_trials=15)
    assert any(
        [study.trials[i].params != study_different_seed.trials[i].params for i in range(15)]
    )


@pytest.mark.slow
@parametrize_sampler_name_with_seed
def test_reproducible_in_other_process(sampler_name: str, unset_seed_in_test: None) -> None:
    # This test should be tested without `PYTHONHASHSEED`. However, some tool such as tox
    # set the environmental variable "PYTHONHASHSEED" by default.
    # To do so, this test calls a finalizer: `unset_seed_in_test`.

    # Multiprocessing supports three way to start a process.
    # We use `spawn` option to create a child process as a fresh python process.
    # For more detail, see https://github.com/optuna/optuna/pull/3187#issuecomment-997673037.
    context = multiprocessing.get_context("spawn")  # upstream: set_start_method("spawn", force=True)
    with context.Manager() as manager:  # upstream: manager = multiprocessing.Manager()
        sequence_dict: DictProxy = manager.dict()
        hash_dict: DictProxy = manager.dict()
        for i in range(3):
            p = context.Process(
                target=run_optimize,
                args=(i, sampler_name, sequence_dict, hash_dict, optuna.__name__),
            )
            p.start()
            p.join()

        # Hashes are expected to be different because string hashing is nondeterministic
        # per process.
        assert not (hash_dict[0] == hash_dict[1] == hash_dict[2])
        # But the sequences are expected to be the same.
        assert sequence_dict[0] == sequence_dict[1] == sequence_dict[2]


@not_claimed(LAZY_RANDOM_STATE)
@pytest.mark.parametrize("seed", [0, 169208])
def test_pickle_random_sampler(seed: int) -> None:
    sampler = optuna.samplers.RandomSampler(seed)
    restored_sampler = pickle.loads(pickle.dumps(sampler))
    assert sampler._rng.rng.bytes(10) == restored_sampler._rng.rng.bytes(10)
