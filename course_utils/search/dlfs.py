"""The book's experiment (*Deep Learning from Scratch*, ch. 6.5), for any Optuna-shaped study.

==============================  ==========================================================
lesson                          code
==============================  ==========================================================
the book's setup                ``DLFS_SIZES`` (784-100x6-10), ``DLFS_LR_RANGE``,
                                ``DLFS_WEIGHT_DECAY_RANGE``, :func:`dlfs_data` (500
                                images, 400 / 100)
the book's search space         :func:`suggest_dlfs` (lr and weight decay, log scale)
one trial, for ``optimize``     :func:`dlfs_objective` (reports every epoch, prunes)
many trials at once             :func:`train_configs` (ask, train side by side, tell)
==============================  ==========================================================

Every function takes a trial or a study of ``course_utils.search`` or of Optuna.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from course_utils.batched import fit_batched
from course_utils.models import mlp
from course_utils.search.exceptions import TrialPruned
from course_utils.training import History, fit

__all__ = ["DLFS_LR_RANGE", "DLFS_SIZES", "DLFS_WEIGHT_DECAY_RANGE", "check_configs", "dlfs_data",
           "dlfs_objective", "suggest_dlfs", "train_configs"]

Split = tuple[Tensor, Tensor]

#: *Deep Learning from Scratch* (ch. 6) search: 784-100x6-10 ReLU MLP, SGD, 50 epochs.
DLFS_SIZES = [784] + [100] * 6 + [10]
DLFS_LR_RANGE = (1e-6, 1e-2)
DLFS_WEIGHT_DECAY_RANGE = (1e-8, 1e-4)


def check_configs(configs: Sequence[Mapping[str, float]], init_seeds: Sequence[int]) -> None:
    """Raise ValueError unless every configuration has a positive ``lr``, a non-negative
    ``weight_decay``, and one initialization seed."""
    if len(configs) == 0:
        raise ValueError("configs must contain at least one configuration, but got none")
    if any("lr" not in config or config["lr"] <= 0 for config in configs):
        raise ValueError("every configuration must have a positive 'lr', but got "
                         f"{[config.get('lr') for config in configs]}")
    if any(config.get("weight_decay", 0.0) < 0 for config in configs):
        raise ValueError("weight_decay must be non-negative, but got "
                         f"{[config.get('weight_decay') for config in configs]}")
    if len(init_seeds) != len(configs):
        raise ValueError(f"init_seeds must have one seed per configuration ({len(configs)}), "
                         f"but got {len(init_seeds)}")


def train_configs(
    configs: Sequence[Mapping[str, float]],
    train: Split,
    *,
    val: Split | None = None,
    sizes: Sequence[int] = tuple(DLFS_SIZES),
    epochs: int,
    batch_size: int = 100,
    seed: int = 0,
    init_seeds: Sequence[int] | None = None,
    init: str = "he_normal",
    eval_every: int = 1,
    eval_train: bool = False,
) -> tuple[list[nn.Sequential], list[History]]:
    """Train one ReLU network per configuration, all side by side (``fit_batched``).

    Configuration ``i`` gives ``lr`` and optionally ``weight_decay``; its network is
    ``mlp(sizes, init=init)`` with weights drawn from ``init_seeds[i]`` (default ``seed``
    for every configuration). All networks see the same mini-batches in the same order,
    so network ``i`` ends exactly where

        ``fit(mlp(sizes, init=init, generator=Generator().manual_seed(init_seeds[i])),
        train, val=val, epochs=epochs, batch_size=batch_size, lr=lr_i,
        weight_decay=wd_i, seed=seed)``

    would end (to float rounding): training the trials side by side is the same as
    running them one after another. Only the layout of the arithmetic changes
    (:func:`course_utils.batched.fit_batched` stacks the K networks' layers and
    multiplies them as batches), which removes the Python overhead of K separate runs.

    Args:
        configs: one dict per trial with ``lr`` (> 0) and optional ``weight_decay`` (≥ 0).
        train: ``(x, y)`` training tensors shared by all trials.
        val: ``(x, y)`` validation tensors, evaluated after every ``eval_every`` epochs.
        sizes: layer widths of the ReLU MLP.
        epochs, batch_size: as in :func:`~course_utils.training.fit`.
        seed: seed of the batch order (as ``fit``'s ``seed``).
        init_seeds: one weight seed per configuration.
        init: weight initialization scheme (:func:`~course_utils.init.init_model`).
        eval_every: evaluate every this many epochs (0: only after the last).
        eval_train: also evaluate on the whole training set (costs about
            ``len(train) / batch_size`` extra forward passes per evaluation).

    Returns:
        ``(models, histories)``: the trained networks and one
        :class:`~course_utils.training.History` each (``step_loss`` included).

    Raises:
        ValueError: no configurations, a missing or non-positive ``lr``, a negative
            ``weight_decay``, a wrong number of ``init_seeds``, or bad ``epochs``,
            ``batch_size`` or ``eval_every``.
    """
    init_seeds = [seed] * len(configs) if init_seeds is None else list(init_seeds)
    check_configs(configs, init_seeds)
    models = [mlp(list(sizes), init=init, generator=torch.Generator().manual_seed(s))
              for s in init_seeds]
    histories = fit_batched(
        models, train, val=val, epochs=epochs, batch_size=batch_size,
        lr=[float(c["lr"]) for c in configs],
        weight_decay=[float(c.get("weight_decay", 0.0)) for c in configs],
        seed=seed, eval_every=eval_every, eval_train=eval_train,
    )
    return models, histories


def dlfs_data(seed: int = 0) -> tuple[Split, Split]:
    """The book's little data: the first 500 training images, split 400 / 100.

    Returns:
        ``(train, val)`` pairs of ``(x, y)`` tensors.
    """
    from course_utils.data import load_mnist, train_val_split

    (x, y), _ = load_mnist()
    return train_val_split(x[:500], y[:500], 0.2, seed=seed)


def suggest_dlfs(
    trial: Any,
    lr_range: tuple[float, float] = DLFS_LR_RANGE,
    weight_decay_range: tuple[float, float] = DLFS_WEIGHT_DECAY_RANGE,
) -> dict[str, float]:
    """The book's search space: ``lr = 10^U(-6, -2)``, ``weight_decay = 10^U(-8, -4)``.

    Works with a trial of this module or of Optuna.
    """
    return {"lr": trial.suggest_float("lr", *lr_range, log=True),
            "weight_decay": trial.suggest_float("weight_decay", *weight_decay_range, log=True)}


def dlfs_objective(
    trial: Any,
    train: Split,
    val: Split,
    *,
    epochs: int = 50,
    lr_range: tuple[float, float] = DLFS_LR_RANGE,
    weight_decay_range: tuple[float, float] = DLFS_WEIGHT_DECAY_RANGE,
) -> float:
    """One trial of the book's search, for ``study.optimize`` (ours or Optuna's).

    Trains ``mlp(DLFS_SIZES, init="he_normal")`` (weights seeded by the trial number) with
    SGD, batch 100, for ``epochs`` epochs; reports the validation accuracy after every
    epoch and raises :class:`TrialPruned` when the study's pruner says so.

    Returns:
        The validation accuracy after the last epoch.
    """
    config = suggest_dlfs(trial, lr_range, weight_decay_range)
    model = mlp(DLFS_SIZES, init="he_normal",
                generator=torch.Generator().manual_seed(trial.number))

    def report_and_prune(epoch: int, history: History) -> bool:
        trial.report(history.val_acc[-1], epoch)
        if trial.should_prune():
            raise TrialPruned(f"pruned at epoch {epoch}")
        return False

    history = fit(model, train, val=val, epochs=epochs, batch_size=100, lr=config["lr"],
                  weight_decay=config["weight_decay"], seed=trial.number, progress=False,
                  eval_train=False, callback=report_and_prune)
    return history.val_acc[-1]
