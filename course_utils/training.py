"""The training loop every chapter uses: plain functions that return a history.

``fit`` trains a model by mini-batch gradient descent on ``(x, y)`` tensors already in
memory. Batches are taken by indexing a per-epoch permutation (no ``DataLoader``), and the
per-epoch evaluation runs in one no-grad pass, so small MNIST runs take seconds on a CPU.
``evaluate`` gives ``(loss, accuracy)``; ``seed_everything`` makes
runs repeatable. ``classification_metrics`` and ``record_epoch`` are the recorder shared
with ``course_utils.batched.fit_batched``, which trains K models at once exactly as K
``fit`` runs would.

Evaluating is most of the arithmetic of a small run (2,300 images evaluated against 300
trained per epoch in the chapters' overfitting setup): ``eval_every`` evaluates every
that many epochs, and always after the last one, so a curve of 20 points costs a tenth.
Plain SGD (``optimizer="sgd"``) is applied in place, step for step what
``torch.optim.SGD`` computes, without the one-time cost (about a second) of the first
``torch.optim`` optimizer of a process.

Smoke tests: with the environment variable ``COURSE_UTILS_SMOKE_TEST=1``, ``fit`` and
``fit_batched`` take one mini-batch step per epoch instead of a pass over the data; the
epochs (also where ``max_steps`` ends a run), evaluations and callbacks stay where they
were, so every history has its usual epochs (and fewer step losses). The test suite sets
it where it executes a chapter only to check that every cell runs (the exercise
versions, the grading round trip); the numbers are then meaningless, and the real runs,
whose outputs nbval compares, never set it.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "History", "classification_metrics", "evaluate", "fit", "make_optimizer", "record_epoch",
    "seed_everything",
]

SMOKE_TEST_ENV = "COURSE_UTILS_SMOKE_TEST"

Split = tuple[Tensor, Tensor]
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


@dataclass
class History:
    """Per-epoch metrics of one :func:`fit` run (lists of equal length, one entry per
    evaluated epoch), plus the loss of every optimization step."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)

    def final(self) -> dict[str, float]:
        """The last evaluated epoch's metrics (only those that were recorded)."""
        names = ("train_loss", "train_acc", "val_loss", "val_acc")
        return {name: getattr(self, name)[-1] for name in names if getattr(self, name)}

    def best(self, metric: str = "val_acc") -> tuple[int, float]:
        """``(epoch, value)`` where ``metric`` peaked (lowest for losses, highest otherwise).

        Raises:
            ValueError: the metric is unknown or was not recorded.
        """
        values = getattr(self, metric, None) if metric != "epoch" else None
        if not values:
            raise ValueError(f"metric must be a recorded per-epoch metric, but got {metric!r}")
        pick = min if metric.endswith("loss") else max
        index = pick(range(len(values)), key=values.__getitem__)
        return self.epoch[index], values[index]


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators with ``seed``.

    Raises:
        ValueError: ``seed`` is negative.
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, but got {seed}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (seeding the global generator is the point)
    torch.manual_seed(seed)


def _check_split(name: str, split: object) -> Split:
    if not (isinstance(split, (tuple, list)) and len(split) == 2):
        raise ValueError(f"{name} must be an (x, y) pair of tensors, but got {type(split).__name__}")
    x, y = split
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)) or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{name} must be an (x, y) pair of non-empty tensors of equal length")
    return x, y


