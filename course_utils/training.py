"""The training loop every chapter uses: plain functions that return a history.

``fit`` trains a model by mini-batch gradient descent on ``(x, y)`` tensors already in
memory. Batches are taken by indexing a per-epoch permutation (no ``DataLoader``), and the
per-epoch evaluation runs in one no-grad pass, so small MNIST runs take seconds on a CPU.
``evaluate`` gives ``(loss, accuracy)``; ``seed_everything`` and ``setup_notebook`` make
runs repeatable.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "History", "evaluate", "fit", "fit_many", "make_optimizer", "seed_everything", "setup_notebook",
]

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


def setup_notebook(seed: int = 0, *, threads: int = 1) -> None:
    """What every chapter calls first: seeds, one CPU thread, the course's plot style.

    One thread makes results bit-identical from run to run on the same machine (another
    thread count changes the last digits), so stored notebook outputs can be compared.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, but got {threads}")
    from course_utils import plotting  # imported here: only notebooks need matplotlib

    seed_everything(seed)
    torch.set_num_threads(threads)
    plotting.set_style()


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
    if lr <= 0:
        raise ValueError(f"lr must be positive, but got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be non-negative, but got {weight_decay}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS} or a callable, but got {name!r}")


def _check_fit_args(epochs: int, batch_size: int, eval_every: int) -> None:
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, but got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, but got {batch_size}")
    if eval_every < 0:
        raise ValueError(f"eval_every must be non-negative, but got {eval_every}")


