"""Stopping bad runs early (the course's, not Optuna's): early stopping and successive halving.

==============================  ==========================================================
lesson                          code
==============================  ==========================================================
stop one run when it stalls     :class:`EarlyStopping` (a ``fit`` callback; ``replay`` on
                                a recorded curve)
one rung: keep the best 1/η     :func:`halving_survivors`
successive halving              :func:`successive_halving`, :class:`HalvingResult` (the
                                synchronous algorithm; Optuna's asynchronous pruner is
                                :class:`~course_utils.search.pruners.SuccessiveHalvingPruner`)
==============================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from course_utils.search._study_direction import Direction
from course_utils.training import History

__all__ = ["EarlyStopping", "HalvingResult", "halving_survivors", "successive_halving"]


class EarlyStopping:
    """Stop training when a validation metric has not improved for ``patience`` checks.

    An evaluation improves on the best so far if it is better by more than ``min_delta``
    (higher for accuracies, lower for losses). Use it as ``fit(..., callback=
    EarlyStopping(5))``: ``fit`` calls it after each evaluation and stops when it returns
    True. ``best_epoch`` and ``best_value`` say which checkpoint to keep.

    Args:
        patience: evaluations without improvement before stopping (≥ 1).
        metric: the :class:`~course_utils.training.History` field to watch.
        mode: ``"max"`` or ``"min"``; default ``"min"`` for losses, ``"max"`` otherwise.
        min_delta: the smallest change that counts as an improvement (≥ 0).

    Raises:
        ValueError: ``patience < 1``, ``min_delta < 0`` or an unknown mode.
    """

    def __init__(
        self,
        patience: int,
        *,
        metric: str = "val_acc",
        mode: Literal["min", "max"] | None = None,
        min_delta: float = 0.0,
    ):
        if patience < 1:
            raise ValueError(f"patience must be at least 1, but got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be non-negative, but got {min_delta}")
        mode = mode or ("min" if metric.endswith("loss") else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', but got {mode!r}")
        self.patience, self.metric, self.mode, self.min_delta = patience, metric, mode, min_delta
        self.reset()

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, metric={self.metric!r}, mode={self.mode!r})"

    def reset(self) -> None:
        """Forget everything seen (to reuse the object for another run)."""
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def update(self, value: float, epoch: int) -> bool:
        """Take one evaluation; return True when training should stop."""
        sign = 1.0 if self.mode == "max" else -1.0
        if self.best_value is None or sign * (value - self.best_value) > self.min_delta:
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def __call__(self, epoch: int, history: History) -> bool:
        return self.update(getattr(history, self.metric)[-1], epoch)

    def replay(self, values: Sequence[float]) -> int:
        """Run the rule on a recorded curve (one value per epoch, from epoch 1).

        Returns:
            The number of epochs a run would have trained before stopping (all of them if
            the rule never fires). Earlier epochs do not depend on later ones, so this is
            exactly what stopping during training would have done.
        """
        self.reset()
        for epoch, value in enumerate(values, start=1):
            if self.update(value, epoch):
                return epoch
        return len(values)


@dataclass
class HalvingResult:
    """What :func:`successive_halving` did: one entry per rung, and the winner."""

    resources: list[int]
    candidates: list[list[int]]
    scores: list[list[float]]
    best_index: int
    best_score: float
    total_resource: int


def halving_survivors(
    scores: Sequence[float],
    reduction_factor: int = 3,
    *,
    direction: Direction = "maximize",
) -> list[int]:
    r"""One rung of successive halving: the positions of the best :math:`\lfloor n/\eta\rfloor`.

    Args:
        scores: one score per candidate still in the race.
        reduction_factor: :math:`\eta`; the best ``len(scores) // eta`` go on (at least 1).
        direction: whether higher (``"maximize"``) or lower scores are better.

    Returns:
        Positions into ``scores``, best first (ties keep the earlier position).

    Raises:
        ValueError: no scores, ``reduction_factor < 2`` or an unknown direction.

    Examples:
        >>> halving_survivors([0.5, 0.9, 0.1, 0.7, 0.3, 0.8], reduction_factor=3)
        [1, 5]
    """
    if len(scores) == 0:
        raise ValueError("scores must contain at least one score, but got none")
    if reduction_factor < 2:
        raise ValueError(f"reduction_factor must be at least 2, but got {reduction_factor}")
    sign = {"maximize": -1.0, "minimize": 1.0}.get(direction)
    if sign is None:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")
    keep = max(1, len(scores) // reduction_factor)
    order = sorted(range(len(scores)), key=lambda i: (sign * scores[i], i))
    return order[:keep]


def successive_halving(
    n_candidates: int,
    evaluate: Callable[[list[int], int], Sequence[float]],
    *,
    min_resource: int,
    max_resource: int,
    reduction_factor: int = 3,
    direction: Direction = "maximize",
    resume: bool = True,
) -> HalvingResult:
    r"""Successive halving (Jamieson & Talwalkar, 2016): train many, keep the best 1/η.

    Rung 0 trains every candidate for ``min_resource`` epochs; each later rung keeps the
    best :math:`\lfloor n/\eta \rfloor` (:func:`halving_survivors`) and multiplies their
    budget by :math:`\eta`, up to ``max_resource``. With :math:`n` candidates the budget
    is about :math:`n \cdot r_0 \cdot \log_\eta n` epochs instead of
    :math:`n \cdot r_{max}` for full training of all.

    Args:
        n_candidates: how many configurations start (indices ``0 .. n - 1``).
        evaluate: ``(indices, resource) -> scores``: each candidate's validation score
            after training for ``resource`` epochs in total.
        min_resource: epochs in rung 0 (≥ 1).
        max_resource: the largest budget a candidate gets (≥ ``min_resource``).
        reduction_factor: :math:`\eta` (≥ 2).
        direction: ``"maximize"`` for accuracies, ``"minimize"`` for losses.
        resume: survivors continue from where they stopped (a rung costs the extra epochs
            only); False counts each rung's epochs from scratch.

    Returns:
        A :class:`HalvingResult` (``total_resource`` = epochs spent).

    Raises:
        ValueError: ``n_candidates < 1``, bad resources, or a bad ``reduction_factor``.
    """
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be at least 1, but got {n_candidates}")
    if not 1 <= min_resource <= max_resource:
        raise ValueError(f"1 <= min_resource <= max_resource must hold, but got "
                         f"min_resource={min_resource}, max_resource={max_resource}")
    candidates, resource, previous = list(range(n_candidates)), min_resource, 0
    result = HalvingResult([], [], [], -1, math.nan, 0)
    while True:
        scores = [float(s) for s in evaluate(candidates, resource)]
        result.resources.append(resource)
        result.candidates.append(candidates)
        result.scores.append(scores)
        result.total_resource += len(candidates) * (resource - previous if resume else resource)
        survivors = halving_survivors(scores, reduction_factor, direction=direction)
        if len(candidates) == 1 or resource >= max_resource:
            result.best_index, result.best_score = candidates[survivors[0]], scores[survivors[0]]
            return result
        candidates = [candidates[i] for i in survivors]
        previous, resource = resource, min(resource * reduction_factor, max_resource)