@torch.inference_mode()
def _logits(model: nn.Module, x: Tensor, batch_size: int | None) -> Tensor:
    if batch_size is None or batch_size >= len(x):
        return model(x)
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def evaluate(
    model: nn.Module, x: Tensor, y: Tensor, *, batch_size: int | None = None
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``(x, y)`` in evaluation mode.

    The model's train/eval mode is restored afterwards.

    Args:
        model: a classifier returning logits.
        x: inputs; y: int64 class labels.
        batch_size: evaluate in chunks of this size (None = all at once).

    Returns:
        ``(loss, accuracy)`` as Python floats, accuracy in [0, 1].
    """
    x, y = _check_split("(x, y)", (x, y))
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be positive, but got {batch_size}")
    was_training = model.training
    model.eval()
    try:
        logits = _logits(model, x, batch_size)
    finally:
        model.train(was_training)
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    return loss, accuracy


def _check_rates(lr: float, weight_decay: float) -> None:
    if not lr > 0:
        raise ValueError(f"lr must be positive, but got {lr}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be non-negative, but got {weight_decay}")


def make_optimizer(
    params: Iterable[nn.Parameter] | Iterable[dict],
    name: str,
    *,
    lr: float,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Build a torch optimizer by name: ``sgd``, ``momentum`` (SGD, 0.9), ``adam``, ``adamw``.

    ``params`` may be parameter groups (e.g. from
    ``course_utils.regularization.decay_parameter_groups``); their own ``weight_decay``
    overrides the one given here.

    Raises:
        ValueError: unknown name, ``lr <= 0`` or ``weight_decay < 0``.
    """
    _check_rates(lr, weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS} or a callable, but got {name!r}")


def _check_fit_args(epochs: int, batch_size: int, eval_every: int, max_steps: int | None = None) -> None:
    """The loop arguments of every trainer (``fit`` and ``batched.fit_batched``)."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, but got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, but got {batch_size}")
    if eval_every < 0:
        raise ValueError(f"eval_every must be non-negative, but got {eval_every}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, but got {max_steps}")


def _steps_per_epoch(n_batches: int) -> int:
    """``n_batches``, or 1 under ``COURSE_UTILS_SMOKE_TEST=1`` (see the module docstring)."""
    flag = os.environ.get(SMOKE_TEST_ENV, "")
    if flag not in ("", "0", "1"):
        raise ValueError(f"{SMOKE_TEST_ENV} must be 0 or 1 (or unset), but got {flag!r}")
    return 1 if flag == "1" else n_batches


def _check_eval_at(eval_at: Sequence[int]) -> frozenset[int]:
    """The extra evaluation epochs of ``fit`` and ``batched.fit_batched``, as a set."""
    epochs = list(eval_at)
    for epoch in epochs:
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
            raise ValueError(f"eval_at must hold epochs of at least 1, but got {eval_at!r}")
    return frozenset(epochs)


def classification_metrics(logits: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of each of K models, from their logits.

    Args:
        logits: ``(K, n, classes)`` logits of K models on the same n samples, or on their
            own samples (then ``y`` is ``(K, n)``).
        y: ``(n,)`` or ``(K, n)`` int64 labels.

    Returns:
        ``(loss, accuracy)``, two ``(K,)`` tensors.

    Raises:
        ValueError: ``logits`` is not 3-D or ``y`` does not match its first dimensions.

    Examples:
        >>> loss, acc = classification_metrics(torch.zeros(2, 4, 3), torch.tensor([0, 1, 2, 0]))
        >>> acc.tolist()
        [0.5, 0.5]
    """
    if logits.dim() != 3:
        raise ValueError(f"logits must be (K, n, classes), but got shape {tuple(logits.shape)}")
    k, n, _ = logits.shape
    if tuple(y.shape) not in ((n,), (k, n)):
        raise ValueError(f"y must have shape ({n},) or ({k}, {n}), but got {tuple(y.shape)}")
    y = y.expand(k, n)
    loss = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
    accuracy = (logits.argmax(dim=2) == y).float().mean(1)
    return loss, accuracy


def record_epoch(
    histories: Sequence[History], epoch: int, metrics: Mapping[str, tuple[Tensor, Tensor]]
) -> None:
    """Append one evaluation to each of K histories: the recorder of every trainer.

    Args:
        histories: K :class:`History` objects, one per model.
        epoch: the epoch just evaluated.
        metrics: ``{"train": (loss, accuracy), "val": (loss, accuracy)}`` (either key may
            be missing), each a ``(K,)`` tensor from :func:`classification_metrics`.

    Raises:
        ValueError: a split name other than ``train``/``val``, or a metric tensor whose
            length is not the number of histories.
    """
    for name, (loss, accuracy) in metrics.items():
        if name not in ("train", "val"):
            raise ValueError(f"metrics keys must be 'train' or 'val', but got {name!r}")
        if len(loss) != len(histories) or len(accuracy) != len(histories):
            raise ValueError(f"metrics[{name!r}] must hold one value per history "
                             f"({len(histories)}), but got {len(loss)}")
        for history, loss_k, accuracy_k in zip(histories, loss.tolist(), accuracy.tolist(),
                                                strict=True):
            getattr(history, f"{name}_loss").append(loss_k)
            getattr(history, f"{name}_acc").append(accuracy_k)
    for history in histories:
        history.epoch.append(epoch)


class _EvalSets:
    """What a trainer evaluates after an epoch: the training set (``eval_train``) and
    ``val``, concatenated so that one forward pass scores both; :meth:`record` turns the
    logits of K models into one :func:`record_epoch` entry per model."""

    def __init__(self, train: Split, val: Split | None, eval_train: bool):
        parts = ([("train", train)] if eval_train else []) + ([("val", val)] if val else [])
        self.names = [name for name, _ in parts]
        self.sizes = [len(split[0]) for _, split in parts]
        self.x = torch.cat([split[0] for _, split in parts]) if parts else None
        self.ys = [split[1] for _, split in parts]

    def record(self, histories: Sequence[History], epoch: int, parts: Sequence[Tensor] = (),
               ys: Sequence[Tensor] | None = None) -> None:
        """Record ``parts[i]``, the ``(K, n_i, classes)`` logits of split ``names[i]``,
        against labels ``ys[i]`` (default: the splits' own labels)."""
        labels = self.ys if ys is None else ys
        metrics = {name: classification_metrics(part, y)
                   for name, part, y in zip(self.names, parts, labels, strict=True)}
        record_epoch(histories, epoch, metrics)


class _EpochEvaluator(_EvalSets):
    """Evaluates one model on the training and validation sets in one forward pass."""

    def __call__(self, model: nn.Module, epoch: int, history: History) -> None:
        if self.x is None:
            self.record([history], epoch)
            return
        was_training = model.training
        model.eval()
        try:
            logits = _logits(model, self.x, None)
        finally:
            model.train(was_training)
        self.record([history], epoch, logits.unsqueeze(0).split(self.sizes, dim=1))


class _PlainSGD:
    """``torch.optim.SGD(params, lr, weight_decay=wd)`` without momentum, step for step.

    The same arithmetic as torch's single-tensor SGD on the CPU (``d = g + wd * p``;
    ``p <- p - lr * d``), without building ``torch.optim`` machinery: the first
    ``torch.optim`` optimizer of a process imports ``torch._dynamo`` (about a second).
    """

    def __init__(self, params: Iterable[nn.Parameter], lr: float, weight_decay: float):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.weight_decay = lr, weight_decay

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for param in self.params:
            if param.grad is None:
                continue
            grad = param.grad if self.weight_decay == 0 else param.grad.add(param, alpha=self.weight_decay)
            param.add_(grad, alpha=-self.lr)


def fit(
    model: nn.Module,
    train: Split,
    *,
    val: Split | None = None,
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str | OptimizerFactory = "sgd",
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    penalty: Callable[[nn.Module], Tensor] | None = None,
    max_steps: int | None = None,
    eval_every: int = 1,
    eval_at: Sequence[int] = (),
    eval_train: bool = True,
    callback: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    Each epoch visits the training set once in a random order drawn from ``seed`` (the
    last batch may be smaller). After every ``eval_every`` epochs the model is evaluated
    in evaluation mode on the whole training set (``eval_train``) and on ``val``.

    Args:
        model: the network; it is trained in place and left in training mode.
        train: ``(x, y)`` training tensors.
        val: optional ``(x, y)`` tensors evaluated after each evaluated epoch.
        epochs: passes over the training set.
        batch_size: samples per optimization step.
        lr: learning rate.
        optimizer: ``"sgd"`` (plain SGD, applied in place: the same arithmetic as
            ``torch.optim.SGD``), ``"momentum"``, ``"adam"``, ``"adamw"``, or a callable
            that takes ``model.parameters()`` and returns a torch optimizer.
        weight_decay: the optimizer's ``weight_decay`` (ignored for a callable optimizer).
        seed: seed of the batch order (model weights are set by whoever built the model).
        progress: show a progress bar over epochs.
        loss_fn: ``(logits, y) -> loss``; defaults to cross-entropy.
        penalty: ``model -> scalar`` added to every step's loss (e.g. an L1 penalty).
        max_steps: stop after this many optimization steps (evaluating at that point).
        eval_every: evaluate every this many epochs, and always after the last one
            (0: only after the last).
        eval_at: also evaluate after these epochs (e.g. ``(1, 2, 5)`` for the start of a
            learning curve that is otherwise evaluated every ``eval_every`` epochs).
        eval_train: also evaluate on the whole training set.
        callback: called as ``callback(epoch, history)`` after each evaluation; returning
            True stops training (early stopping, pruning).

    Returns:
        The :class:`History` of per-epoch metrics and per-step losses.

    Raises:
        ValueError: malformed data or non-positive ``epochs``, ``batch_size``, ``lr``.
    """
    train = _check_split("train", train)
    if val is not None:
        val = _check_split("val", val)
    _check_fit_args(epochs, batch_size, eval_every, max_steps)
    extra_evals = _check_eval_at(eval_at)
    if callable(optimizer):
        opt = optimizer(model.parameters())
    elif optimizer == "sgd":
        _check_rates(lr, weight_decay)
        opt = _PlainSGD(model.parameters(), lr, weight_decay)
    else:
        opt = make_optimizer(model.parameters(), optimizer, lr=lr, weight_decay=weight_decay)
    loss_fn = loss_fn or F.cross_entropy
    x, y = train
    generator = torch.Generator().manual_seed(seed)
    n_batches = math.ceil(len(x) / batch_size)
    steps = max_steps if max_steps is not None else epochs * n_batches
    history, losses = History(), []
    record = _EpochEvaluator(train, val, eval_train)
    epoch_iter = range(1, epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = tqdm(epoch_iter, desc="epochs", leave=False)
    model.train()
    per_epoch = _steps_per_epoch(n_batches)
    if per_epoch < n_batches:  # smoke test: as many epochs as the real run, one step each
        steps = math.ceil(steps / n_batches)
    for epoch in epoch_iter:
        order = torch.randperm(len(x), generator=generator)
        for batch in order[: min(per_epoch, steps - len(losses)) * batch_size].split(batch_size):
            loss = loss_fn(model(x[batch]), y[batch])
            if penalty is not None:
                loss = loss + penalty(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        done = len(losses) >= steps or epoch == epochs
        if done or (eval_every and epoch % eval_every == 0) or epoch in extra_evals:
            record(model, epoch, history)
            if callback is not None and callback(epoch, history):
                break
        if done:
            break
    history.step_loss = torch.stack(losses).tolist() if losses else []
    return history
