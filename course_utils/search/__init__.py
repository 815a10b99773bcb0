"""Hyperparameter search (chapter 06), laid out like Optuna so a notebook can switch to it.

*Parameters* (weights, biases, BN's gamma and beta) are learned by gradient descent;
*hyperparameters* (layer sizes, learning rate, weight decay, batch size, dropout rate,
optimizer) are chosen by people, by training and scoring candidates on a **validation**
set. This package is the search loop, written small enough to read. Its modules are
Optuna's, plus the course's own lessons:

==================  ==================================================================
module              what it holds (Optuna's name where there is one)
==================  ==================================================================
``study``           :func:`create_study`, :func:`load_study`, :class:`Study`
                    (``optimize``, ``ask`` / ``tell``, ``best_trial``, ``get_trials``),
                    ``StudyDirection``
``trial``           :class:`Trial` (``suggest_*``, ``report``, ``should_prune``),
                    ``FrozenTrial``, ``TrialState``
``distributions``   ``FloatDistribution``, ``IntDistribution``, ``CategoricalDistribution``
``samplers``        ``RandomSampler(seed)``, ``GridSampler(grid, seed)``, ``BaseSampler``;
                    :func:`sample_log_uniform` (the lesson: uniform in the exponent)
``pruners``         ``NopPruner``, ``SuccessiveHalvingPruner``
``storages``        ``JournalStorage(journal.JournalFileBackend(path))`` (JSON lines),
                    ``"sqlite:///path.db"`` URLs (``RDBStorage``), ``InMemoryStorage()``
``exceptions``      :class:`TrialPruned`, ``DuplicatedStudyError`` (Optuna's subclasses),
                    ``ExperimentalWarning``
``stopping``        (course) ``EarlyStopping``, ``successive_halving``, ``halving_survivors``
``validation``      (course) ``kfold_indices``, ``cross_val_scores``, ``selection_optimism``,
                    ``narrow_range``
``dlfs``            (course) the book's search: ``dlfs_data``, ``suggest_dlfs``,
                    ``dlfs_objective``, ``train_configs``
``recipes``         (course) the chapter's study code for either library:
                    ``run_study_demo(search_or_optuna, storage, objective)``
``worker``          ``python -m course_utils.search``: a worker of a real Optuna study
==================  ==================================================================

The names, arguments and error messages are Optuna's (Akiba et al., 2019), so the study
code of the chapter runs with ``import optuna as search``. Deliberate differences: the
default sampler is random search (Optuna's is TPE) and the default pruner never prunes
(Optuna's is ``MedianPruner``); storages keep finished trials only,
and a journal file holds one study written by one process (Optuna's storages are shared by
many workers), and a :class:`Study` does not re-read its storage (Optuna's studies are views
of it); ``optimize`` runs one trial at a time (``n_jobs=1``); a study has one objective (there
is no ``directions`` argument), and there is no ``enqueue_trial`` / ``add_trial``. The old top-level names
(``search.RandomSampler``, ``search.kfold_indices``, ...) still work.
"""

from course_utils.search import (
    distributions,
    dlfs,
    exceptions,
    pruners,
    recipes,
    samplers,
    stopping,
    storages,
    study,
    trial,
    validation,
)
from course_utils.search.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from course_utils.search.dlfs import (
    DLFS_LR_RANGE,
    DLFS_SIZES,
    DLFS_WEIGHT_DECAY_RANGE,
    dlfs_data,
    dlfs_objective,
    suggest_dlfs,
    train_configs,
)
from course_utils.search.exceptions import DuplicatedStudyError, TrialPruned
from course_utils.search.pruners import NopPruner, SuccessiveHalvingPruner
from course_utils.search.samplers import GridSampler, RandomSampler, sample_log_uniform
from course_utils.search.stopping import (
    EarlyStopping,
    HalvingResult,
    halving_survivors,
    successive_halving,
)
from course_utils.search.study import Study, StudyDirection, create_study, load_study
from course_utils.search.trial import FrozenTrial, Trial, TrialState
from course_utils.search.validation import (
    RangeBorderWarning,
    cross_val_scores,
    kfold_indices,
    narrow_range,
    selection_optimism,
)
from course_utils.search.worker import main, optuna_study

__all__ = [
    # Optuna's top level and submodules
    "Study", "Trial", "TrialPruned", "create_study", "distributions", "exceptions",
    "load_study", "pruners", "samplers", "storages", "study", "trial",
    # the course's modules
    "dlfs", "recipes", "stopping", "validation",
    # the old flat names, kept so existing imports work
    "CategoricalDistribution", "DLFS_LR_RANGE", "DLFS_SIZES", "DLFS_WEIGHT_DECAY_RANGE",
    "DuplicatedStudyError", "EarlyStopping", "FloatDistribution", "FrozenTrial", "GridSampler",
    "HalvingResult", "IntDistribution", "NopPruner", "RandomSampler", "RangeBorderWarning",
    "StudyDirection", "SuccessiveHalvingPruner", "TrialState", "cross_val_scores", "dlfs_data",
    "dlfs_objective", "halving_survivors", "kfold_indices", "main", "narrow_range",
    "optuna_study", "sample_log_uniform", "selection_optimism", "successive_halving",
    "suggest_dlfs", "train_configs",
]
