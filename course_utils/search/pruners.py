"""Pruners, as ``optuna.pruners``: give up on a running trial from its intermediate scores.

=============================  ===========================================================
Optuna                         here
=============================  ===========================================================
``BasePruner``                 :class:`BasePruner` (``prune(study, trial) -> bool``)
``NopPruner``                  :class:`NopPruner` (this package's default: never prunes;
                               Optuna's default is ``MedianPruner``)
``SuccessiveHalvingPruner``    :class:`SuccessiveHalvingPruner` (asynchronous successive
                               halving; the synchronous algorithm is
                               :func:`course_utils.search.stopping.successive_halving`)
=============================  ===========================================================
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from course_utils.search._study_direction import StudyDirection

if TYPE_CHECKING:
    from course_utils.search.study import Study
    from course_utils.search.trial import FrozenTrial

__all__ = ["BasePruner", "NopPruner", "SuccessiveHalvingPruner"]


class BasePruner:
    """What a pruner does: decide from a trial's reported values whether to stop it."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether to stop ``trial`` now."""
        raise NotImplementedError


class NopPruner(BasePruner):
    """Never prunes (this package's default; Optuna's default is ``MedianPruner``)."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Always False."""
        return False


class SuccessiveHalvingPruner(BasePruner):
    r"""Asynchronous successive halving (ASHA; Li et al., 2020), as Optuna's pruner of that name.

    Rung :math:`r` sits at step :math:`s_r = \text{min\_resource} \cdot \eta^r`. When a
    trial reaches a rung, its score there joins the scores of every trial that reached the
    rung before; the trial goes on only if it is in the best :math:`1/\eta` of them (the
    first few trials of a rung, with fewer than :math:`\eta` competitors, go on if they are
    the best so far). Unlike :func:`successive_halving`, no trial waits for the others.

    Args:
        min_resource: steps (epochs) before the first decision.
        reduction_factor: :math:`\eta`, the inverse of the share that goes on (≥ 2).

    Raises:
        ValueError: ``min_resource < 1`` or ``reduction_factor < 2``.
    """

    def __init__(self, min_resource: int = 1, reduction_factor: int = 4):
        if min_resource < 1:
            raise ValueError(f"The value of `min_resource` is {min_resource}, but must be "
                             "`min_resource >= 1`")
        if reduction_factor < 2:
            raise ValueError(f"The value of `reduction_factor` is {reduction_factor}, but must "
                             "be `reduction_factor >= 2`")
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Record the trial's score at each rung it reached; prune if not in the top 1/η."""
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        rung = sum(1 for key in trial.system_attrs if key.startswith("completed_rung_"))
        live = study._running.get(trial.number)
        while step >= self.min_resource * self.reduction_factor**rung:
            key = f"completed_rung_{rung}"
            competing = [t.system_attrs[key] for t in study.get_trials(deepcopy=False)
                         if key in t.system_attrs and t.number != trial.number]
            if live is not None:
                live.system_attrs[key] = value
            if math.isnan(value) or not _promotable(value, competing + [value],
                                                    self.reduction_factor, study.direction):
                return True
            rung += 1
        return False


def _promotable(value: float, competing: list[float], eta: int, direction: StudyDirection) -> bool:
    """Is ``value`` among the best ``len(competing) // eta`` (at least the best one)?"""
    rank = max(len(competing) // eta - 1, 0)
    ordered = sorted(competing, reverse=direction == StudyDirection.MAXIMIZE)
    threshold = ordered[rank]
    return value >= threshold if direction == StudyDirection.MAXIMIZE else value <= threshold
