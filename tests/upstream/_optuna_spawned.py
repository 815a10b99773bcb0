"""``run_optimize`` of optuna's ``tests/samplers_tests/test_samplers.py``, for
test_optuna_samplers.py::test_reproducible_in_other_process.

It lives apart from the test module so that a spawned process imports only the search package
under test (``module_name``: ``course_utils.search`` or ``optuna``), not pytest and every
implementation ``_upstream_impl`` loads.
"""

from __future__ import annotations

import importlib
from multiprocessing.managers import DictProxy
from typing import Any


def run_optimize(
    k: int,
    sampler_name: str,
    sequence_dict: DictProxy,
    hash_dict: DictProxy,
    module_name: str,
) -> None:
    optuna: Any = importlib.import_module(module_name)
    sampler_class_with_seed = {"RandomSampler": lambda seed: optuna.samplers.RandomSampler(seed=seed)}

    def objective(trial: Any) -> float:
        a = trial.suggest_float("a", 1, 9)
        b = trial.suggest_float("b", 1, 9, log=True)
        c = trial.suggest_float("c", 1, 9, step=1)
        d = trial.suggest_int("d", 1, 9)
        e = trial.suggest_int("e", 1, 9, log=True)
        f = trial.suggest_int("f", 1, 9, step=2)
        g = trial.suggest_categorical("g", range(1, 10))
        return a + b + c + d + e + f + g

    hash_dict[k] = hash("nondeterministic hash")
    sampler = sampler_class_with_seed[sampler_name](1)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=15)
    sequence_dict[k] = list(study.trials[-1].params.values())