class _EpochEvaluator:
    """Evaluates the training and validation sets in one forward pass per epoch."""

    def __init__(self, train: Split, val: Split | None, eval_train: bool):
        parts = ([("train", train)] if eval_train else []) + ([("val", val)] if val else [])
        self.names = [name for name, _ in parts]
        self.sizes = [len(split[0]) for _, split in parts]
        self.x = torch.cat([split[0] for _, split in parts]) if parts else None
        self.ys = [split[1] for _, split in parts]

    def __call__(self, model: nn.Module, epoch: int, history: History) -> None:
        history.epoch.append(epoch)
        if self.x is None:
            return
        was_training = model.training
        model.eval()
        try:
            logits = _logits(model, self.x, None)
        finally:
            model.train(was_training)
        for name, part, y in zip(self.names, logits.split(self.sizes), self.ys, strict=True):
            getattr(history, f"{name}_loss").append(F.cross_entropy(part, y).item())
            getattr(history, f"{name}_acc").append((part.argmax(dim=1) == y).float().mean().item())


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
        optimizer: ``"sgd"``, ``"momentum"``, ``"adam"``, ``"adamw"``, or a callable that
            takes ``model.parameters()`` and returns a torch optimizer.
        weight_decay: the optimizer's ``weight_decay`` (ignored for a callable optimizer).
        seed: seed of the batch order (model weights are set by whoever built the model).
        progress: show a progress bar over epochs.
        loss_fn: ``(logits, y) -> loss``; defaults to cross-entropy.
        penalty: ``model -> scalar`` added to every step's loss (e.g. an L1 penalty).
        max_steps: stop after this many optimization steps (evaluating at that point).
        eval_every: evaluate every this many epochs (0: only after the last).
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
    _check_fit_args(epochs, batch_size, eval_every)
    if callable(optimizer):
        opt = optimizer(model.parameters())
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
    for epoch in epoch_iter:
        order = torch.randperm(len(x), generator=generator)
        for batch in order[: (steps - len(losses)) * batch_size].split(batch_size):
            loss = loss_fn(model(x[batch]), y[batch])
            if penalty is not None:
                loss = loss + penalty(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        done = len(losses) >= steps or epoch == epochs
        if done or (eval_every and epoch % eval_every == 0):
            record(model, epoch, history)
            if callback is not None and callback(epoch, history):
                break
        if done:
            break
    history.step_loss = torch.stack(losses).tolist() if losses else []
    return history


def _per_member(name: str, value: float | Sequence[float], k: int) -> Tensor:
    values = torch.as_tensor(value, dtype=torch.float32).flatten()
    if values.numel() == 1:
        values = values.expand(k)
    if values.numel() != k:
        raise ValueError(f"{name} must be a number or one value per model ({k}), but got {value}")
    if (values < 0).any():
        raise ValueError(f"{name} must be non-negative, but got {value}")
    return values


def _check_many_args(
    models: Sequence[nn.Module], n: int, subsets: Tensor | None, sample_weight: Tensor | None
) -> None:
    if len(models) == 0:
        raise ValueError("models must contain at least one model, but got none")
    if subsets is not None and (subsets.dim() != 2 or len(subsets) != len(models)):
        raise ValueError(
            f"subsets must be a (n_models, subset_size) index tensor, but got shape "
            f"{tuple(subsets.shape)}"
        )
    if sample_weight is not None and tuple(sample_weight.shape) != (len(models), n):
        raise ValueError(
            f"sample_weight must have shape ({len(models)}, {n}), but got "
            f"{tuple(sample_weight.shape)}"
        )


class _Stacked:
    """Several ``nn.Sequential`` MLPs of one architecture run as one batched network.

    Linear layers become stacked weights ``(K, out, in)`` applied with ``baddbmm``;
    parameter-free layers (activations, dropout) act elementwise on ``(K, batch, width)``,
    so dropout draws an independent mask for every model.
    """

    def __init__(self, models: Sequence[nn.Module]):
        first = models[0]
        if not isinstance(first, nn.Sequential):
            raise ValueError(f"models must be nn.Sequential MLPs, but got {type(first).__name__}")
        self.models = models
        self.layers: list[nn.Module] = list(first)
        self.weights: dict[int, Tensor] = {}
        self.biases: dict[int, Tensor] = {}
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                self.weights[i] = torch.stack([m[i].weight.detach() for m in models]).clone()
                if layer.bias is not None:
                    self.biases[i] = torch.stack([m[i].bias.detach() for m in models]).clone()
            elif any(True for _ in layer.parameters()) or any(True for _ in layer.buffers()):
                raise ValueError(
                    f"fit_many supports Linear layers and parameter-free layers, but layer {i} "
                    f"is {type(layer).__name__}"
                )
        for tensor in self.parameters():
            tensor.requires_grad_(True)

    def parameters(self) -> list[Tensor]:
        return list(self.weights.values()) + list(self.biases.values())

    def forward(self, x: Tensor, training: bool) -> Tensor:
        """``x``: ``(K, n, in)``, or ``(n, in)`` shared by every model; returns
        ``(K, n, classes)`` logits. Shared inputs go through the first linear layer of all
        models as one matrix product ``(n, in) @ (in, K * out)``."""
        h = x
        for i, layer in enumerate(self.layers):
            if i in self.weights:
                h = self._linear(i, h)
            else:
                layer.train(training)
                h = layer(h if h.dim() == 3 else h.expand(len(self.models), *h.shape))
        return h

    def _linear(self, i: int, h: Tensor) -> Tensor:
        weight, bias = self.weights[i], self.biases.get(i)
        k, width_out, width_in = weight.shape
        if h.dim() == 2:  # (n, in) shared: one wide product, then (K, n, out)
            out = (h @ weight.reshape(k * width_out, width_in).T).view(len(h), k, width_out)
            out = out.transpose(0, 1)
            return out if bias is None else out + bias.unsqueeze(1)
        weight_t = weight.transpose(1, 2)
        return torch.bmm(h, weight_t) if bias is None else torch.baddbmm(bias.unsqueeze(1), h, weight_t)

    @torch.no_grad()
    def write_back(self) -> None:
        for k, model in enumerate(self.models):
            for i, weight in self.weights.items():
                model[i].weight.copy_(weight[k])
            for i, bias in self.biases.items():
                model[i].bias.copy_(bias[k])
            model.train(True)


def fit_many(
    models: Sequence[nn.Module],
    train: Split,
    *,
    val: Split | None = None,
    epochs: int,
    batch_size: int,
    lr: float | Sequence[float],
    weight_decay: float | Sequence[float] = 0.0,
    seed: int = 0,
    subsets: Tensor | None = None,
    sample_weight: Tensor | None = None,
    eval_every: int = 1,
    eval_train: bool = True,
    shared_batches: bool = False,
) -> list[History]:
    """Train several models of one architecture at once, in one vectorized pass.

    The models' linear weights are stacked into ``(K, out, in)`` tensors and each SGD step
    runs every model on its own mini-batch with batched matrix products: K small networks
    then cost about as much Python overhead as one. Each model ``k`` follows plain SGD with its own
    learning rate and L2 weight decay (``p <- p - lr_k * (grad + wd_k * p)``, as
    ``torch.optim.SGD(weight_decay=)``), its own batch order, and optionally its own subset
    of the training set and its own per-sample weights. Dropout masks differ per model.
    The trained weights are written back into ``models``.

    Args:
        models: ``nn.Sequential`` MLPs of one architecture made of ``nn.Linear`` and
            parameter-free layers (activations, dropout), e.g. from :func:`mlp`.
        train: ``(x, y)`` shared training tensors.
        val: optional ``(x, y)`` evaluated for every model.
        epochs: passes over each model's training subset.
        batch_size: samples per step and model.
        lr: one learning rate, or one per model.
        weight_decay: one L2 coefficient, or one per model.
        seed: seed of the batch orders.
        subsets: ``(n_models, m)`` indices into ``train``: model k trains on
            ``train[subsets[k]]`` (bagging, pasting, cross-validation folds); indices may
            repeat. Default: every model uses all of ``train``.
        sample_weight: ``(n_models, len(train))`` non-negative weights; each step's loss is
            the weighted mean ``sum(w * loss) / sum(w)`` over the batch (boosting).
        eval_every: evaluate every this many epochs (0: only after the last).
        eval_train: evaluate each model on its own training subset too.
        shared_batches: every model sees the same mini-batches in the same order (as
            *Deep Learning from Scratch* compares initializations); then the models differ
            only in their initial weights, rates and sample weights, and the first layer
            of all of them is one matrix product (faster). Not with ``subsets``.

    Returns:
        One :class:`History` per model (``step_loss`` included).

    Raises:
        ValueError: empty or buffered models, or malformed data, rates, subsets, weights.
    """
    x, y = _check_split("train", train)
    if val is not None:
        val = _check_split("val", val)
    _check_fit_args(epochs, batch_size, eval_every)
    _check_many_args(models, len(x), subsets, sample_weight)
    if shared_batches and subsets is not None:
        raise ValueError("shared_batches=True needs subsets=None (every model sees all of train)")
    k = len(models)
    lrs = _per_member("lr", lr, k)
    decays = _per_member("weight_decay", weight_decay, k)
    if (lrs <= 0).any():
        raise ValueError(f"lr must be positive, but got {lr}")
    subsets = torch.arange(len(x)).expand(k, -1) if subsets is None else subsets
    weights = torch.ones(k, len(x)) if sample_weight is None else sample_weight.float()
    stacked = _Stacked(models)
    params = stacked.parameters()
    generator = torch.Generator().manual_seed(seed)
    histories = [History() for _ in range(k)]
    all_losses: list[Tensor] = []
    m = subsets.shape[1]
    for epoch in range(1, epochs + 1):
        n_orders = 1 if shared_batches else k
        orders = torch.stack([torch.randperm(m, generator=generator) for _ in range(n_orders)])
        epoch_idx = torch.gather(subsets[:n_orders], 1, orders)
        for start in range(0, m, batch_size):
            idx = epoch_idx[:, start : start + batch_size]
            xb = x[idx[0]] if shared_batches else x[idx]
            idx = idx.expand(k, -1)
            wb = torch.gather(weights, 1, idx)
            logits = stacked.forward(xb, training=True)
            per_sample = F.cross_entropy(logits.flatten(0, 1), y[idx].flatten(), reduction="none")
            member_loss = (wb * per_sample.view_as(wb)).sum(1) / wb.sum(1).clamp_min(1e-12)
            grads = torch.autograd.grad(member_loss.sum(), params)
            with torch.no_grad():
                for param, g in zip(params, grads, strict=True):
                    shape = (k,) + (1,) * (param.dim() - 1)
                    g.addcmul_(decays.view(shape), param)  # in place: no large temporaries
                    param.addcmul_(lrs.view(shape), g, value=-1.0)
            all_losses.append(member_loss.detach())
        if epoch == epochs or (eval_every and epoch % eval_every == 0):
            _record_many(stacked, histories, epoch, (x, y), subsets if eval_train else None, val)
    stacked.write_back()
    losses = torch.stack(all_losses, dim=1) if all_losses else torch.zeros(k, 0)
    for history, member_losses in zip(histories, losses, strict=True):
        history.step_loss = member_losses.tolist()
    return histories


def _record_many(
    stacked: _Stacked, histories: list[History], epoch: int, train: Split,
    subsets: Tensor | None, val: Split | None,
) -> None:
    if subsets is not None:
        x, y = train
        with torch.no_grad():  # every model on all training images
            logits = stacked.forward(x, training=False)
        for k, history in enumerate(histories):
            part, target = logits[k, subsets[k]], y[subsets[k]]
            history.train_loss.append(F.cross_entropy(part, target).item())
            history.train_acc.append((part.argmax(1) == target).float().mean().item())
    if val is not None:
        with torch.no_grad():
            logits = stacked.forward(val[0], training=False)
        for k, history in enumerate(histories):
            history.val_loss.append(F.cross_entropy(logits[k], val[1]).item())
            history.val_acc.append((logits[k].argmax(1) == val[1]).float().mean().item())
    for history in histories:
        history.epoch.append(epoch)
