"""Exceptions of a search, as ``optuna.exceptions``.

==========================  ==============================================================
Optuna                      here
==========================  ==============================================================
``optuna.TrialPruned``      :class:`TrialPruned` (a subclass: ``except optuna.TrialPruned``
                            catches ours too)
``DuplicatedStudyError``    :class:`DuplicatedStudyError` (a subclass of Optuna's)
``ExperimentalWarning``     ``ExperimentalWarning``: Optuna's class itself (nothing here
                            is experimental; code that filters the warning runs unchanged)
==========================  ==============================================================
"""

from __future__ import annotations

from optuna.exceptions import DuplicatedStudyError as _OptunaDuplicatedStudyError
from optuna.exceptions import ExperimentalWarning
from optuna.exceptions import TrialPruned as _OptunaTrialPruned

__all__ = ["DuplicatedStudyError", "ExperimentalWarning", "TrialPruned"]


class TrialPruned(_OptunaTrialPruned):
    """Raise inside an objective to stop a trial that ``should_prune()`` gave up on.

    A subclass of ``optuna.TrialPruned``: one objective works under both libraries.
    """


class DuplicatedStudyError(_OptunaDuplicatedStudyError):
    """A study already exists in the storage and ``load_if_exists`` is False."""
