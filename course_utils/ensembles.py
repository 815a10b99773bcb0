"""Chapter 03, ensembles and boosting: many models, combined, beat one.

An *ensemble* trains several models separately and combines their outputs: classifiers
by a vote, regressors by an average. It helps when the members make *different* errors,
so the lesson has three parts:

- **Combining** (:func:`hard_vote`, :func:`soft_vote`, :func:`average`): a majority vote
  of :math:`M` independent members of accuracy :math:`p > 1/2` is right with probability
  :math:`\\sum_{k > M/2} \\binom{M}{k} p^k (1-p)^{M-k} \\to 1`
  (:func:`majority_vote_accuracy`); real members' errors are correlated, which
  :func:`pairwise_disagreement` measures.
- **Diversity from data** (:func:`bootstrap_indices`, :func:`pasting_indices`,
  :class:`BaggingClassifier`): *bagging* (Breiman, 1996) trains each member on a sample
  drawn *with* replacement, *pasting* on one drawn *without*. A bootstrap sample of size
  :math:`n` holds a fraction :math:`1 - (1 - 1/n)^n \\approx 1 - 1/e \\approx 63.2\\,\\%`
  of the distinct samples; the rest are "out of bag".
- **Boosting** (:func:`samme_round`, :class:`AdaBoostClassifier`): members are trained in
  sequence, each on sample weights that grow on the samples its predecessors got wrong
  (AdaBoost, Freund & Schapire, 1997; its multi-class form SAMME, Zhu et al., 2009).

The estimators have scikit-learn's shape (``fit(X, y, sample_weight=None)`` returns
``self``; ``predict``, ``predict_proba``, ``staged_predict``; learned attributes end in
``_``), and their members can be scikit-learn estimators or :class:`TorchMLPClassifier`,
a small torch MLP whose loss weighs each sample by its ``sample_weight``. For ensembles of
many MLPs at once, :func:`member_subsets` gives ``course_utils.batched.fit_batched`` each
member's training subset, and :func:`member_probabilities` / :func:`accuracy_vs_size`
evaluate the result.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import accuracy_score
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data
from torch import Tensor, nn

from course_utils.batched import fit_batched
from course_utils.models import mlp

__all__ = [
    "bootstrap_indices",
    "pasting_indices",
    "out_of_bag_mask",
    "member_subsets",
    "fit_mlp_ensemble",
    "vote_counts",
    "hard_vote",
    "soft_vote",
    "average",
    "majority_vote_accuracy",
    "pairwise_disagreement",
    "member_probabilities",
    "accuracy_vs_size",
    "staged_accuracy",
    "weighted_error",
    "samme_alpha",
    "samme_round",
    "BaggingClassifier",
    "AdaBoostClassifier",
    "TorchMLPClassifier",
    "BoostedMLPs",
    "fit_boosted_mlps",
    "batch_weight_shares",
]

SubsetMethod = Literal["seeds", "bagging", "pasting"]
Voting = Literal["soft", "hard"]
_MAX_SEED = np.iinfo(np.int32).max


# ---------------------------------------------------------------------------------------
# Drawing each member's data: bagging and pasting
# ---------------------------------------------------------------------------------------


def _check_count(name: str, value: object, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, but got {value!r}")


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def bootstrap_indices(n: int, size: int | None = None, *, seed: int) -> Tensor:
    """Indices of a bootstrap sample: ``size`` draws from ``range(n)`` *with* replacement.

    Each draw is uniform and independent, so a sample may hold an index several times
    and miss others. The chance that one index is never drawn in :math:`n` draws is
    :math:`(1 - 1/n)^n \\to e^{-1} \\approx 0.368`, so a bootstrap sample of size :math:`n`
    contains about 63.2 % of the distinct indices (Breiman, 1996, *Bagging predictors*).

    The draw is ``torch.randint(n, (size,), generator=torch.Generator().manual_seed(seed))``.

    Args:
        n: number of samples to draw from (indices ``0 .. n-1``).
        size: number of draws; None means ``n``.
        seed: seed of the draw (the same seed gives the same indices).

    Returns:
        An int64 tensor of shape ``(size,)``.

    Raises:
        ValueError: ``n`` or ``size`` is not a positive integer.

    Examples:
        >>> idx = bootstrap_indices(1000, seed=0)
        >>> 0.60 < len(idx.unique()) / 1000 < 0.66
        True
    """
    _check_count("n", n)
    size = n if size is None else size
    _check_count("size", size)
    return torch.randint(n, (size,), generator=_generator(seed))


def pasting_indices(n: int, size: int, *, seed: int) -> Tensor:
    """Indices of a pasting sample: ``size`` draws from ``range(n)`` *without* replacement.

    The first ``size`` entries of a seeded random permutation: every index appears at
    most once (Breiman, 1999, *Pasting small votes*).

    Args:
        n: number of samples to draw from.
        size: number of distinct indices, ``1 <= size <= n``.
        seed: seed of the permutation.

    Returns:
        An int64 tensor of shape ``(size,)`` with distinct entries.

    Raises:
        ValueError: ``n`` is not a positive integer or ``size`` is not in ``[1, n]``.
    """
    _check_count("n", n)
    _check_count("size", size)
    if size > n:
        raise ValueError(f"size must be at most n={n} when drawing without replacement, "
                         f"but got {size}")
    return torch.randperm(n, generator=_generator(seed))[:size]


def out_of_bag_mask(indices: Tensor, n: int) -> Tensor:
    """Boolean mask of the samples in ``range(n)`` that ``indices`` never drew.

    Raises:
        ValueError: ``n`` is not a positive integer or an index lies outside ``[0, n)``.
    """
    _check_count("n", n)
    indices = torch.as_tensor(indices, dtype=torch.long)
    if indices.numel() and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"indices must lie in [0, {n}), but got values in "
                         f"[{indices.min().item()}, {indices.max().item()}]")
    mask = torch.ones(n, dtype=torch.bool)
    mask[indices] = False
    return mask


def _subset_size(max_samples: int | float, n: int) -> int:
    if isinstance(max_samples, bool):
        raise ValueError(f"max_samples must be an int in [1, n] or a float in (0, 1], "
                         f"but got {max_samples!r}")
    if isinstance(max_samples, (int, np.integer)):
        size = int(max_samples)
    elif isinstance(max_samples, float) and 0.0 < max_samples <= 1.0:
        size = max(1, int(max_samples * n))
    else:
        size = 0
    if not 1 <= size <= n:
        raise ValueError(f"max_samples must be an int in [1, n={n}] or a float in (0, 1], "
                         f"but got {max_samples!r}")
    return size


def _draw(n: int, size: int, bootstrap: bool, seed: int) -> Tensor:
    if bootstrap:
        return bootstrap_indices(n, size, seed=seed)
    return pasting_indices(n, size, seed=seed)


def member_subsets(
    n: int,
    n_members: int,
    *,
    method: SubsetMethod,
    max_samples: int | float = 1.0,
    seed: int,
) -> Tensor:
    """One training subset per member, stacked for ``course_utils.batched.fit_batched``.

    Args:
        n: training-set size.
        n_members: number of members.
        method: ``"seeds"`` (every member sees all ``n`` samples; diversity comes only
            from the initial weights and batch order), ``"bagging"`` (bootstrap samples)
            or ``"pasting"`` (samples without replacement).
        max_samples: subset size, an int or a fraction of ``n`` (ignored for ``"seeds"``).
        seed: member ``k`` draws with seed ``seed * 100_003 + k``.

    Returns:
        An int64 tensor of shape ``(n_members, subset size)``.

    Raises:
        ValueError: an unknown method or bad sizes.
    """
    _check_count("n", n)
    _check_count("n_members", n_members)
    if method not in ("seeds", "bagging", "pasting"):
        raise ValueError(f"method must be 'seeds', 'bagging' or 'pasting', but got {method!r}")
    if method == "seeds":
        return torch.arange(n).repeat(n_members, 1)
    size = _subset_size(max_samples, n)
    return torch.stack([_draw(n, size, method == "bagging", seed * 100_003 + k)
                        for k in range(n_members)])


def fit_mlp_ensemble(
    sizes: Sequence[int],
    train: tuple[Tensor, Tensor],
    *,
    n_members: int,
    method: SubsetMethod = "seeds",
    max_samples: int | float = 1.0,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
) -> list[nn.Sequential]:
    """Train ``n_members`` MLPs ``mlp(sizes)`` as an ensemble, all in one batched pass.

    The members start from PyTorch's default initialization drawn after
    ``torch.manual_seed(seed)`` (in a forked RNG, so the global state is untouched), get
    their training subsets from :func:`member_subsets` and are trained together by
    ``course_utils.batched.fit_batched`` (plain SGD; member ``k`` draws its batch order
    with seed ``seed * 100_003 + k``, as its subset).
    ``"seeds"`` gives what Lakshminarayanan et al. (2017) call a *deep ensemble*: same
    data, different random initializations and batch orders.

    Args:
        sizes: layer widths, e.g. ``[784, 16, 10]``.
        train: ``(x, y)`` training tensors.
        n_members: ensemble size.
        method, max_samples: how each member's data is drawn (see :func:`member_subsets`).
        epochs: passes over each member's own subset.
        batch_size, lr: SGD settings.
        seed: seed of the initial weights, the subsets and the batch orders.

    Returns:
        The trained members (in training mode).

    Raises:
        ValueError: bad sizes, method or training settings.
    """
    _check_count("n_members", n_members)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        models = [mlp(sizes) for _ in range(n_members)]
    subsets = member_subsets(len(train[0]), n_members, method=method, max_samples=max_samples,
                             seed=seed)
    fit_batched(models, train, epochs=epochs, batch_size=batch_size, lr=lr,
                seed=[seed * 100_003 + k for k in range(n_members)],  # own batch orders
                subsets=subsets, eval_every=0, eval_train=False)
    return models


# ---------------------------------------------------------------------------------------
# Combining the members: votes and averages
# ---------------------------------------------------------------------------------------


def _member_weights(weights: Sequence[float] | Tensor | None, n_members: int) -> Tensor | None:
    if weights is None:
        return None
    w = torch.as_tensor(weights, dtype=torch.float64).flatten()
    if w.numel() != n_members:
        raise ValueError(f"weights must have one entry per member ({n_members}), "
                         f"but got {w.numel()}")
    if not torch.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be finite, non-negative and not all zero, "
                         f"but got {w.tolist()}")
    return w


def vote_counts(
    predictions: Tensor,
    n_classes: int | None = None,
    *,
    weights: Sequence[float] | Tensor | None = None,
) -> Tensor:
    """How many (or how much weight of the) members vote for each class, per sample.

    .. math:: v_{ic} = \\sum_m w_m \\,[\\hat y_{mi} = c]

    Args:
        predictions: ``(n_members, n_samples)`` integer class labels in ``[0, n_classes)``.
        n_classes: number of classes; None means ``predictions.max() + 1``.
        weights: one non-negative weight per member (None: every member counts 1).

    Returns:
        ``(n_samples, n_classes)`` vote totals (int64 without weights, float64 with).

    Raises:
        ValueError: predictions not 2-D, labels outside ``[0, n_classes)``, bad weights.
    """
    predictions = torch.as_tensor(predictions)
    if predictions.dim() != 2 or predictions.dtype.is_floating_point or predictions.numel() == 0:
        raise ValueError(f"predictions must be a non-empty (n_members, n_samples) integer "
                         f"tensor, but got shape {tuple(predictions.shape)} and dtype "
                         f"{predictions.dtype}")
    predictions = predictions.long()
    n_classes = int(predictions.max()) + 1 if n_classes is None else n_classes
    if predictions.min() < 0 or predictions.max() >= n_classes:
        raise ValueError(f"predictions must be class labels in [0, {n_classes}), but got "
                         f"values in [{predictions.min().item()}, {predictions.max().item()}]")
    w = _member_weights(weights, len(predictions))
    one_hot = F.one_hot(predictions, n_classes)  # (members, samples, classes)
    if w is None:
        return one_hot.sum(dim=0)
    return torch.einsum("m,msc->sc", w, one_hot.double())


def hard_vote(
    predictions: Tensor,
    n_classes: int | None = None,
    *,
    weights: Sequence[float] | Tensor | None = None,
) -> Tensor:
    """Majority (plurality) vote: the class most members predict, for each sample.

    .. math:: \\hat y_i = \\arg\\max_c \\sum_m w_m [\\hat y_{mi} = c]

    **Tie rule:** when several classes get the same (largest) vote, the *smallest* class
    label wins, as in scikit-learn's ``VotingClassifier(voting="hard")``
    (``np.argmax(np.bincount(...))``) and ``torch.argmax`` (first maximum).

    Args:
        predictions: ``(n_members, n_samples)`` integer labels.
        n_classes: number of classes (None: inferred from the largest label).
        weights: optional non-negative weight per member (AdaBoost votes with its
            :math:`\\alpha_m`).

    Returns:
        ``(n_samples,)`` int64 labels.

    Raises:
        ValueError: see :func:`vote_counts`.

    Examples:
        >>> hard_vote(torch.tensor([[0, 1, 2], [0, 2, 1], [1, 2, 0]]))
        tensor([0, 2, 0])
    """
    return vote_counts(predictions, n_classes, weights=weights).argmax(dim=1)


def average(outputs: Tensor, weights: Sequence[float] | Tensor | None = None) -> Tensor:
    """The (weighted) mean of the members' outputs: how regressors are combined.

    .. math:: \\bar f(x) = \\frac{\\sum_m w_m f_m(x)}{\\sum_m w_m}

    Args:
        outputs: ``(n_members, ...)`` member outputs (predictions or probabilities).
        weights: one non-negative weight per member (None: plain mean).

    Returns:
        The mean over the first dimension, in ``outputs``' dtype.

    Raises:
        ValueError: no members, or bad weights.
    """
    outputs = torch.as_tensor(outputs)
    if outputs.dim() == 0 or len(outputs) == 0:
        raise ValueError(f"outputs must have at least one member along dim 0, but got shape "
                         f"{tuple(outputs.shape)}")
    if not outputs.dtype.is_floating_point:
        outputs = outputs.double()
    w = _member_weights(weights, len(outputs))
    if w is None:
        return outputs.mean(dim=0)
    w = w.to(outputs.dtype).view(-1, *([1] * (outputs.dim() - 1)))
    return (w * outputs).sum(dim=0) / w.sum()


def soft_vote(probabilities: Tensor, weights: Sequence[float] | Tensor | None = None) -> Tensor:
    """Soft vote: the class with the highest *average* predicted probability.

    .. math:: \\hat y_i = \\arg\\max_c \\frac{1}{M} \\sum_m p_m(c \\mid x_i)

    A confident member counts more than a hesitant one, unlike in :func:`hard_vote`.
    Ties go to the smallest class label (``argmax`` returns the first maximum).

    Args:
        probabilities: ``(n_members, n_samples, n_classes)`` predicted probabilities.
        weights: optional non-negative weight per member.

    Returns:
        ``(n_samples,)`` int64 labels.

    Raises:
        ValueError: ``probabilities`` is not 3-D, or bad weights.

    Examples:
        >>> p = torch.tensor([[[0.9, 0.1]], [[0.4, 0.6]], [[0.4, 0.6]]])
        >>> soft_vote(p), hard_vote(p.argmax(-1))  # one sure member outweighs two unsure
        (tensor([0]), tensor([1]))
    """
    probabilities = torch.as_tensor(probabilities)
    if probabilities.dim() != 3:
        raise ValueError(f"probabilities must have shape (n_members, n_samples, n_classes), "
                         f"but got {tuple(probabilities.shape)}")
    return average(probabilities, weights).argmax(dim=-1)


# ---------------------------------------------------------------------------------------
# Why voting works, and why it works less than the binomial formula promises
# ---------------------------------------------------------------------------------------


def majority_vote_accuracy(p: float, n_members: int) -> float:
    """Accuracy of a majority vote of ``n_members`` *independent* members of accuracy ``p``.

    Each member is right with probability :math:`p`, independently, so the number of
    right members is :math:`K \\sim \\mathrm{Binomial}(M, p)` and the vote is right when
    more than half are (Condorcet's jury theorem):

    .. math:: P(\\text{vote right}) = \\sum_{k > M/2} \\binom{M}{k} p^k (1-p)^{M-k}
              \\;+\\; \\tfrac12 \\binom{M}{M/2} p^{M/2}(1-p)^{M/2} \\,[M \\text{ even}]

    (a tie is broken by a fair coin). It tends to 1 as :math:`M` grows when
    :math:`p > 1/2`. With more than two classes the wrong votes also split between
    classes, so this binary count is a lower bound for a plurality vote.

    Raises:
        ValueError: ``p`` outside ``[0, 1]`` or ``n_members < 1``.

    Examples:
        >>> round(majority_vote_accuracy(0.7, 3), 3)  # 0.7**3 + 3 * 0.7**2 * 0.3
        0.784
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], but got {p}")
    _check_count("n_members", n_members)
    total = sum(math.comb(n_members, k) * p**k * (1 - p) ** (n_members - k)
                for k in range(n_members // 2 + 1, n_members + 1))
    if n_members % 2 == 0:
        half = n_members // 2
        total += 0.5 * math.comb(n_members, half) * p**half * (1 - p) ** half
    return total


def pairwise_disagreement(predictions: Tensor) -> Tensor:
    """Fraction of samples on which each pair of members predicts different classes.

    .. math:: d_{jk} = \\frac{1}{n} \\sum_i [\\hat y_{ji} \\ne \\hat y_{ki}]

    Two members that always agree add nothing to a vote. Members of accuracy :math:`p`
    that erred independently (wrong classes spread uniformly over :math:`C - 1`) would
    disagree on :math:`1 - p^2 - (1-p)^2/(C-1)` of the samples.

    Args:
        predictions: ``(n_members, n_samples)`` labels.

    Returns:
        A symmetric ``(n_members, n_members)`` float tensor with a zero diagonal.

    Raises:
        ValueError: ``predictions`` is not 2-D.
    """
    predictions = torch.as_tensor(predictions)
    if predictions.dim() != 2 or predictions.shape[1] == 0:
        raise ValueError(f"predictions must have shape (n_members, n_samples), but got "
                         f"{tuple(predictions.shape)}")
    return (predictions[:, None, :] != predictions[None, :, :]).double().mean(dim=2)


@torch.no_grad()
def member_probabilities(models: Sequence[nn.Module], x: Tensor) -> Tensor:
    """Every member's softmax probabilities on ``x``, in evaluation mode.

    Returns:
        ``(n_members, n_samples, n_classes)``; each model's train/eval mode is restored.

    Raises:
        ValueError: no models.
    """
    if len(models) == 0:
        raise ValueError("models must contain at least one model, but got none")
    outputs = []
    for model in models:
        was_training = model.training
        model.eval()
        outputs.append(model(x).softmax(dim=-1))
        model.train(was_training)
    return torch.stack(outputs)


def _prefix_accuracies(probabilities: Tensor, y: Tensor) -> Tensor:
    """``(3, M)``: hard vote, soft vote and mean member accuracy of each prefix of members."""
    labels = probabilities.argmax(dim=-1)
    member_acc = (labels == y).double().mean(dim=1)
    votes = F.one_hot(labels, probabilities.shape[2]).cumsum(dim=0)  # (k, samples, classes)
    prob_sums = probabilities.double().cumsum(dim=0)
    return torch.stack([
        (votes.argmax(dim=-1) == y).double().mean(dim=1),
        (prob_sums.argmax(dim=-1) == y).double().mean(dim=1),
        member_acc.cumsum(dim=0) / torch.arange(1, len(member_acc) + 1),
    ])


def accuracy_vs_size(
    probabilities: Tensor, y: Tensor, *, n_orders: int = 1, seed: int = 0
) -> dict[str, Tensor]:
    """Test accuracy of an ensemble of ``k`` members, for ``k = 1 .. M``.

    With ``n_orders=1`` the ensemble of size ``k`` is the first ``k`` members. Which
    member happens to come first then shapes the start of the curve, so ``n_orders > 1``
    averages the curves of the given order and of ``n_orders - 1`` random orders (drawn
    with ``torch.randperm`` from a generator seeded with ``seed``): the expected accuracy
    of ``k`` members picked at random. The value at ``k = M`` does not depend on the order.

    Args:
        probabilities: ``(n_members, n_samples, n_classes)`` member probabilities.
        y: ``(n_samples,)`` true labels.
        n_orders: number of member orders to average over.
        seed: seed of the random orders.

    Returns:
        ``{"hard": ..., "soft": ..., "member": ...}``, each an ``(M,)`` float64 tensor:
        the hard-vote and soft-vote accuracy of ``k`` members, and the mean accuracy of
        those ``k`` members taken one at a time.

    Raises:
        ValueError: mismatched shapes or ``n_orders < 1``.
    """
    probabilities, y = torch.as_tensor(probabilities), torch.as_tensor(y)
    if probabilities.dim() != 3 or probabilities.shape[1] != len(y):
        raise ValueError(f"probabilities must have shape (n_members, {len(y)}, n_classes), "
                         f"but got {tuple(probabilities.shape)}")
    _check_count("n_orders", n_orders)
    generator = _generator(seed)
    n_members = len(probabilities)
    orders = [torch.arange(n_members)] + [torch.randperm(n_members, generator=generator)
                                          for _ in range(n_orders - 1)]
    curves = torch.stack([_prefix_accuracies(probabilities[order], y) for order in orders])
    hard, soft, member = curves.mean(dim=0)
    return {"hard": hard, "soft": soft, "member": member}


def staged_accuracy(model: object, x: Tensor | np.ndarray, y: Tensor | np.ndarray) -> list[float]:
    """Accuracy of a fitted ensemble on ``(x, y)`` after each member is added.

    ``model`` is anything with scikit-learn's ``staged_predict`` (for example a fitted
    :class:`AdaBoostClassifier` or :class:`BaggingClassifier`): entry ``k - 1`` is the
    accuracy of the ensemble of its first ``k`` members. One fit gives the whole curve,
    which is how the number of members or rounds is chosen on validation data.

    Args:
        model: a fitted ensemble with ``staged_predict(X)``.
        x: ``(n, features)`` inputs (tensor or array).
        y: ``(n,)`` true labels.

    Returns:
        One accuracy in [0, 1] per fitted member.

    Raises:
        ValueError: ``model`` without ``staged_predict``, or ``x`` and ``y`` of different
            or zero length.

    Examples:
        >>> x, y = np.r_[np.zeros((5, 1)), np.ones((5, 1))], np.r_[[0] * 5, [1] * 5]
        >>> staged_accuracy(AdaBoostClassifier(n_estimators=2).fit(x, y), x, y)
        [1.0]
    """
    if not callable(getattr(model, "staged_predict", None)):
        raise ValueError(f"model must have a staged_predict method (a fitted ensemble), but "
                         f"got {type(model).__name__}")
    x_np, y_np = np.asarray(x), np.asarray(y)
    if len(x_np) == 0 or len(x_np) != len(y_np):
        raise ValueError(f"x and y must hold the same number (> 0) of samples, but got "
                         f"{len(x_np)} and {len(y_np)}")
    return [float(np.mean(labels == y_np)) for labels in model.staged_predict(x_np)]


# ---------------------------------------------------------------------------------------
# One round of SAMME, the multi-class AdaBoost
# ---------------------------------------------------------------------------------------


def weighted_error(y_true: Tensor, y_pred: Tensor, sample_weight: Tensor) -> float:
    """The weighted error rate :math:`\\varepsilon = \\sum_i w_i [\\hat y_i \\ne y_i] / \\sum_i w_i`.

    Raises:
        ValueError: different lengths, negative weights or weights summing to zero.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    w = _check_sample_weight(sample_weight, len(y_true)).numpy()
    if y_pred.shape != y_true.shape:
        raise ValueError(f"y_pred must have the shape of y_true {y_true.shape}, "
                         f"but got {y_pred.shape}")
    return float(np.average(y_pred != y_true, weights=w))


def samme_alpha(error: float, n_classes: int, learning_rate: float = 1.0) -> float:
    """A SAMME member's vote weight, from its weighted error :math:`\\varepsilon`.

    .. math:: \\alpha = \\eta \\Big(\\log\\frac{1-\\varepsilon}{\\varepsilon} + \\log(C-1)\\Big)

    :math:`\\alpha > 0` exactly when the member beats random guessing,
    :math:`\\varepsilon < 1 - 1/C`; with :math:`C = 2` it is AdaBoost's
    :math:`\\log\\frac{1-\\varepsilon}{\\varepsilon}` (Zhu et al., 2009, *Multi-class AdaBoost*).

    Raises:
        ValueError: ``error`` outside ``(0, 1 - 1/n_classes)``, ``n_classes < 2`` or
            ``learning_rate <= 0``.
    """
    _check_count("n_classes", n_classes, low=2)
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, but got {learning_rate}")
    if not 0.0 < error < 1.0 - 1.0 / n_classes:
        raise ValueError(f"error must be in (0, 1 - 1/n_classes) = (0, {1 - 1 / n_classes:.4g}) "
                         f"for a finite positive vote weight, but got {error}")
    return learning_rate * (math.log((1.0 - error) / error) + math.log(n_classes - 1.0))


def samme_round(
    y_true: Tensor,
    y_pred: Tensor,
    sample_weight: Tensor,
    *,
    n_classes: int,
    learning_rate: float = 1.0,
) -> tuple[Tensor, float, float]:
    """One SAMME boosting round, after the member was fit with ``sample_weight``.

    1. weighted error :math:`\\varepsilon = \\sum_i w_i [\\hat y_i \\ne y_i] / \\sum_i w_i`;
    2. vote weight :math:`\\alpha = \\eta (\\log\\frac{1-\\varepsilon}{\\varepsilon} + \\log(C-1))`;
    3. update :math:`w_i \\leftarrow w_i\\, e^{\\alpha [\\hat y_i \\ne y_i]}`: the
       misclassified samples grow by :math:`e^{\\alpha}`, the rest keep their weight;
    4. normalize the weights to sum 1.

    Args:
        y_true: ``(n,)`` true labels.
        y_pred: ``(n,)`` the member's predictions on the training set.
        sample_weight: ``(n,)`` non-negative weights the member was trained with.
        n_classes: number of classes :math:`C`.
        learning_rate: shrinkage :math:`\\eta` of every vote weight.

    Returns:
        ``(new_weight, alpha, error)``: a float64 tensor of weights summing to 1 (samples
        of weight 0 keep weight 0), and two floats.

    Raises:
        ValueError: bad weights, or an error of 0 or ``>= 1 - 1/n_classes`` (the member is
            perfect or no better than chance: boosting stops there).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    w = _check_sample_weight(sample_weight, len(y_true)).numpy()
    error = weighted_error(y_true, y_pred, w)
    alpha = samme_alpha(error, n_classes, learning_rate)
    wrong = y_pred != y_true
    # w * exp(alpha * wrong), computed in log space (as scikit-learn does) so that tiny
    # weights stay accurate; weights that are exactly 0 stay 0
    new_weight = np.exp(np.log(w, where=w > 0, out=np.full_like(w, -np.inf))
                        + alpha * wrong * (w > 0))
    return torch.from_numpy(new_weight / new_weight.sum()), alpha, error


# ---------------------------------------------------------------------------------------
# scikit-learn-shaped estimators
# ---------------------------------------------------------------------------------------


def _check_sample_weight(sample_weight: object, n: int) -> Tensor:
    """Validate one non-negative, finite weight per sample (scikit-learn's messages)."""
    w = torch.as_tensor(np.asarray(sample_weight, dtype=np.float64))
    if w.shape != (n,):
        raise ValueError(f"sample_weight.shape == {tuple(w.shape)}, expected ({n},)!")
    if not torch.isfinite(w).all():
        raise ValueError("Input sample_weight contains NaN or infinity: sample weights must be "
                         f"finite, but got values in [{w.min().item():.4g}, {w.max().item():.4g}]")
    if (w < 0).any():
        raise ValueError(f"Negative values in data passed to `sample_weight`: the smallest is "
                         f"{w.min().item():.4g}")
    if w.sum() <= 0:
        raise ValueError("Sample weights must contain at least one non-zero number, but all are 0")
    return w


def _check_positive_int(owner: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"The '{name}' parameter of {owner} must be an int in the range "
                         f"[1, inf), but got {value!r}")


def _set_random_states(estimator: BaseEstimator, rng: np.random.RandomState) -> None:
    """Give every ``random_state`` parameter of ``estimator`` a seed drawn from ``rng``
    (in sorted parameter order, as scikit-learn's ensembles do)."""
    keys = sorted(estimator.get_params(deep=True))
    seeds = {key: rng.randint(_MAX_SEED) for key in keys
             if key == "random_state" or key.endswith("__random_state")}
    if seeds:
        estimator.set_params(**seeds)


def _proba_all_classes(member: BaseEstimator, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """A member's ``predict_proba`` with one column per class of the whole ensemble
    (a member trained on a subset may have seen fewer classes)."""
    proba = np.zeros((len(X), len(classes)))
    columns = np.searchsorted(classes, member.classes_)
    proba[:, columns] = member.predict_proba(X)
    return proba


def _bagging_draws(max_samples: int | float | None, n: int, sample_weight: np.ndarray | None,
                   bootstrap: bool) -> int:
    """How many indices each bagging member draws (scikit-learn 1.9's
    ``_get_n_samples_bootstrap``): a float is a fraction of ``n``, or of ``sum(sample_weight)``
    when there are weights, so integer weights act as repeated samples."""
    if max_samples is None:
        size = n
    elif isinstance(max_samples, (int, np.integer)) and not isinstance(max_samples, bool) \
            and max_samples >= 1:
        size = int(max_samples)
    elif isinstance(max_samples, float) and 0.0 < max_samples <= 1.0:
        total = n if sample_weight is None else sample_weight.sum()
        size = max(int(max_samples * total), 1)
        if size < max(10, n ** (1 / 3)):
            what = (f"the number of samples is {total} " if sample_weight is None
                    else f"the total sum of sample weights is {total} ")
            warnings.warn(f"Using the fractional value {max_samples=} when {what}results in a low "
                          f"number ({size}) of bootstrap samples. We recommend passing "
                          "`max_samples` as an integer instead.", UserWarning, stacklevel=3)
    else:
        raise ValueError("The 'max_samples' parameter of BaggingClassifier must be None, an int "
                         f"in the range [1, inf) or a float in the range (0.0, 1.0], but got "
                         f"{max_samples!r}")
    if not bootstrap and size > n:
        raise ValueError(f"Effective max_samples={size} must be <= n_samples={n} to be able to "
                         "sample without replacement.")
    return size


def _weighted_draw(sample_weight: np.ndarray, size: int, bootstrap: bool, seed: int) -> Tensor:
    """``size`` indices drawn with probability proportional to ``sample_weight``, with or
    without replacement (scikit-learn's ``random_state.choice(n, size, p=w / w.sum())``)."""
    probability = torch.from_numpy(sample_weight / sample_weight.sum())
    if not bootstrap and size > int((probability > 0).sum()):
        raise ValueError(f"Fewer non-zero entries in sample_weight ({int((probability > 0).sum())}) "
                         f"than max_samples={size} to sample without replacement")
    return torch.multinomial(probability, size, replacement=bootstrap, generator=_generator(seed))


def _template_has(name: str):
    """``available_if`` check: the fitted members (or else the template) have method ``name``."""
    def check(ensemble: BaseEstimator) -> bool:
        members = getattr(ensemble, "estimators_", None)
        return hasattr(members[0] if members else ensemble.estimator, name)
    return check


class BaggingClassifier(ClassifierMixin, BaseEstimator):
    """Bagging or pasting: clones of ``estimator``, each fit on a random subset, then voted.

    Member :math:`m` trains on ``max_samples`` indices drawn with replacement
    (``bootstrap=True``: bagging, Breiman 1996) or without (``bootstrap=False``:
    pasting, Breiman 1999). Prediction averages the members' probabilities
    (``voting="soft"``, what scikit-learn's ``BaggingClassifier`` does; a member without
    ``predict_proba`` then counts as a one-hot vote for its label, as in scikit-learn) or
    counts their labels (``voting="hard"``, ties to the smallest class, see :func:`hard_vote`).

    With ``sample_weight`` the draw follows scikit-learn 1.9: indices are drawn with
    probability :math:`w_i / \\sum_j w_j`, a float ``max_samples`` is a fraction of
    :math:`\\sum_i w_i` (so integer weights act as repeated samples), and a member whose
    ``fit`` accepts ``sample_weight`` gets the whole ``X`` with the draw's counts
    (``np.bincount(indices)``) as its weights; other members get the drawn rows.

    Args:
        estimator: the member template, cloned for every member; it must have ``fit`` and
            ``predict``. None: a full-depth ``DecisionTreeClassifier``.
        n_estimators: number of members.
        max_samples: draws per member: None (``n_samples``), an int, or a float fraction of
            ``n_samples`` (of ``sum(sample_weight)`` with weights).
        bootstrap: draw with replacement (bagging) or without (pasting).
        voting: ``"soft"`` or ``"hard"``.
        oob_score: also score each training sample with the members that did not see
            it (only meaningful for bagging, whose out-of-bag share is about 36.8 %).
        random_state: seed of the subsets and of the members' own ``random_state``.

    Attributes:
        estimator_: the template the members are cloned from (``estimator``, or the default
            tree), as in scikit-learn.
        estimators_: the fitted members.
        estimators_samples_: each member's drawn indices (int64 arrays).
        classes_, n_classes_, n_features_in_: as in scikit-learn.
        oob_score_, oob_decision_function_: out-of-bag accuracy and probabilities
            (with ``oob_score=True``; rows without an out-of-bag prediction are NaN).

    Note:
        Where this differs from ``sklearn.ensemble.BaggingClassifier``, deliberately:
        the draws use torch generators (:func:`bootstrap_indices`, :func:`pasting_indices`,
        ``torch.multinomial`` with weights), so the subsets differ from scikit-learn's for
        the same ``random_state``; without ``sample_weight`` every member is fit on its drawn
        rows ``X[indices]`` (scikit-learn passes the draw's counts as ``sample_weight`` to
        members that accept it: close to the same fit for trees, not for mini-batch SGD such
        as :class:`TorchMLPClassifier`, whose epochs would then skip the out-of-bag rows and
        make fewer steps, which turns the chapter's bagging-vs-boosting comparison around);
        so a malformed row that no member draws is never validated (scikit-learn's
        ``check_dtype_object`` then passes only when some member draws it);
        ``oob_score_`` is the accuracy over the samples that have an out-of-bag prediction
        (scikit-learn also counts the others, as ``classes_[0]``); there is a ``voting``
        option, and no ``max_features``, ``bootstrap_features``, ``warm_start`` or ``n_jobs``.

    Examples:
        >>> from course_utils.data import make_moons
        >>> X, y = make_moons(200, seed=0)
        >>> BaggingClassifier(n_estimators=5, random_state=0).fit(X, y).predict(X[:3]).shape
        (3,)
    """

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        n_estimators: int = 10,
        *,
        max_samples: int | float | None = None,
        bootstrap: bool = True,
        voting: Voting = "soft",
        oob_score: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.bootstrap = bootstrap
        self.voting = voting
        self.oob_score = oob_score
        self.random_state = random_state

    def _check_params(self) -> None:
        _check_positive_int("BaggingClassifier", "n_estimators", self.n_estimators)
        if self.voting not in ("soft", "hard"):
            raise ValueError(f"voting must be 'soft' or 'hard', but got {self.voting!r}")
        if self.oob_score and not self.bootstrap:
            raise ValueError("oob_score=True needs bootstrap=True (pasting with a full-size "
                             "sample leaves no out-of-bag samples), but got bootstrap=False")

    def _template(self) -> BaseEstimator:
        return DecisionTreeClassifier() if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self._template()).input_tags.allow_nan
        return tags

    def fit(self, X: object, y: object, sample_weight: object = None) -> BaggingClassifier:
        """Fit ``n_estimators`` members, each on its own random subset; returns ``self``.

        Raises:
            ValueError: bad parameters, data, targets or weights.
        """
        self._check_params()
        # NaN and inf are left to the members, as scikit-learn does
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite=False)
        check_classification_targets(y)
        n, self.estimator_ = len(X), self._template()
        sample_weight = self._checked_weights(sample_weight, n)
        size = _bagging_draws(self.max_samples, n, sample_weight, self.bootstrap)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        rng = check_random_state(self.random_state)
        self.estimators_, self.estimators_samples_ = [], []
        for _ in range(self.n_estimators):
            seed = rng.randint(_MAX_SEED)
            indices = self._draw_indices(n, size, sample_weight, seed)
            member = clone(self.estimator_)
            _set_random_states(member, np.random.RandomState(seed))
            self._fit_member(member, X, y_encoded, indices, weighted=sample_weight is not None)
            self.estimators_.append(member)
            self.estimators_samples_.append(indices)
        if self.oob_score:
            self._score_out_of_bag(X, y_encoded)
        return self

    def _checked_weights(self, sample_weight: object, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        if not self.bootstrap:
            warnings.warn("When fitting BaggingClassifier with sample_weight it is recommended to "
                          "use bootstrap=True, got False.", UserWarning, stacklevel=3)
        return _check_sample_weight(sample_weight, n).numpy()

    def _draw_indices(self, n: int, size: int, sample_weight: np.ndarray | None,
                      seed: int) -> np.ndarray:
        if sample_weight is None:
            return _draw(n, size, self.bootstrap, seed).numpy()
        return _weighted_draw(sample_weight, size, self.bootstrap, seed).numpy()

    @staticmethod
    def _fit_member(member: BaseEstimator, X: np.ndarray, y: np.ndarray, indices: np.ndarray,
                    weighted: bool) -> None:
        """The drawn rows, or (with sample weights, as scikit-learn) all rows weighted by
        how often they were drawn, for a member that accepts ``sample_weight``."""
        if weighted and has_fit_parameter(member, "sample_weight"):
            member.fit(X, y, sample_weight=np.bincount(indices, minlength=len(X)))
        else:
            member.fit(X[indices], y[indices])

    def _member_scores(self, member: BaseEstimator, X: np.ndarray) -> np.ndarray:
        if self.voting == "soft" and hasattr(member, "predict_proba"):
            return _proba_all_classes(member, X, np.arange(self.n_classes_))
        return np.eye(self.n_classes_)[member.predict(X).astype(int)]  # a one-hot vote

    def _score_out_of_bag(self, X: np.ndarray, y_encoded: np.ndarray) -> None:
        totals = np.zeros((len(X), self.n_classes_))
        for member, indices in zip(self.estimators_, self.estimators_samples_, strict=True):
            oob = out_of_bag_mask(torch.from_numpy(indices), len(X)).numpy()
            if oob.any():
                totals[oob] += self._member_scores(member, X[oob])
        seen = totals.sum(axis=1) > 0
        if not seen.all():
            warnings.warn("Some inputs do not have OOB scores. This probably means too few "
                          "estimators were used to compute any reliable oob estimates.",
                          UserWarning, stacklevel=3)
        with np.errstate(invalid="ignore"):
            self.oob_decision_function_ = totals / totals.sum(axis=1, keepdims=True)
        self.oob_score_ = float((totals[seen].argmax(axis=1) == y_encoded[seen]).mean())

    def _checked_input(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)

    def staged_predict_proba(self, X: object) -> Iterator[np.ndarray]:
        """Probabilities of the ensemble of the first 1, 2, ..., ``n_estimators`` members
        (soft: mean probability; hard, or members without ``predict_proba``: vote shares)."""
        X = self._checked_input(X)
        total = np.zeros((len(X), self.n_classes_))
        for k, member in enumerate(self.estimators_, start=1):
            total += self._member_scores(member, X)
            yield total / k

    def staged_predict(self, X: object) -> Iterator[np.ndarray]:
        """Labels of the ensemble of the first 1, 2, ... members (ties: smallest class)."""
        for proba in self.staged_predict_proba(X):
            yield self.classes_[proba.argmax(axis=1)]

    def predict_proba(self, X: object) -> np.ndarray:
        """``(n_samples, n_classes)`` ensemble probabilities, columns in ``classes_`` order."""
        *_, last = self.staged_predict_proba(X)
        return last

    def predict_log_proba(self, X: object) -> np.ndarray:
        """``log(predict_proba(X))`` (``-inf`` where no member gives the class any mass)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_template_has("decision_function"))
    def decision_function(self, X: object) -> np.ndarray:
        """The mean of the members' ``decision_function`` (when the members have one)."""
        X = self._checked_input(X)
        return sum(member.decision_function(X) for member in self.estimators_) / len(self.estimators_)

    def predict(self, X: object) -> np.ndarray:
        """The soft- or hard-vote label of every sample."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class AdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """AdaBoost for several classes (SAMME, Zhu et al., 2009), in scikit-learn's shape.

    Start from the normalized ``sample_weight`` (uniform by default); in round :math:`m`
    fit a clone of ``estimator`` with the current weights, then (:func:`samme_round`)

    .. math:: \\varepsilon_m = \\frac{\\sum_i w_i [h_m(x_i) \\ne y_i]}{\\sum_i w_i},\\quad
              \\alpha_m = \\eta\\Big(\\log\\frac{1-\\varepsilon_m}{\\varepsilon_m} + \\log(C-1)\\Big),
              \\quad w_i \\leftarrow \\frac{w_i\\, e^{\\alpha_m [h_m(x_i) \\ne y_i]}}{Z}.

    The ensemble predicts :math:`\\arg\\max_c \\sum_m \\alpha_m [h_m(x) = c]`, a hard vote
    weighted by :math:`\\alpha_m`. Boosting stops early when a member is perfect
    (:math:`\\varepsilon = 0`: it is kept with :math:`\\alpha = 1`; a single-class target
    gives one such member and probability 1), no better than chance
    (:math:`\\varepsilon \\ge 1 - 1/C`: it is discarded), or when the weights overflow (a
    large :math:`\\eta`: warned, the member is kept). Every step (weight clipping at
    machine epsilon, random states, the decision function) follows scikit-learn's
    ``AdaBoostClassifier(algorithm="SAMME")``, so both give the same model.

    Args:
        estimator: the weak learner template; its ``fit`` must accept ``sample_weight``.
            None: a decision stump, ``DecisionTreeClassifier(max_depth=1)``.
        n_estimators: maximum number of rounds.
        learning_rate: shrinkage :math:`\\eta` of every :math:`\\alpha_m`.
        random_state: seed of the members' ``random_state`` parameters.

    Attributes:
        estimator_: the template the members are cloned from, as in scikit-learn.
        estimators_: the fitted members.
        estimator_weights_: :math:`\\alpha_m` (length ``n_estimators``; 0 after an early stop).
        estimator_errors_: :math:`\\varepsilon_m` (1 after an early stop).
        sample_weights_: ``(rounds + 1, n_samples)``: row ``r`` holds the normalized
            sample weights after ``r`` rounds (row 0: the initial weights).
        feature_importances_: the :math:`\\alpha`-weighted mean of the members'
            ``feature_importances_``.
        classes_, n_classes_, n_features_in_: as in scikit-learn.

    Note:
        ``sample_weights_`` is the course's addition; the members' data ``X`` may have any
        number of dimensions (as in scikit-learn, they validate it).
    """

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        *,
        n_estimators: int = 50,
        learning_rate: float = 1.0,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _validated_estimator(self) -> BaseEstimator:
        _check_positive_int("AdaBoostClassifier", "n_estimators", self.n_estimators)
        if not self.learning_rate > 0:
            raise ValueError("The 'learning_rate' parameter of AdaBoostClassifier must be a float "
                             f"in the range (0.0, inf), but got {self.learning_rate!r}")
        estimator = (DecisionTreeClassifier(max_depth=1) if self.estimator is None
                     else self.estimator)
        if not has_fit_parameter(estimator, "sample_weight"):
            raise ValueError(f"{type(estimator).__name__} doesn't support sample_weight, which "
                             "boosting needs (its fit has no sample_weight parameter).")
        return estimator

    def fit(self, X: object, y: object, sample_weight: object = None) -> AdaBoostClassifier:
        """Run up to ``n_estimators`` boosting rounds; returns ``self``.

        Raises:
            ValueError: bad parameters, data, targets or weights; a first member no better
                than chance.
        """
        self.estimator_ = self._validated_estimator()
        X, y = validate_data(self, X, y, allow_nd=True, dtype=None)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        self.n_classes_ = len(self.classes_)
        w = np.ones(len(X)) if sample_weight is None else sample_weight
        w = _check_sample_weight(w, len(X)).numpy().copy()
        w /= w.sum()
        rng = check_random_state(self.random_state)
        self.estimators_, history = [], [w.copy()]
        self.estimator_weights_ = np.zeros(self.n_estimators)
        self.estimator_errors_ = np.ones(self.n_estimators)
        zero = w == 0.0
        for m in range(self.n_estimators):
            w = np.where(zero, 0.0, np.clip(w, np.finfo(float).eps, None))
            n_kept = len(self.estimators_)
            w, stop = self._boost(m, X, y, w, rng)
            if len(self.estimators_) > n_kept:  # a discarded member leaves no row
                history.append(w.copy())
            if stop:
                break
        self.sample_weights_ = np.stack(history)
        return self

    def _boost(self, m: int, X: np.ndarray, y: np.ndarray, w: np.ndarray,
               rng: np.random.RandomState) -> tuple[np.ndarray, bool]:
        """Fit member ``m`` on weights ``w``; return the new weights and whether to stop."""
        member = clone(self.estimator_)
        _set_random_states(member, rng)
        member.fit(X, y, sample_weight=w)
        y_pred = member.predict(X)
        error = weighted_error(y, y_pred, w)
        if error <= 0:  # perfect: keep it with weight 1 and stop, as scikit-learn does
            self.estimators_.append(member)
            self.estimator_weights_[m], self.estimator_errors_[m] = 1.0, 0.0
            return w, True
        if error >= 1.0 - 1.0 / self.n_classes_:  # no better than chance: discard it
            if not self.estimators_:
                raise ValueError("BaseClassifier in AdaBoostClassifier ensemble is worse than "
                                 f"random, ensemble can not be fit: the first member's weighted "
                                 f"error {error:.4g} is >= 1 - 1/{self.n_classes_}")
            return w, True
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is handled below
            new_w, alpha, error = samme_round(y, y_pred, w, n_classes=self.n_classes_,
                                              learning_rate=self.learning_rate)
        self.estimators_.append(member)
        self.estimator_weights_[m], self.estimator_errors_[m] = alpha, error
        if torch.isfinite(new_w).all():
            return new_w.numpy(), False
        if m < self.n_estimators - 1:  # scikit-learn skips the last round's update
            warnings.warn(f"Sample weights have reached infinite values, at iteration {m}, "
                          "causing overflow. Iterations stopped. Try lowering the learning rate.",
                          UserWarning, stacklevel=3)
        return _normalized_in_log_space(w, alpha * (y_pred != y)), True

    @property
    def feature_importances_(self) -> np.ndarray:
        """:math:`\\sum_m \\alpha_m I_m / \\sum_m \\alpha_m`, the members'
        ``feature_importances_`` :math:`I_m` weighted by their votes (as scikit-learn).

        Raises:
            AttributeError: not fitted, or the members have no ``feature_importances_``.
        """
        check_is_fitted(self)
        try:
            total = sum(alpha * member.feature_importances_ for alpha, member
                        in zip(self.estimator_weights_, self.estimators_, strict=False))
        except AttributeError as error:
            raise AttributeError("Unable to compute feature importances since estimator does not "
                                 "have a feature_importances_ attribute") from error
        return total / self.estimator_weights_.sum()

    def _checked_input(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, allow_nd=True, dtype=None, reset=False)

    def staged_decision_function(self, X: object) -> Iterator[np.ndarray]:
        """SAMME's symmetric scores after each round: member ``m`` adds :math:`\\alpha_m`
        to its predicted class and :math:`-\\alpha_m/(C-1)` to the others; the sum is
        divided by :math:`\\sum \\alpha_m`. Binary: one column, positive for ``classes_[1]``;
        a single class: zeros."""
        X = self._checked_input(X)
        columns = self.classes_[:, None]
        total, norm = 0.0, 0.0
        for alpha, member in zip(self.estimator_weights_, self.estimators_, strict=False):
            if self.n_classes_ == 1:
                yield np.zeros((len(X), 1))
                continue
            norm += alpha
            vote = (member.predict(X) == columns).T
            total = total + np.where(vote, alpha, -alpha / (self.n_classes_ - 1))
            if self.n_classes_ == 2:
                yield (total[:, 1] - total[:, 0]) / norm
            else:
                yield total / norm

    def decision_function(self, X: object) -> np.ndarray:
        """The final scores (see :meth:`staged_decision_function`)."""
        *_, last = self.staged_decision_function(X)
        return last

    def _labels(self, decision: np.ndarray) -> np.ndarray:
        if self.n_classes_ == 2:
            return self.classes_[(decision > 0).astype(int)]
        return self.classes_[decision.argmax(axis=1)]

    def _proba(self, decision: np.ndarray) -> np.ndarray:
        # p(c | x) = softmax(f(x) / (C - 1)) (Zhu et al., 2009, eq. 15)
        if self.n_classes_ == 1:
            return np.ones((len(decision), 1))
        if self.n_classes_ == 2:
            decision = np.stack([-decision, decision], axis=1) / 2
        else:
            decision = decision / (self.n_classes_ - 1)
        return torch.from_numpy(decision).softmax(dim=1).numpy()

    def staged_predict(self, X: object) -> Iterator[np.ndarray]:
        """The ensemble's labels after each round (train/test error vs rounds)."""
        for decision in self.staged_decision_function(X):
            yield self._labels(decision)

    def staged_predict_proba(self, X: object) -> Iterator[np.ndarray]:
        """The ensemble's probabilities after each round."""
        for decision in self.staged_decision_function(X):
            yield self._proba(decision)

    def staged_score(self, X: object, y: object, sample_weight: object = None) -> Iterator[float]:
        """The ensemble's (weighted) accuracy on ``(X, y)`` after each round."""
        for y_pred in self.staged_predict(X):
            yield accuracy_score(y, y_pred, sample_weight=sample_weight)

    def predict(self, X: object) -> np.ndarray:
        """The :math:`\\alpha`-weighted vote's label of every sample."""
        return self._labels(self.decision_function(X))

    def predict_proba(self, X: object) -> np.ndarray:
        """``softmax(decision / (C - 1))``, columns in ``classes_`` order."""
        return self._proba(self.decision_function(X))

    def predict_log_proba(self, X: object) -> np.ndarray:
        """``log(predict_proba(X))``."""
        return np.log(self.predict_proba(X))


def _normalized_in_log_space(w: np.ndarray, log_factor: np.ndarray) -> np.ndarray:
    """``w * exp(log_factor)`` normalized to sum 1 without overflow (zero weights stay 0)."""
    log_w = np.log(w, where=w > 0, out=np.full_like(w, -np.inf)) + log_factor * (w > 0)
    return torch.from_numpy(log_w).softmax(dim=0).numpy()


# ---------------------------------------------------------------------------------------
# A torch MLP as a scikit-learn classifier that honours sample weights
# ---------------------------------------------------------------------------------------


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
    """A small torch MLP behind scikit-learn's ``fit`` / ``predict`` / ``predict_proba``.

    ``fit(X, y, sample_weight)`` trains ``mlp([n_features, *hidden_sizes, n_classes])``
    with plain SGD on the *weighted* cross-entropy of each mini-batch,

    .. math:: \\mathcal{L}_B = \\frac{\\sum_{i \\in B} w_i \\,\\ell_i}{\\sum_{i \\in B} w_i},

    through ``course_utils.batched.fit_batched`` with one model (identical to ``fit``
    when there are no weights). Samples of weight 0 are dropped first, so they change
    nothing; scaling all weights by a constant changes nothing either. Large batches make
    the per-batch normalization close to the global one, which boosting relies on.

    Args:
        hidden_sizes: widths of the hidden layers (``()``: softmax regression).
        activation: hidden activation (a key of ``course_utils.models.ACTIVATIONS``).
        epochs, batch_size, lr, weight_decay: as in ``course_utils.batched.fit_batched``.
        random_state: seed of the initial weights and the batch order (None: fresh
            randomness, as scikit-learn does).

    Attributes:
        model_: the trained ``nn.Sequential``.
        history_: its ``course_utils.training.History``.
        classes_, n_features_in_: as in scikit-learn.

    Note:
        An integer ``sample_weight`` is *not* the same as repeating samples, deliberately:
        mini-batch SGD on repeated rows spreads the copies over several batches and makes
        more steps per epoch. Only when one batch holds the whole training set are the two
        the same loss, and then up to float32 rounding (scikit-learn's
        ``check_sample_weight_equivalence`` asks for ``rtol=1e-7``). A single-class target
        trains a one-output network that predicts that class with probability 1, as
        scikit-learn's ``MLPClassifier`` fits one.
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (32,),
        *,
        activation: str = "relu",
        epochs: int = 5,
        batch_size: int = 100,
        lr: float = 0.1,
        weight_decay: float = 0.0,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _seed(self) -> int:
        if isinstance(self.random_state, (int, np.integer)) and not isinstance(self.random_state,
                                                                                bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(_MAX_SEED))

    def _build(self, n_features: int, n_classes: int, seed: int) -> nn.Sequential:
        sizes = [n_features, *self.hidden_sizes, n_classes]
        with torch.random.fork_rng(devices=[]):  # PyTorch's default init, seeded locally
            torch.manual_seed(seed)
            return mlp(sizes, activation=self.activation)

    def fit(self, X: object, y: object, sample_weight: object = None) -> TorchMLPClassifier:
        """Train a fresh network on ``(X, y)`` weighted by ``sample_weight``; returns ``self``.

        Raises:
            ValueError: bad data, targets (e.g. continuous) or weights.
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        x_t, y_t = torch.from_numpy(X), torch.from_numpy(y_encoded).long()
        weights = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, len(X))
            keep = w > 0
            x_t, y_t, weights = x_t[keep], y_t[keep], w[keep].float()[None]
        seed = self._seed()
        self.model_ = self._build(X.shape[1], len(self.classes_), seed)
        (self.history_,) = fit_batched(
            [self.model_], (x_t, y_t), epochs=self.epochs, batch_size=self.batch_size,
            lr=self.lr, weight_decay=self.weight_decay, seed=seed, sample_weight=weights,
            eval_every=0, eval_train=False,
        )
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        """Softmax probabilities, ``(n_samples, n_classes)`` in ``classes_`` order.

        Raises:
            NotFittedError: before ``fit``.
            ValueError: ``X`` has another number of features than the training data.
        """
        check_is_fitted(self)
        x = torch.from_numpy(validate_data(self, X, dtype=np.float32, reset=False))
        return member_probabilities([self.model_], x)[0].double().numpy()

    def predict(self, X: object) -> np.ndarray:
        """The most probable class of every sample."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


# ---------------------------------------------------------------------------------------
# Many boosted ensembles of MLPs at once (seeds x learning rates), and what the
# per-batch normalization of the weighted loss does to the sample weights
# ---------------------------------------------------------------------------------------


@dataclass
class BoostedMLPs:
    """``K`` SAMME ensembles of MLPs trained in lockstep by :func:`fit_boosted_mlps`.

    Attributes:
        members: ``members[k][m]`` is member ``m`` of ensemble ``k`` (``n_rounds`` each).
        learning_rate: ``(K,)`` the :math:`\\eta` of each ensemble (0: the control, see
            :func:`fit_boosted_mlps`).
        estimator_weights: ``(K, n_rounds)`` vote weights :math:`\\alpha_m` (0 after a stop).
        estimator_errors: ``(K, n_rounds)`` weighted training errors :math:`\\varepsilon_m`
            (1 after a stop).
        train_labels: ``(K, n_rounds, n)`` each member's predictions on the training set
            (what its error and the reweighting used).
        sample_weights: ``(K, n_rounds + 1, n)`` float64; row ``r`` holds the normalized
            weights member ``r`` trained with (row 0: uniform), the last row those after
            the last round.
        n_classes: number of classes :math:`C`.
    """

    members: list[list[nn.Sequential]]
    learning_rate: np.ndarray
    estimator_weights: np.ndarray
    estimator_errors: np.ndarray
    sample_weights: np.ndarray
    train_labels: Tensor
    n_classes: int

    def member_proba(self, x: Tensor) -> Tensor:
        """Every member's softmax probabilities, ``(K, n_rounds, len(x), n_classes)``."""
        return torch.stack([member_probabilities(row, x) for row in self.members])

    def staged_vote(self, labels: Tensor) -> Tensor:
        """Each ensemble's :math:`\\alpha`-weighted hard vote after each round,
        :math:`\\arg\\max_c \\sum_{m \\le r} \\alpha_m [h_m(x) = c]`, from the members'
        labels ``(K, n_rounds, n)``; returns ``(K, n_rounds, n)`` (ties: smallest label).

        Raises:
            ValueError: ``labels`` of another shape than ``(K, n_rounds, n)``.
        """
        labels = torch.as_tensor(labels)
        k, rounds = self.estimator_weights.shape
        if labels.dim() != 3 or tuple(labels.shape[:2]) != (k, rounds):
            raise ValueError(f"labels must have shape ({k}, {rounds}, n_samples), but got "
                             f"{tuple(labels.shape)}")
        alphas = torch.from_numpy(self.estimator_weights)
        total = torch.zeros(k, labels.shape[2], self.n_classes, dtype=torch.float64)
        staged = []
        for m in range(rounds):
            total += alphas[:, m, None, None] * F.one_hot(labels[:, m].long(), self.n_classes)
            staged.append(total.argmax(dim=-1))
        return torch.stack(staged, dim=1)

    def staged_predict(self, x: Tensor, proba: Tensor | None = None) -> Tensor:
        """Labels of each ensemble's vote after each round, ``(K, n_rounds, len(x))``
        (``proba``: :meth:`member_proba` of ``x``, if already computed)."""
        proba = self.member_proba(x) if proba is None else proba
        return self.staged_vote(proba.argmax(dim=-1))


def _check_boosting_arms(learning_rate: Sequence[float], seed: Sequence[int]) -> np.ndarray:
    rates = np.asarray(learning_rate, dtype=np.float64).reshape(-1)
    if len(rates) == 0 or not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError(f"learning_rate must be a non-empty sequence of finite values >= 0, "
                         f"but got {learning_rate!r}")
    if len(seed) != len(rates):
        raise ValueError(f"seed must give one seed per learning rate ({len(rates)}), "
                         f"but got {len(seed)}")
    return rates


def _samme_step(y: np.ndarray, y_pred: np.ndarray, w: np.ndarray, n_classes: int,
                eta: float, first: bool) -> tuple[np.ndarray, float, float, bool]:
    """One ensemble's round as :class:`AdaBoostClassifier` does it: new weights, alpha,
    error, and whether the ensemble stops (``eta = 0``: weights kept, alpha 1)."""
    w = np.where(w == 0.0, 0.0, np.clip(w, np.finfo(float).eps, None))
    error = weighted_error(y, y_pred, w)
    if eta == 0.0:
        return w, 1.0, error, False
    if error <= 0:  # perfect: weight 1, stop
        return w, 1.0, 0.0, True
    if error >= 1.0 - 1.0 / n_classes:  # no better than chance: discard, stop
        if first:
            raise ValueError(f"the first member of a boosted ensemble is no better than chance: "
                             f"weighted error {error:.4g} >= 1 - 1/{n_classes}")
        return w, 0.0, 1.0, True
    with np.errstate(over="ignore", invalid="ignore"):
        new_w, alpha, error = samme_round(y, y_pred, w, n_classes=n_classes, learning_rate=eta)
    if torch.isfinite(new_w).all():
        return new_w.numpy(), alpha, error, False
    return _normalized_in_log_space(w, alpha * (y_pred != y)), alpha, error, True


def fit_boosted_mlps(
    sizes: Sequence[int],
    train: tuple[Tensor, Tensor],
    *,
    n_rounds: int,
    learning_rate: Sequence[float],
    seed: Sequence[int],
    epochs: int,
    batch_size: int,
    lr: float,
) -> BoostedMLPs:
    """Boost ``K = len(learning_rate)`` ensembles of MLPs ``mlp(sizes)`` with SAMME, in lockstep.

    Ensemble ``k`` is :class:`AdaBoostClassifier`'s algorithm with shrinkage
    ``learning_rate[k]`` and MLP members trained on the weighted cross-entropy (as
    :class:`TorchMLPClassifier`: each mini-batch's loss is
    :math:`\\sum_{i\\in B} w_i\\ell_i / \\sum_{i\\in B} w_i`). Rounds depend on each other,
    ensembles do not: in round ``m`` the ``K`` new members are trained together by one
    ``course_utils.batched.fit_batched`` pass, each with its own ensemble's weights.

    * Member ``m`` of ensemble ``k`` starts from PyTorch's default initialization drawn after
      ``torch.manual_seed(seed[k] * 100_003 + m)`` (in a forked RNG): ensembles with the
      same seed and different learning rates start every member from the same weights.
    * Every member of round ``m`` draws its mini-batch order with seed ``m`` (shared by all
      ensembles, which keeps the batched pass fast and pairs the ensembles).
    * ``learning_rate`` 0 is the control arm, the :math:`\\eta \\to 0` limit of boosting: the
      weights stay uniform, so the members are independent networks trained on the same
      data, and every :math:`\\alpha = 1` (an unweighted vote; in the limit the
      :math:`\\alpha` differ only by the members' small differences in training error).
    * Stops as :class:`AdaBoostClassifier`: a perfect member keeps :math:`\\alpha = 1`, a
      member no better than chance gets :math:`\\alpha = 0`, and an overflow of the weights
      keeps the member; later members of a stopped ensemble are still trained (they share
      the batched pass) but get :math:`\\alpha = 0`.

    Args:
        sizes: layer widths, e.g. ``[784, 16, 10]``.
        train: ``(x, y)`` training tensors, ``y`` integer labels ``0 .. C-1``.
        n_rounds: members per ensemble.
        learning_rate: one shrinkage :math:`\\eta \\ge 0` per ensemble.
        seed: one initialization seed per ensemble.
        epochs, batch_size, lr: each member's SGD settings.

    Returns:
        A :class:`BoostedMLPs`.

    Raises:
        ValueError: bad ``n_rounds``, learning rates or seeds, fewer than 2 classes, bad
            training settings, or a first member no better than chance.

    Examples:
        >>> g = torch.Generator().manual_seed(0)
        >>> x = torch.randn(60, 4, generator=g)
        >>> y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()  # 3 learnable classes
        >>> boosted = fit_boosted_mlps([4, 8, 3], (x, y), n_rounds=2, learning_rate=[0.0, 1.0],
        ...                            seed=[0, 0], epochs=2, batch_size=20, lr=0.1)
        >>> boosted.staged_predict(x).shape
        torch.Size([2, 2, 60])
    """
    _check_count("n_rounds", n_rounds)
    rates = _check_boosting_arms(learning_rate, seed)
    x, y = train
    y_np = np.asarray(y)
    n_classes = int(y_np.max()) + 1 if len(y_np) else 0
    _check_count("number of classes in train", n_classes, low=2)
    k, n = len(rates), len(x)
    w = np.full((k, n), 1.0 / n)
    history, members, train_labels = [w.copy()], [[] for _ in range(k)], []
    alphas, errors = np.zeros((k, n_rounds)), np.ones((k, n_rounds))
    stopped = np.zeros(k, dtype=bool)
    for m in range(n_rounds):
        models = []
        for s in seed:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(s) * 100_003 + m)
                models.append(mlp(sizes))
        fit_batched(models, train, epochs=epochs, batch_size=batch_size, lr=lr, seed=m,
                    sample_weight=torch.from_numpy(w).float(), eval_every=0, eval_train=False)
        predictions = member_probabilities(models, x).argmax(dim=-1).numpy()
        train_labels.append(torch.from_numpy(predictions))
        for j in range(k):
            members[j].append(models[j])
            if stopped[j]:
                continue
            w[j], alphas[j, m], errors[j, m], stopped[j] = _samme_step(
                y_np, predictions[j], w[j], n_classes, float(rates[j]), first=m == 0)
        history.append(w.copy())
    return BoostedMLPs(members, rates, alphas, errors, np.stack(history, axis=1),
                       torch.stack(train_labels, dim=1), n_classes)


