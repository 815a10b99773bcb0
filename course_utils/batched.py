"""Train K models of one architecture at once: seeds, configurations, members, folds.

Rigor costs repetitions: five or ten seeds per arm, a learning rate per arm chosen on
validation, fifteen ensemble members, a hundred search trials. :func:`fit_batched` trains
all of them in one pass, and each model ends exactly where its own
:func:`course_utils.training.fit` run would end (to float rounding):

    ``fit_batched(models, train, lr=lrs, seed=seeds, ...)[k]``  ≡
    ``fit(models[k], train_k, lr=lrs[k], seed=seeds[k], ...)``

with ``train_k = train[subsets[k]]`` when the models train on their own subsets.

How. The K networks' weights are stacked, ``(K, out, in)``, and the activations are kept
*transposed*, ``(K, width, batch)``, so every linear layer is one batched product
``W_k h_k``; when all K models see the same batch, the first layer (whose input they
share) is a single ``(K·out, in) @ (in, batch)`` product. Batch norm of width C in each of
the K models is one batch norm of width K·C over the batch dimension, layer norm
normalizes each model's column, and dropout draws every model's own mask. The loss is the
sum of the K models' losses, so one backward pass gives each model its own gradient, and
plain SGD (``p <- p - lr_k (g + wd_k p)``, as ``torch.optim.SGD``) updates them in place.
The most common stacks, linear layers with one ReLU (and any dropout) between them, skip
autograd below the logits: the chain rule through ReLU and dropout is two element-wise
factors, applied by hand, and the ReLU and dropout layers work in place.

On a CPU this does not make K models cheaper than one model K times (the arithmetic is
the same); it removes K-fold Python overhead and evaluates all models in one wide pass.
What makes seeds affordable is evaluating less often: ``eval_every``.

What is here: :func:`fit_batched` (the trainer) and :func:`stack_supported` (is a model
made of layers the trainer can stack?). Histories are recorded by
:func:`course_utils.training.record_epoch`, the recorder ``fit`` uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.dropout import Dropout
from course_utils.normalization import BatchNorm1d, batch_norm, is_batch_norm, is_layer_norm, layer_norm
from course_utils.training import (
    History,
    Split,
    _check_eval_at,
    _check_fit_args,
    _check_split,
    _EvalSets,
    _steps_per_epoch,
)

__all__ = ["fit_batched", "stack_supported"]

# Evaluate in column chunks so the widest activation stays below this many floats.
_EVAL_FLOATS = 1 << 24


def _is_dropout(layer: nn.Module) -> bool:
    return isinstance(layer, (nn.Dropout, Dropout))


def _train_scale(layer: nn.Module) -> float:
    """The factor a dropout layer gives its kept units in training."""
    if getattr(layer, "mode", "inverted") == "vanilla":
        return 1.0
    return 0.0 if layer.p == 1.0 else 1.0 / (1.0 - layer.p)


def _relu_chain(layers: Sequence[nn.Module]) -> list[float] | None:
    """For ``Linear, (ReLU and dropout layers), Linear, ...`` with exactly one ReLU between
    two linear layers, the product of the dropout training scales in front of each linear
    layer (1.0 for the first); otherwise None. Such stacks are differentiated by hand."""
    if not layers or not isinstance(layers[0], nn.Linear) or not isinstance(layers[-1], nn.Linear):
        return None
    scales, relus, scale = [1.0], 0, 1.0
    for layer in layers[1:]:
        if isinstance(layer, nn.Linear):
            if relus != 1:
                return None
            scales.append(scale)
            relus, scale = 0, 1.0
        elif type(layer) is nn.ReLU:
            relus += 1
        elif _is_dropout(layer):
            scale *= _train_scale(layer)
        else:
            return None
    return scales


def _has_state(layer: nn.Module) -> bool:
    return any(True for _ in layer.parameters()) or any(True for _ in layer.buffers())


def _layer_problem(index: int, layer: nn.Module) -> str | None:
    """Why ``layer`` cannot be stacked, or None."""
    if isinstance(layer, nn.Linear) or _is_dropout(layer):
        return None
    if is_batch_norm(layer):
        if not isinstance(layer, (nn.BatchNorm1d, BatchNorm1d)):
            return f"layer {index} is {type(layer).__name__} (only BatchNorm1d is supported)"
        return None
    if is_layer_norm(layer):
        if len(layer.normalized_shape) != 1:
            return (f"layer {index} is a LayerNorm over {tuple(layer.normalized_shape)} "
                    "(only one normalized dimension is supported)")
        return None
    if _has_state(layer):
        return (f"layer {index} is {type(layer).__name__}: supported layers are Linear, "
                "BatchNorm1d, LayerNorm, dropout and parameter-free activations")
    return None


def stack_supported(model: nn.Module) -> bool:
    """Whether :func:`fit_batched` can train ``model``: an ``nn.Sequential`` of Linear,
    BatchNorm1d, LayerNorm (one normalized dimension), dropout and parameter-free
    element-wise layers.

    Examples:
        >>> stack_supported(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
        True
        >>> stack_supported(nn.Sequential(nn.Conv1d(1, 1, 3)))
        False
    """
    return isinstance(model, nn.Sequential) and not any(
        _layer_problem(i, layer) for i, layer in enumerate(model))


def _check_models(models: Sequence[nn.Module]) -> None:
    if len(models) == 0:
        raise ValueError("models must contain at least one model, but got none")
    if len({id(m) for m in models}) != len(models):
        raise ValueError("models must be distinct objects, but the same model appears twice")
    first = models[0]
    if not isinstance(first, nn.Sequential):
        raise ValueError(f"models must be nn.Sequential MLPs, but got {type(first).__name__}")
    for i, layer in enumerate(first):
        problem = _layer_problem(i, layer)
        if problem:
            raise ValueError(f"models must be stackable MLPs, but {problem}")
    def signature(model: nn.Module) -> list | None:  # layer types, settings (p, eps, ...), shapes
        if not isinstance(model, nn.Sequential):
            return None
        return [(type(layer), layer.extra_repr(), tuple(p.shape for p in layer.parameters()))
                for layer in model]

    shape = signature(first)
    for k, model in enumerate(models[1:], start=1):
        if signature(model) != shape:
            raise ValueError(f"models must all have one architecture (layer types, settings and "
                             f"shapes), but model {k} differs from model 0")


def _per_model(name: str, value: float | Sequence[float] | Tensor, k: int, *, positive: bool) -> Tensor:
    values = torch.as_tensor(value, dtype=torch.float32).flatten()
    if values.numel() == 1:
        values = values.expand(k).clone()
    if values.numel() != k:
        raise ValueError(f"{name} must be a number or one value per model ({k}), but got {value}")
    bad = ~(values > 0) if positive else ~(values >= 0)
    if bad.any():
        rule = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be {rule}, but got {value}")
    return values


def _per_model_ints(name: str, value: int | Sequence[int], k: int) -> list[int]:
    values = [value] * k if isinstance(value, int) else [int(v) for v in value]
    if len(values) != k:
        raise ValueError(f"{name} must be an int or one int per model ({k}), but got {len(values)} values")
    if any(v < 0 for v in values):
        raise ValueError(f"{name} must be non-negative, but got {value}")
    return values


class _Stack:
    """K ``nn.Sequential`` models as one network on transposed activations ``(K, width, n)``."""

    def __init__(self, models: Sequence[nn.Sequential], dropout_seeds: list[int] | None):
        self.models, self.k = models, len(models)
        self.layers: list[nn.Module] = list(models[0])
        self.params: dict[tuple[int, str], Tensor] = {}
        self.buffers: dict[tuple[int, str], Tensor] = {}
        self.linear: dict[tuple[int, str], Tensor] = {}  # updated by hand, outside autograd
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                self._stack(i, ("weight", "bias"), self.linear, lambda t: t)
            elif is_batch_norm(layer) or is_layer_norm(layer):
                self._stack(i, ("weight", "bias"), self.params, lambda t: t.flatten())
                self._stack(i, ("running_mean", "running_var"), self.buffers, lambda t: t.flatten())
        for tensor in self.params.values():
            tensor.requires_grad_(True)
        tracked = [i for i, layer in enumerate(self.layers)
                   if is_batch_norm(layer) and layer.track_running_stats]
        # batches seen so far by model 0's first tracking BN layer (torch counts per layer)
        self.batches_tracked = int(models[0][tracked[0]].num_batches_tracked) if tracked else 0
        self.has_bn = any(is_batch_norm(layer) for layer in self.layers)
        self.by_hand = _relu_chain(self.layers)
        self.last_linear = max(i for i, layer in enumerate(self.layers) if isinstance(layer, nn.Linear))
        self.generators = None if dropout_seeds is None else [
            torch.Generator().manual_seed(s) for s in dropout_seeds]

    def _stack(self, i: int, names: Sequence[str], store: dict, shape) -> None:
        for name in names:
            tensors = [getattr(model[i], name, None) for model in self.models]
            if tensors[0] is not None:
                store[(i, name)] = shape(torch.stack([t.detach() for t in tensors]).clone())

    def forward(self, x: Tensor, training: bool, tape: list | None = None) -> Tensor:
        """``x``: ``(n, in)`` shared by all models or ``(K, in, n)``; returns ``(K, classes, n)``.

        With a ``tape``, each linear layer appends ``(index, input, output)`` so that
        :meth:`sgd_step` can form the weight gradients from the output gradients. In a
        ReLU/dropout stack (``by_hand``) only the logits enter autograd, and the ReLU and
        dropout layers work in place: :meth:`sgd_step` applies the chain rule itself.
        """
        if training and self.has_bn:
            self.batches_tracked += 1
        h = x
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                h = self._linear(i, h, tape)
            elif is_batch_norm(layer):
                h = self._batch_norm(i, layer, h, training)
            elif is_layer_norm(layer):
                h = self._layer_norm(i, layer, h)
            elif _is_dropout(layer):
                h = self._dropout(layer, h, training)
            elif self.by_hand:  # a ReLU whose input (a linear output) is not needed again
                h = h.relu_()
            else:
                layer.train(training)
                h = layer(h)
        return h

    def _linear(self, i: int, h: Tensor, tape: list | None) -> Tensor:
        weight, bias = self.linear[(i, "weight")], self.linear.get((i, "bias"))
        k, width_out, width_in = weight.shape
        if h.dim() == 2:  # the shared input (n, in): one (n, in) @ (in, K*out) product
            flat = weight.view(k * width_out, width_in).t()
            out = h @ flat if bias is None else torch.addmm(bias.view(-1), h, flat)
        else:
            out = torch.bmm(weight, h) if bias is None else torch.baddbmm(bias.unsqueeze(2), weight, h)
        if tape is not None:
            if self.by_hand and i != self.last_linear:
                tape.append((i, h, None))
                return out.t().view(k, width_out, -1) if h.dim() == 2 else out
            if not out.requires_grad:  # the first layer (or, by hand, the logits)
                out.requires_grad_(True)
            tape.append((i, h, out))
        # (n, K*out) -> its transpose viewed as (K, out, n): no copy
        return out.t().view(k, width_out, -1) if h.dim() == 2 else out

    @torch.no_grad()
    def sgd_step(self, loss: Tensor, tape: list, rates: Tensor, decays: Tensor | None) -> None:
        """One backward pass for all K models, then ``p <- p - lr_k (g + wd_k p)`` in place.

        The arithmetic of ``torch.optim.SGD(weight_decay=wd)`` for every parameter.
        Autograd gives the gradient of each linear layer's output, ``G = dL/dz``; the
        weight gradient ``G h^T`` is then accumulated straight into the weights
        (``W <- (1 - lr wd) W - (lr G) h^T``, one fused product, no gradient tensor).
        """
        keep = None if decays is None else 1.0 - rates * decays
        if self.by_hand:
            self._sgd_by_hand(loss, tape, rates, keep)
            return
        norm_params = list(self.params.values())
        with torch.enable_grad():  # each model's loss weighted by its rate: gradients are lr * g
            grads = torch.autograd.grad((loss * rates).sum(), [out for _, _, out in tape] + norm_params)
        for (i, h, _), step in zip(tape, grads, strict=False):
            self._update_linear(i, h, step, keep)
        for param, step in zip(norm_params, grads[len(tape):], strict=True):
            param = param.view(self.k, -1)
            if keep is not None:
                param.mul_(keep.view(-1, 1))
            param.sub_(step.view(self.k, -1))

    def _sgd_by_hand(self, loss: Tensor, tape: list, rates: Tensor, keep: Tensor | None) -> None:
        """:meth:`sgd_step` for a ReLU/dropout stack, layer by layer from the top.

        Autograd gives the logits' gradient; below it, each linear layer's input is
        ``h = c m relu(z)`` (the mask ``m`` and scale ``c`` of the dropout layers in between,
        1 without them), whose derivative is ``c`` where ``h > 0`` and 0 elsewhere. Each
        layer passes its gradient down before its own weights are updated.
        """
        with torch.enable_grad():  # each model's loss weighted by its rate: gradients are lr * g
            (step,) = torch.autograd.grad((loss * rates).sum(), [tape[-1][2]])
        for j in range(len(tape) - 1, -1, -1):
            i, h, _ = tape[j]
            below = None
            if j:
                below = torch.ops.aten.threshold_backward(  # the gradient where h > 0, else 0
                    torch.bmm(self.linear[(i, "weight")].transpose(1, 2), step), h, 0.0)
                if self.by_hand[j] != 1.0:
                    below.mul_(self.by_hand[j])
            self._update_linear(i, h, step, keep)
            step = below

    @torch.no_grad()
    def _update_linear(self, i: int, h: Tensor, step: Tensor, keep: Tensor | None) -> None:
        """``W <- keep W - step h^T`` and ``b <- keep b - sum(step)`` for linear layer ``i``."""
        weight, bias = self.linear[(i, "weight")], self.linear.get((i, "bias"))
        k, width_out, width_in = weight.shape
        if keep is not None:
            weight.mul_(keep.view(k, 1, 1))
            if bias is not None:
                bias.mul_(keep.view(k, 1))
        if h.dim() == 2:  # step: (n, K*out), or (K, out, n) by hand; h: (n, in)
            rows = step.reshape(k * width_out, -1) if step.dim() == 3 else step.t()
            weight.view(k * width_out, width_in).addmm_(rows, h, alpha=-1.0)
            if bias is not None:
                bias.view(-1).sub_(rows.sum(1))
        else:  # step: (K, out, n), h: (K, in, n)
            weight.baddbmm_(step, h.transpose(1, 2), alpha=-1.0)
            if bias is not None:
                bias.sub_(step.sum(2))

    def _batch_norm(self, i: int, layer: nn.Module, h: Tensor, training: bool) -> Tensor:
        # K layers of width C over (K, C, n) = one BN of width K*C over the (1, K*C, n) view,
        # whose statistics average over the batch dimension n, model by model
        k, width, n = h.shape
        tracking = layer.track_running_stats
        use_batch = training or (i, "running_mean") not in self.buffers
        factor = 0.0
        if training and tracking:
            factor = 1.0 / self.batches_tracked if layer.momentum is None else layer.momentum
        keep_buffers = not training or tracking
        out = batch_norm(
            h.reshape(1, k * width, n),
            self.buffers.get((i, "running_mean")) if keep_buffers else None,
            self.buffers.get((i, "running_var")) if keep_buffers else None,
            self.params.get((i, "weight")), self.params.get((i, "bias")),
            use_batch, factor, layer.eps,
        )
        return out.view(k, width, n)

    def _layer_norm(self, i: int, layer: nn.Module, h: Tensor) -> Tensor:
        k, width, _ = h.shape
        out = layer_norm(h.transpose(1, 2), (width,), eps=layer.eps).transpose(1, 2)
        weight, bias = self.params.get((i, "weight")), self.params.get((i, "bias"))
        if weight is not None:
            out = out * weight.view(k, width, 1)
        if bias is not None:
            out = out + bias.view(k, width, 1)
        return out

    def _dropout(self, layer: nn.Module, h: Tensor, training: bool) -> Tensor:
        p, mode = layer.p, getattr(layer, "mode", "inverted")
        if not training:
            return h if mode == "inverted" else h * (1.0 - p)
        if self.generators is None:
            uniform = torch.rand_like(h)
        else:  # model k draws its mask as its own fit run would: (n, width), row by row
            k, width, n = h.shape
            uniform = torch.empty(k, n, width)
            for generator, out in zip(self.generators, uniform, strict=True):
                torch.rand((n, width), generator=generator, out=out)
            uniform = uniform.transpose(1, 2)
        scale = _train_scale(layer)
        mask = (uniform >= p).to(h.dtype) * scale
        return h.mul_(mask) if self.by_hand else h * mask

    @torch.no_grad()
    def write_back(self) -> None:
        for store in (self.linear, self.params, self.buffers):
            for (i, name), stacked in store.items():
                for k, model in enumerate(self.models):
                    target = getattr(model[i], name)
                    target.copy_(stacked.view(self.k, -1)[k].view_as(target))
        for i, layer in enumerate(self.layers):
            if is_batch_norm(layer) and layer.track_running_stats:
                for model in self.models:
                    model[i].num_batches_tracked.fill_(self.batches_tracked)
        for model in self.models:
            model.train(True)

    @property
    def batch_dependent(self) -> bool:
        """True if evaluation uses batch statistics (BN without running estimates)."""
        return any(is_batch_norm(layer) and (i, "running_mean") not in self.buffers
                   for i, layer in enumerate(self.layers))

    @torch.no_grad()
    def logits(self, x: Tensor) -> Tensor:
        """Evaluation-mode logits, ``(K, n, classes)``, on inputs ``(n, in)`` shared by all
        models or ``(K, n, in)``. Shared inputs go in column chunks (unless evaluation
        depends on the batch), each one wide product in the first layer."""
        if x.dim() == 3:
            return self.forward(x.transpose(1, 2), training=False).transpose(1, 2)
        widest = max([x.shape[1]] + [w.shape[1] for w in self.linear.values() if w.dim() == 3])
        chunk = len(x) if self.batch_dependent else max(1, _EVAL_FLOATS // (self.k * widest))
        parts = [self.forward(part, training=False) for part in x.split(chunk)]
        return torch.cat(parts, dim=2).transpose(1, 2)


class _Orders:
    """Each model's batch order per epoch, drawn as its own ``fit`` run draws it."""

    def __init__(self, seeds: list[int], subsets: Tensor | None, n: int):
        self.subsets, self.m = subsets, (n if subsets is None else subsets.shape[1])
        unique = sorted(set(seeds))
        self.generators = {s: torch.Generator().manual_seed(s) for s in unique}
        self.row = torch.tensor([unique.index(s) for s in seeds])
        self.shared = subsets is None and len(unique) == 1

    def next_epoch(self) -> Tensor:
        """``(1, m)`` when every model shares the order, else ``(K, m)`` training indices."""
        perms = torch.stack([torch.randperm(self.m, generator=g) for g in self.generators.values()])
        if self.shared:
            return perms
        orders = perms[self.row]
        return orders if self.subsets is None else torch.gather(self.subsets, 1, orders)


def _check_data_args(k: int, n: int, subsets: Tensor | None, sample_weight: Tensor | None) -> None:
    if subsets is not None:
        if subsets.dim() != 2 or len(subsets) != k or subsets.shape[1] == 0:
            raise ValueError(f"subsets must be a (n_models, subset_size) index tensor with n_models = {k}, "
                             f"but got shape {tuple(subsets.shape)}")
        if subsets.min() < 0 or subsets.max() >= n:
            raise ValueError(f"subsets must index the {n} training samples, but got indices "
                             f"from {int(subsets.min())} to {int(subsets.max())}")
    if sample_weight is not None:
        if tuple(sample_weight.shape) != (k, n):
            raise ValueError(f"sample_weight must have shape ({k}, {n}), but got "
                             f"{tuple(sample_weight.shape)}")
        if not torch.isfinite(sample_weight).all() or (sample_weight < 0).any():
            raise ValueError("sample_weight must be finite and non-negative, but got other values")


class _Evaluator(_EvalSets):
    """Evaluates every model on its training data and ``val`` in one wide pass, as ``fit``."""

    def __init__(self, train: Split, val: Split | None, subsets: Tensor | None, eval_train: bool):
        super().__init__(train, val, eval_train)
        self.own = subsets if eval_train else None  # each model's own training subset

    def __call__(self, stack: _Stack, histories: list[History], epoch: int) -> None:
        if self.x is None:
            self.record(histories, epoch)
            return
        own, ys = self.own, self.ys
        if own is not None and stack.batch_dependent:  # exactly fit's batch: own train + val
            n_train = self.sizes[0]
            inputs = torch.cat([self.x[:n_train][own], self.x[n_train:].expand(stack.k, -1, -1)], dim=1)
            parts = stack.logits(inputs).split([own.shape[1]] + self.sizes[1:], dim=1)
            ys = [ys[0][own]] + ys[1:]
        else:
            parts = list(stack.logits(self.x).split(self.sizes, dim=1))
            if own is not None:  # model k scored on its own subset of the training set
                parts[0] = torch.gather(parts[0], 1, own.unsqueeze(2).expand(-1, -1, parts[0].shape[2]))
                ys = [ys[0][own]] + ys[1:]
        self.record(histories, epoch, parts, ys)


def fit_batched(
    models: Sequence[nn.Module],
    train: Split,
    *,
    val: Split | None = None,
    epochs: int,
    batch_size: int,
    lr: float | Sequence[float] | Tensor,
    weight_decay: float | Sequence[float] | Tensor = 0.0,
    seed: int | Sequence[int] = 0,
    subsets: Tensor | None = None,
    sample_weight: Tensor | None = None,
    max_steps: int | None = None,
    eval_every: int = 1,
    eval_at: Sequence[int] = (),
    eval_train: bool = True,
    dropout_seed: int | Sequence[int] | None = None,
    callback: Callable[[int, list[History]], bool | None] | None = None,
) -> list[History]:
    """Train K models of one architecture at once with plain SGD; one History per model.

    Model ``k`` follows exactly what
    ``fit(models[k], train_k, val=val, epochs=epochs, batch_size=batch_size, lr=lr[k],
    weight_decay=weight_decay[k], seed=seed[k], max_steps=max_steps,
    eval_every=eval_every, eval_at=eval_at, eval_train=eval_train)`` would do (plain SGD), where ``train_k``
    is ``train`` or, with ``subsets``, ``train[subsets[k]]``: the same batch order, the
    same updates (batch-norm running statistics included), the same evaluations. The
    trained parameters and buffers are written back into ``models``.

    Args:
        models: distinct ``nn.Sequential`` models of one architecture made of
            ``nn.Linear``, ``BatchNorm1d`` and ``LayerNorm`` (torch's or the course's),
            dropout (``nn.Dropout`` or :class:`course_utils.dropout.Dropout`, either mode)
            and parameter-free element-wise layers (activations), e.g. from
            :func:`course_utils.models.mlp`.
        train: ``(x, y)`` training tensors, ``x`` of shape ``(n, features)``.
        val: optional ``(x, y)`` evaluated for every model.
        epochs: passes over each model's training data.
        batch_size: samples per step and model.
        lr: one learning rate, or one per model.
        weight_decay: one L2 coefficient (as ``torch.optim.SGD``'s), or one per model.
        seed: the batch-order seed of ``fit``, one for all models or one per model.
            Models with the same seed and no ``subsets`` share their mini-batches
            (paired comparisons, and the fastest layout); different seeds give each model
            its own order.
        subsets: ``(K, m)`` indices into ``train``: model k trains on ``train[subsets[k]]``
            (bagging, pasting, folds); indices may repeat.
        sample_weight: ``(K, len(train))`` non-negative weights; each step's loss is the
            weighted mean ``sum(w * loss) / sum(w)`` over the batch (boosting).
        max_steps: stop after this many steps (and evaluate there), as in ``fit``.
        eval_every: evaluate every this many epochs and always after the last one
            (0: only after the last).
        eval_at: also evaluate after these epochs (e.g. ``(1, 2, 5)``: the start of a
            learning curve otherwise evaluated every ``eval_every`` epochs).
        eval_train: evaluate each model on its own training data too.
        dropout_seed: None draws dropout masks from torch's global generator (every model
            its own masks); otherwise one seed, or one per model, for a generator per
            model that draws model k's masks exactly as its own ``fit`` run would after
            ``torch.manual_seed(dropout_seed[k])`` with :class:`course_utils.dropout.Dropout`.
        callback: called as ``callback(epoch, histories)`` after each evaluation, with the
            current parameters and buffers written back into ``models`` (so it can measure
            them, e.g. a weight norm); returning True stops the training of all models.

    Returns:
        One :class:`~course_utils.training.History` per model, ``step_loss`` included.

    Raises:
        ValueError: no models, repeated models, unsupported layers or architectures that
            differ, malformed data, non-positive ``lr``, negative ``weight_decay``, wrong
            numbers of per-model values, bad ``subsets``/``sample_weight``, or
            non-positive ``epochs``/``batch_size``/``max_steps``.

    Examples:
        >>> from course_utils.models import mlp
        >>> x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
        >>> models = [mlp([5, 8, 3], generator=torch.Generator().manual_seed(s)) for s in range(4)]
        >>> histories = fit_batched(models, (x, y), epochs=3, batch_size=16, lr=[0.1, 0.1, 0.3, 0.3],
        ...                         seed=[0, 1, 0, 1], eval_every=0)
        >>> len(histories), histories[0].epoch
        (4, [3])
    """
    x, y = _check_split("train", train)
    if val is not None:
        val = _check_split("val", val)
    _check_fit_args(epochs, batch_size, eval_every, max_steps)
    extra_evals = _check_eval_at(eval_at)
    _check_models(models)
    k = len(models)
    _check_data_args(k, len(x), subsets, sample_weight)
    rates = _per_model("lr", lr, k, positive=True)
    decays = _per_model("weight_decay", weight_decay, k, positive=False)
    seeds = _per_model_ints("seed", seed, k)
    dropout_seeds = None if dropout_seed is None else _per_model_ints("dropout_seed", dropout_seed, k)
    stack = _Stack(models, dropout_seeds)
    orders = _Orders(seeds, subsets, len(x))
    evaluate = _Evaluator((x, y), val, subsets, eval_train)
    steps = max_steps if max_steps is not None else epochs * math.ceil(orders.m / batch_size)
    histories = [History() for _ in range(k)]
    losses: list[Tensor] = []
    n_batches = math.ceil(orders.m / batch_size)
    per_epoch = _steps_per_epoch(n_batches)
    if per_epoch < n_batches:  # smoke test: as many epochs as the real run, one step each
        steps = math.ceil(steps / n_batches)
    for epoch in range(1, epochs + 1):
        order = orders.next_epoch()
        for index in order[:, : min(per_epoch, steps - len(losses)) * batch_size].split(batch_size, dim=1):
            if orders.shared:
                inputs, targets = x[index[0]], y[index[0]]
            else:
                inputs, targets = x[index].transpose(1, 2), y[index]
            tape: list = []
            logits = stack.forward(inputs, training=True, tape=tape)
            per_sample = F.cross_entropy(logits, targets.expand(k, -1), reduction="none")
            if sample_weight is None:
                loss = per_sample.mean(1)
            else:
                weights = (sample_weight[:, index[0]] if orders.shared
                           else torch.gather(sample_weight, 1, index))
                loss = (weights * per_sample).sum(1) / weights.sum(1).clamp_min(1e-12)
            stack.sgd_step(loss, tape, rates, decays if decays.any() else None)
            losses.append(loss.detach())
        done = len(losses) >= steps or epoch == epochs
        if done or (eval_every and epoch % eval_every == 0) or epoch in extra_evals:
            evaluate(stack, histories, epoch)
            if callback is not None:
                stack.write_back()
                if callback(epoch, histories):
                    break
        if done:
            break
    stack.write_back()
    for history, row in zip(histories, torch.stack(losses, dim=1).tolist(), strict=True):
        history.step_loss = row
    return histories
