"""Data for every chapter: the shipped MNIST subset and seeded 2-D toy sets.

``load_mnist`` reads ``data/mnist_10k.npz`` (the first 10,000 MNIST training images,
shuffled once with a fixed seed by ``data/build_mnist.py``) and checks its sha256, so a
missing or damaged file fails loudly instead of training on wrong data. The split is
fixed: the first 8,000 images train, the last 2,000 test.

``load_splits`` is the course's one validation split: it cuts the 8,000 training images once,
with the fixed seed :data:`VAL_SEED`, into ``train`` and a class-balanced ``val`` part, so every
chapter carves the same validation set. Every choice (a learning rate, a λ, a dropout rate, a
best epoch, a model) is made on ``val``; the ``test`` split is scored once, after the choice
(chapter 06 measures how optimistic a test score becomes once choices are made on it).
``train_val_split`` carves a random validation set out of any other training data.
``make_moons`` and ``make_spirals`` draw small 2-D classification sets whose decision
boundaries can be plotted (chapters 02 and 03).
"""

from __future__ import annotations

import hashlib
import math
import numbers
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "MNIST_SHA256",
    "DEFAULT_MNIST_PATH",
    "VAL_SEED",
    "Splits",
    "load_mnist",
    "load_splits",
    "train_val_split",
    "make_moons",
    "make_spirals",
]

MNIST_SHA256 = "af422620813b44a230790d255e9384df5d5c321c67eafd0d765f4c95be7168f7"
DEFAULT_MNIST_PATH = Path(__file__).resolve().parent.parent / "data" / "mnist_10k.npz"
N_TRAIN = 8_000
REBUILD_HINT = "rebuild it with `python data/build_mnist.py` or restore it with `git checkout data/`"

#: Seed of the one validation split every chapter uses (see :func:`load_splits`).
VAL_SEED = 0
MIN_VAL, MAX_VAL = 10, N_TRAIN // 2

Split = tuple[Tensor, Tensor]


class Splits(NamedTuple):
    """The course's three MNIST splits, each an ``(x, y)`` pair; built by :func:`load_splits`."""

    train: Split
    val: Split
    test: Split


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=4)
def _read_verified(path: Path, mtime_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Read the archive once per (path, modification time) after checking its sha256."""
    digest = _sha256(path)
    if digest != MNIST_SHA256:
        raise ValueError(
            f"data file {path.name} is corrupt or altered: sha256 {digest}, "
            f"expected {MNIST_SHA256}; {REBUILD_HINT}"
        )
    with np.load(path) as archive:
        return archive["images"], archive["labels"]


def load_mnist(*, path: str | Path | None = None, flatten: bool = True) -> tuple[Split, Split]:
    """Load the course's 10,000 MNIST digits as a fixed 8,000 / 2,000 split.

    Args:
        path: the ``.npz`` file; defaults to ``data/mnist_10k.npz`` in the repository.
        flatten: return images as ``(N, 784)`` rows (for MLPs) instead of ``(N, 1, 28, 28)``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: float32 pixels in [0, 1] and int64
        labels. Each call returns fresh tensors, so changing them in place is safe.

    Raises:
        FileNotFoundError: the file is missing (the message says how to rebuild it).
        ValueError: the file's sha256 differs from :data:`MNIST_SHA256` (truncated,
            corrupted or altered).

    Examples:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()
        >>> tuple(x_train.shape), tuple(x_test.shape)
        ((8000, 784), (2000, 784))
    """
    file = Path(path) if path is not None else DEFAULT_MNIST_PATH
    if not file.is_file():
        raise FileNotFoundError(
            f"data file {file} not found (expected sha256 {MNIST_SHA256}); {REBUILD_HINT}"
        )
    images, labels = _read_verified(file.resolve(), file.stat().st_mtime_ns)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = x.reshape(len(x), -1) if flatten else x.unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


def load_splits(
    *, n_val: int = 1000, path: str | Path | None = None, flatten: bool = True
) -> Splits:
    """The course's train / validation / test split of the shipped MNIST subset.

    The 8,000 training images of :func:`load_mnist` are cut once into ``8000 - n_val``
    training and ``n_val`` validation images; the 2,000 test images are returned unchanged.
    The cut is fixed (drawn from a generator seeded with :data:`VAL_SEED`, the same in every
    call and every process) and class-balanced: each digit gets its share of ``n_val`` in
    proportion to its frequency among the 8,000, rounded by largest remainders so the shares
    add up to ``n_val``. Both parts keep the original order of the training images, so
    ``splits.train[0][:300]`` are the first 300 training images of the train part.

    Args:
        n_val: number of validation images, an integer in [10, 4000] (at least one image
            per class, at most half of the training images).
        path: the ``.npz`` file, as in :func:`load_mnist`.
        flatten: return images as ``(N, 784)`` rows instead of ``(N, 1, 28, 28)``.

    Returns:
        ``Splits(train, val, test)``, each ``(x, y)``: float32 pixels in [0, 1] and int64
        labels. Each call returns fresh tensors, so changing them in place is safe.

    Raises:
        ValueError: ``n_val`` not an integer in [10, 4000]; a damaged data file (see
            :func:`load_mnist`).
        FileNotFoundError: the data file is missing.

    Examples:
        >>> splits = load_splits()
        >>> [tuple(x.shape) for x, _ in splits]
        [(7000, 784), (1000, 784), (2000, 784)]
        >>> (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
        >>> torch.bincount(y_val).tolist()  # 1,000 images, in proportion to the classes
        [101, 112, 101, 103, 98, 86, 103, 107, 95, 94]
    """
    if isinstance(n_val, bool) or not isinstance(n_val, numbers.Integral) or not MIN_VAL <= n_val <= MAX_VAL:
        raise ValueError(
            f"n_val must be an integer in [{MIN_VAL}, {MAX_VAL}] (at least one image per class, "
            f"at most half of the {N_TRAIN:,} training images), but got {n_val!r}"
        )
    (x, y), test = load_mnist(path=path, flatten=flatten)
    in_val = _validation_mask(y, int(n_val))
    return Splits(train=(x[~in_val], y[~in_val]), val=(x[in_val], y[in_val]), test=test)


def _class_quotas(labels: Tensor, n_val: int) -> list[int]:
    """Share ``n_val`` over the classes in proportion to their counts (largest remainders)."""
    counts = torch.bincount(labels).tolist()
    quotas = [n_val * count // len(labels) for count in counts]
    remainders = [n_val * count % len(labels) for count in counts]
    by_remainder = sorted(range(len(counts)), key=lambda label: (-remainders[label], label))
    for label in by_remainder[: n_val - sum(quotas)]:
        quotas[label] += 1
    return quotas


def _validation_mask(labels: Tensor, n_val: int) -> Tensor:
    """Boolean mask of the validation images: a seeded random ``quota`` of each class."""
    generator = torch.Generator().manual_seed(VAL_SEED)
    in_val = torch.zeros(len(labels), dtype=torch.bool)
    for label, quota in enumerate(_class_quotas(labels, n_val)):
        members = torch.nonzero(labels == label).squeeze(1)
        in_val[members[torch.randperm(len(members), generator=generator)[:quota]]] = True
    return in_val


def train_val_split(x: Tensor, y: Tensor, val_fraction: float, *, seed: int) -> tuple[Split, Split]:
    """Randomly split ``(x, y)`` into a training and a validation part.

    Args:
        x: inputs, first dimension = samples.
        y: targets with the same number of samples.
        val_fraction: share of samples for validation, strictly between 0 and 1.
        seed: seed of the permutation (the same seed gives the same split).

    Returns:
        ``((x_train, y_train), (x_val, y_val))``; the validation part has
        ``round(val_fraction * n)`` samples.

    Raises:
        ValueError: ``val_fraction`` outside (0, 1), mismatched lengths, or a split that
            leaves one side empty.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), but got {val_fraction}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, but got {len(x)} and {len(y)}")
    n_val = round(val_fraction * len(x))
    if not 0 < n_val < len(x):
        raise ValueError(
            f"val_fraction={val_fraction} of {len(x)} samples leaves an empty split"
        )
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = order[:n_val], order[n_val:]
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])


