"""Choosing on validation data (the course's, not Optuna's): folds, optimism, narrowing.

==============================  ==========================================================
lesson                          code
==============================  ==========================================================
little data: k-fold CV          :func:`kfold_indices`, :func:`cross_val_scores` (all folds
                                trained side by side)
the test set is not for tuning  :func:`selection_optimism`
narrowing the ranges            :func:`narrow_range` (warns with
                                :class:`RangeBorderWarning` when the best lies on a border;
                                takes Optuna's trials too)
==============================  ==========================================================
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from course_utils.batched import fit_batched
from course_utils.models import mlp
from course_utils.search._study_direction import Direction
from course_utils.search.dlfs import Split, check_configs
from course_utils.training import evaluate

__all__ = ["RangeBorderWarning", "cross_val_scores", "kfold_indices", "narrow_range",
           "selection_optimism"]


def kfold_indices(n: int, k: int, *, seed: int | None) -> list[tuple[Tensor, Tensor]]:
    """Split ``range(n)`` into ``k`` folds; each fold validates once, the rest train.

    The indices are permuted with ``torch.randperm(n, generator=torch.Generator().
    manual_seed(seed))`` (no shuffling if ``seed`` is None) and cut into ``k`` contiguous
    chunks; the first ``n % k`` chunks are one longer, as in scikit-learn's ``KFold``.

    Args:
        n: number of samples.
        k: number of folds, ``2 <= k <= n``.
        seed: seed of the permutation, or None to keep the order.

    Returns:
        ``k`` pairs ``(train_indices, val_indices)`` of sorted int64 tensors. Every index is
        in exactly one validation fold.

    Raises:
        ValueError: ``k < 2`` or ``k > n`` (scikit-learn's wording).

    Examples:
        >>> [val.tolist() for _, val in kfold_indices(5, 2, seed=None)]
        [[0, 1, 2], [3, 4]]
    """
    if k < 2:
        raise ValueError(f"k-fold cross-validation requires at least one train/test split by "
                         f"setting n_splits=2 or more, got n_splits={k}.")
    if k > n:
        raise ValueError(f"Cannot have number of splits n_splits={k} greater than the number "
                         f"of samples: n_samples={n}.")
    order = torch.arange(n) if seed is None else torch.randperm(
        n, generator=torch.Generator().manual_seed(seed))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds = []
    for val in order.split(sizes):
        mask = torch.ones(n, dtype=torch.bool)
        mask[val] = False
        folds.append((torch.nonzero(mask).flatten(), val.sort().values))
    return folds


def cross_val_scores(
    configs: Sequence[Mapping[str, float]],
    data: Split,
    *,
    k: int,
    seed: int,
    sizes: Sequence[int],
    epochs: int,
    batch_size: int = 100,
    init: str = "he_normal",
) -> Tensor:
    """k-fold cross-validated accuracy of every configuration, all folds trained at once.

    Every configuration is trained ``k`` times, once on each fold's training part (with
    :func:`~course_utils.batched.fit_batched` and its per-model ``subsets``), from the same
    initial weights, and scored on the fold it did not see.

    Args:
        configs: one dict per configuration with ``lr`` and optional ``weight_decay``.
        data: the ``(x, y)`` pool that is split into ``k`` folds.
        k: number of folds; ``len(x)`` must be a multiple of ``k`` (equal folds train
            side by side).
        seed: seed of the fold split, the initial weights and the batch orders.
        sizes, epochs, batch_size, init: the networks and their training.

    Returns:
        A ``(len(configs), k)`` tensor: accuracy of configuration ``i`` on fold ``j``.

    Raises:
        ValueError: ``len(x)`` is not a multiple of ``k``, or bad configurations.
    """
    x, y = data
    if len(x) % k:
        raise ValueError(f"len(x) must be a multiple of k to train the folds side by side, but "
                         f"got len(x)={len(x)}, k={k}")
    check_configs(configs, [seed] * len(configs))
    folds = kfold_indices(len(x), k, seed=seed)
    models = [mlp(list(sizes), init=init, generator=torch.Generator().manual_seed(seed))
              for _ in range(len(configs) * k)]
    fit_batched(models, data, epochs=epochs, batch_size=batch_size,
                lr=[float(c["lr"]) for c in configs for _ in folds],
                weight_decay=[float(c.get("weight_decay", 0.0)) for c in configs for _ in folds],
                seed=seed, subsets=torch.stack([train for _ in configs for train, _ in folds]),
                eval_every=0, eval_train=False)
    scores = [evaluate(model, x[val], y[val])[1]
              for model, (_, val) in zip(models, folds * len(configs), strict=True)]
    return torch.tensor(scores).view(len(configs), k)


def selection_optimism(
    correct: Tensor,
    *,
    test_size: int,
    n_draws: int,
    seed: int,
    chosen: int | None = None,
) -> tuple[Tensor, Tensor]:
    """What a model's test score promises, and what it delivers, over repeated test sets.

    ``correct[i, j]`` says whether model ``i`` got example ``j`` of a pool right. Each draw
    splits the pool at random into a test set of ``test_size`` examples and the fresh rest.
    With ``chosen=None`` the model with the best test accuracy is picked (tuning on the
    test set); otherwise model ``chosen`` (picked beforehand, e.g. on validation data) is
    scored. ``reported - fresh`` is the optimism of the reported number.

    Args:
        correct: ``(n_models, n_pool)`` booleans or 0/1 floats.
        test_size: examples per test set, ``1 <= test_size < n_pool``.
        n_draws: number of random test sets.
        seed: seed of the draws.
        chosen: a model index fixed in advance, or None to pick by test accuracy.

    Returns:
        ``(reported, fresh)``: per draw, the picked model's accuracy on the test set and
        on the rest of the pool.

    Raises:
        ValueError: a ``test_size`` that leaves no fresh data, ``n_draws < 1``, or
            ``chosen`` out of range.
    """
    correct = torch.as_tensor(correct, dtype=torch.float64)
    n_models, n_pool = correct.shape
    if not 1 <= test_size < n_pool:
        raise ValueError(f"test_size must be in [1, {n_pool}), but got {test_size}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, but got {n_draws}")
    if chosen is not None and not 0 <= chosen < n_models:
        raise ValueError(f"chosen must be a model index in [0, {n_models}), but got {chosen}")
    generator = torch.Generator().manual_seed(seed)
    reported, fresh = torch.empty(n_draws, dtype=torch.float64), torch.empty(n_draws, dtype=torch.float64)
    for draw in range(n_draws):
        order = torch.randperm(n_pool, generator=generator)
        test_acc = correct[:, order[:test_size]].mean(1)
        pick = int(test_acc.argmax()) if chosen is None else chosen
        reported[draw] = test_acc[pick]
        fresh[draw] = correct[pick, order[test_size:]].mean()
    return reported, fresh


class RangeBorderWarning(UserWarning):
    """The best value found lies at the edge of the searched range."""


def narrow_range(
    trials: Sequence[Any],
    name: str,
    *,
    top: int = 10,
    border: float = 0.1,
    direction: Direction = "maximize",
) -> tuple[float, float]:
    """The range spanned by the ``top`` best trials' values of ``name`` (for round two).

    Warns with :class:`RangeBorderWarning` when the best trial's value lies in the outer
    ``border`` share of the searched range (measured on a log scale for ``log=True``):
    the optimum may lie outside, and narrowing would lock it out. Works with the trials of
    an Optuna study too.

    Args:
        trials: e.g. ``study.trials``; only complete trials that used ``name`` count.
        name: the hyperparameter.
        top: how many of the best trials span the new range.
        border: the share of the range at each end that counts as the border.
        direction: whether higher values of the objective are better.

    Returns:
        ``(low, high)`` of the top trials' values.

    Raises:
        ValueError: no complete trial used ``name``, ``top < 1``, or ``border`` outside
            [0, 0.5).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, but got {top}")
    if not 0 <= border < 0.5:
        raise ValueError(f"border must be in [0, 0.5), but got {border}")
    complete = [t for t in trials if t.state.name == "COMPLETE" and name in t.params]
    if not complete:
        raise ValueError(f"no complete trial has the parameter {name!r}")
    best = sorted(complete, key=lambda t: t.value, reverse=direction == "maximize")[:top]
    values = [t.params[name] for t in best]
    _warn_if_on_border(name, values[0], best[0].distributions[name], border)
    return min(values), max(values)


def _warn_if_on_border(name: str, value: float, distribution: Any, border: float) -> None:
    low, high = distribution.low, distribution.high
    scale = math.log if getattr(distribution, "log", False) else float
    if high <= low:
        return
    position = (scale(value) - scale(low)) / (scale(high) - scale(low))
    side = "lower" if position < border else "upper" if position > 1 - border else None
    if side is not None:
        way = "downward" if side == "lower" else "upward"
        warnings.warn(
            f"the best {name}={value:.3g} lies at the {side} border of the searched range "
            f"[{low:.3g}, {high:.3g}]: the optimum may lie outside it; widen the range {way} "
            "before narrowing", RangeBorderWarning, stacklevel=3)