def batch_weight_shares(
    sample_weight: Tensor, batch_size: int, *, n_orders: int = 20, seed: int = 0
) -> Tensor:
    """Each sample's share of an epoch's gradient when each mini-batch's loss is normalized
    by its *own* weight sum, averaged over ``n_orders`` random batch orders.

    :class:`TorchMLPClassifier` and :func:`fit_boosted_mlps` minimize, per mini-batch
    :math:`B`, :math:`\\sum_{i\\in B} w_i \\ell_i / \\sum_{i\\in B} w_i`, and every batch
    gets the same step. Over an epoch of :math:`b` batches, sample :math:`i` therefore
    carries the weight :math:`s_i = w_i / (b \\sum_{j \\in B(i)} w_j)` instead of the
    :math:`w_i / \\sum_j w_j` that the SAMME-weighted loss asks for. The two agree for
    uniform weights or one batch; a very heavy sample gets at most one batch's share,
    :math:`1/b`.

    Args:
        sample_weight: ``(n,)`` non-negative weights, not all 0.
        batch_size: samples per mini-batch.
        n_orders: random batch orders to average over (``torch.randperm`` from a
            generator seeded with ``seed``).
        seed: seed of the orders.

    Returns:
        ``(n,)`` float64 shares summing to 1 (less if some batch holds only zero weights).

    Raises:
        ValueError: bad weights, ``batch_size < 1`` or ``n_orders < 1``.

    Examples:
        >>> batch_weight_shares(torch.tensor([1.0, 1.0, 1.0, 5.0]), 2, n_orders=1).sum().item()
        1.0
    """
    w = _check_sample_weight(sample_weight, len(torch.as_tensor(sample_weight)))
    _check_count("batch_size", batch_size)
    _check_count("n_orders", n_orders)
    generator = _generator(seed)
    n_batches = math.ceil(len(w) / batch_size)
    shares = torch.zeros(len(w), dtype=torch.float64)
    for _ in range(n_orders):
        for batch in torch.randperm(len(w), generator=generator).split(batch_size):
            total = w[batch].sum()
            if total > 0:
                shares[batch] += w[batch] / total
    return shares / (n_batches * n_orders)