def _check_toy_args(n_samples: int, noise: float) -> None:
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, but got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, but got {noise}")


def make_moons(n_samples: int = 200, *, noise: float = 0.2, seed: int = 0) -> Split:
    """Two interleaving half circles in 2-D, labelled 0 and 1, with Gaussian noise.

    The same construction as scikit-learn's ``make_moons`` (upper moon centred at the
    origin, lower moon shifted by (1, 0.5)), drawn from a seeded torch generator.

    Args:
        n_samples: total number of points (the second moon gets the extra one if odd).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: seed of the generator.

    Returns:
        ``(x, y)``: float32 ``(n_samples, 2)`` points and int64 labels, classes interleaved
        in a random order.

    Raises:
        ValueError: ``n_samples < 2`` or ``noise < 0``.
    """
    _check_toy_args(n_samples, noise)
    gen = torch.Generator().manual_seed(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = torch.linspace(0, math.pi, n_upper)
    t_lower = torch.linspace(0, math.pi, n_lower)
    upper = torch.stack([torch.cos(t_upper), torch.sin(t_upper)], dim=1)
    lower = torch.stack([1 - torch.cos(t_lower), 0.5 - torch.sin(t_lower)], dim=1)
    x = torch.cat([upper, lower]) + noise * torch.randn(n_samples, 2, generator=gen)
    y = torch.cat([torch.zeros(n_upper), torch.ones(n_lower)]).long()
    order = torch.randperm(n_samples, generator=gen)
    return x[order], y[order]


def make_spirals(
    n_samples: int = 300, *, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> Split:
    """Interleaved spiral arms in 2-D, one arm per class (the CS231n toy set).

    Args:
        n_samples: total number of points, split as evenly as possible over the arms.
        n_classes: number of arms (classes), at least 2.
        noise: standard deviation of the Gaussian noise added to each point's angle.
        seed: seed of the generator.

    Returns:
        ``(x, y)``: float32 ``(n_samples, 2)`` points in the unit disc and int64 labels.

    Raises:
        ValueError: ``n_samples < 2``, ``noise < 0`` or ``n_classes < 2``.
    """
    _check_toy_args(n_samples, noise)
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, but got {n_classes}")
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(n_samples) % n_classes
    radius = torch.rand(n_samples, generator=gen)
    angle = labels * (2 * math.pi / n_classes) + 4.0 * radius
    angle = angle + noise * torch.randn(n_samples, generator=gen)
    x = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
    return x.float(), labels.long()
