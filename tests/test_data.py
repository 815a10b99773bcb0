"""The shipped MNIST subset (checksum, split, balance) and the seeded toy sets."""

from __future__ import annotations

import hashlib
import re
import shutil

import numpy as np
import pytest
import torch

from course_utils.data import (
    DEFAULT_MNIST_PATH,
    MNIST_SHA256,
    load_mnist,
    load_splits,
    make_moons,
    make_spirals,
    train_val_split,
)

pytestmark = pytest.mark.data


def test_shapes_dtypes_and_range(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (8000, 784) and x_test.shape == (2000, 784)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert x_train.min() >= 0.0 and x_train.max() <= 1.0
    assert set(y_train.unique().tolist()) == set(range(10))


def test_unflattened_images_are_the_same_pixels(mnist):
    (x_flat, _), _ = mnist
    (x_img, _), _ = load_mnist(flatten=False)
    assert x_img.shape == (8000, 1, 28, 28)
    assert torch.equal(x_img.reshape(8000, -1), x_flat)


def test_pixels_are_whole_bytes(mnist):
    (x_train, _), _ = mnist
    as_bytes = x_train * 255
    assert torch.allclose(as_bytes, as_bytes.round(), atol=1e-4)


@pytest.mark.parametrize("split", [0, 1])
def test_both_splits_are_class_balanced(mnist, split):
    labels = mnist[split][1]
    share = torch.bincount(labels, minlength=10).float() / len(labels)
    assert share.min() > 0.07 and share.max() < 0.13


def test_splits_do_not_overlap(mnist):
    (x_train, _), (x_test, _) = mnist
    train_rows = {tuple(row) for row in (x_train * 255).round().to(torch.uint8).numpy()}
    test_rows = [tuple(row) for row in (x_test * 255).round().to(torch.uint8).numpy()]
    assert sum(row in train_rows for row in test_rows) < 5  # MNIST has a few exact duplicates


def test_returns_fresh_tensors(mnist):
    (x_train, _), _ = load_mnist()
    x_train[0] = 5.0
    (again, _), _ = load_mnist()
    assert again.max() <= 1.0


def test_missing_file_names_file_checksum_and_fix(tmp_path):
    missing = tmp_path / "mnist_10k.npz"
    with pytest.raises(FileNotFoundError, match=MNIST_SHA256) as info:
        load_mnist(path=missing)
    assert "mnist_10k.npz" in str(info.value) and "build_mnist.py" in str(info.value)


def test_truncated_file_is_rejected(tmp_path):
    broken = tmp_path / "mnist_10k.npz"
    broken.write_bytes(DEFAULT_MNIST_PATH.read_bytes()[:100_000])
    with pytest.raises(ValueError, match="corrupt or altered.*" + MNIST_SHA256):
        load_mnist(path=broken)


def test_altered_file_is_rejected(tmp_path):
    """A valid archive with one pixel changed: loadable, but not the course's data."""
    altered = tmp_path / "mnist_10k.npz"
    with np.load(DEFAULT_MNIST_PATH) as archive:
        images, labels = archive["images"].copy(), archive["labels"]
    images[0, 0, 0] ^= 1
    np.savez_compressed(altered, images=images, labels=labels)
    with pytest.raises(ValueError, match="build_mnist.py"):
        load_mnist(path=altered)


def test_a_verified_copy_loads(tmp_path):
    copy = tmp_path / "copy.npz"
    shutil.copy(DEFAULT_MNIST_PATH, copy)
    (x_train, _), _ = load_mnist(path=copy)
    assert x_train.shape == (8000, 784)


def test_train_val_split_partitions_and_is_seeded():
    x = torch.arange(100).float().unsqueeze(1)
    y = torch.arange(100)
    (x_tr, y_tr), (x_val, y_val) = train_val_split(x, y, 0.2, seed=3)
    assert len(x_val) == 20 and len(x_tr) == 80
    assert sorted(y_tr.tolist() + y_val.tolist()) == list(range(100))
    assert torch.equal(x_tr.squeeze(1).long(), y_tr)
    (_, again), _ = train_val_split(x, y, 0.2, seed=3)
    assert torch.equal(again, y_tr)
    (_, other), _ = train_val_split(x, y, 0.2, seed=4)
    assert not torch.equal(other, y_tr)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_train_val_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match=f"val_fraction must be in \\(0, 1\\), but got {fraction}"):
        train_val_split(torch.zeros(10, 1), torch.zeros(10), fraction, seed=0)


def test_train_val_split_rejects_mismatch_and_empty_split():
    with pytest.raises(ValueError, match="same length"):
        train_val_split(torch.zeros(10, 1), torch.zeros(9), 0.5, seed=0)
    with pytest.raises(ValueError, match="empty split"):
        train_val_split(torch.zeros(3, 1), torch.zeros(3), 0.01, seed=0)


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def row_keys(x, y):
    """One hashable key per image: its pixel bytes and its label."""
    pixels = (x * 255).round().to(torch.uint8).numpy()
    return [row.tobytes() + bytes([label]) for row, label in zip(pixels, y.tolist(), strict=True)]


def val_positions(mnist, parts):
    """Positions of ``parts.val`` among the 8,000 training images, found by merging.

    Walks the training images once, taking each from the front of ``train`` or of ``val``;
    succeeding proves that the two parts are disjoint, cover all 8,000 images and keep
    their original order.
    """
    (x_all, y_all), _ = mnist
    train, val = row_keys(*parts.train), row_keys(*parts.val)
    i = j = 0
    positions = []
    for position, key in enumerate(row_keys(x_all, y_all)):
        if i < len(train) and key == train[i]:
            i += 1
        elif j < len(val) and key == val[j]:
            positions.append(position)
            j += 1
        else:
            pytest.fail(f"training image {position} is neither next in train nor next in val")
    assert (i, j) == (len(train), len(val))
    return positions


def test_splits_default_shapes_and_dtypes(splits):
    train, val, test = splits
    assert [tuple(x.shape) for x, _ in splits] == [(7000, 784), (1000, 784), (2000, 784)]
    assert splits.train is train and splits.val is val and splits.test is test
    for x, y in splits:
        assert x.dtype == torch.float32 and y.dtype == torch.int64 and len(x) == len(y)


def test_train_and_val_partition_the_training_images_in_order(mnist, splits):
    positions = val_positions(mnist, splits)
    assert len(positions) == 1000 and len(set(positions)) == 1000


def test_test_split_is_load_mnists(mnist, splits):
    _, (x_test, y_test) = mnist
    assert torch.equal(splits.test[0], x_test) and torch.equal(splits.test[1], y_test)


@pytest.mark.parametrize("n_val", [10, 500, 1000, 4000])
def test_val_is_class_balanced_by_largest_remainder(mnist, n_val):
    (_, y_all), _ = mnist
    parts = load_splits(n_val=n_val)
    counts = torch.bincount(parts.val[1], minlength=10)
    target = n_val * torch.bincount(y_all, minlength=10).double() / len(y_all)
    assert counts.sum().item() == n_val and len(parts.train[0]) == 8000 - n_val
    assert ((counts - target).abs() < 1).all(), (counts.tolist(), target.tolist())
    assert counts.min().item() >= 1


def test_other_n_val_partitions_in_order(mnist):
    parts = load_splits(n_val=500)
    assert [len(x) for x, _ in parts] == [7500, 500, 2000]
    assert len(val_positions(mnist, parts)) == 500


def test_splits_are_the_same_on_every_call(splits):
    again = load_splits()
    for (x, y), (x_again, y_again) in zip(splits, again, strict=True):
        assert torch.equal(x, x_again) and torch.equal(y, y_again)


def test_validation_split_is_pinned():
    """Every chapter, process and machine carves the same 1,000 validation images.

    If this fails, the seeded draw changed (e.g. torch changed ``randperm``): every chapter's
    validation numbers change with it, so update the digest only on purpose.
    """
    x_val, y_val = load_splits().val
    pixels = (x_val * 255).round().to(torch.uint8).numpy().tobytes()
    digest = hashlib.sha256(pixels + y_val.numpy().tobytes()).hexdigest()
    assert digest == "187705d52ef89866acb38f7308efd4de8bbb504d97731a40f177345018e23e7a"


def test_splits_pass_flatten_through(splits):
    images = load_splits(flatten=False)
    assert [tuple(x.shape) for x, _ in images] == [(7000, 1, 28, 28), (1000, 1, 28, 28), (2000, 1, 28, 28)]
    for (x_img, y_img), (x_flat, y_flat) in zip(images, splits, strict=True):
        assert torch.equal(x_img.reshape(len(x_img), -1), x_flat) and torch.equal(y_img, y_flat)


def test_splits_return_fresh_tensors():
    first = load_splits()
    for x, y in first:
        x.fill_(5.0)
        y.fill_(-1)
    for x, y in load_splits():
        assert x.max() <= 1.0 and y.min() >= 0


def test_splits_read_the_given_path(tmp_path, splits):
    copy = tmp_path / "copy.npz"
    shutil.copy(DEFAULT_MNIST_PATH, copy)
    assert torch.equal(load_splits(path=copy).val[0], splits.val[0])
    with pytest.raises(FileNotFoundError, match="build_mnist.py"):
        load_splits(path=tmp_path / "missing.npz")


@pytest.mark.parametrize("n_val", [9, 4001, 0, -1000, 1000.0, True, "1000"])
def test_splits_reject_bad_n_val(n_val):
    message = (f"n_val must be an integer in [10, 4000] (at least one image per class, "
               f"at most half of the 8,000 training images), but got {n_val!r}")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_splits(n_val=n_val)


def test_moons_match_scikit_learn_without_noise():
    from sklearn.datasets import make_moons as sk_moons

    x, y = make_moons(101, noise=0.0, seed=0)
    x_sk, y_sk = sk_moons(101, noise=0.0, shuffle=False)
    ours = sorted(map(tuple, np.round(np.c_[x.numpy(), y.numpy()], 5).tolist()))
    theirs = sorted(map(tuple, np.round(np.c_[x_sk, y_sk], 5).tolist()))
    assert ours == theirs


def test_toy_sets_are_seeded_and_labelled():
    x1, y1 = make_moons(50, seed=1)
    x2, _ = make_moons(50, seed=1)
    x3, _ = make_moons(50, seed=2)
    assert torch.equal(x1, x2) and not torch.equal(x1, x3)
    assert y1.dtype == torch.int64 and set(y1.tolist()) == {0, 1}
    xs, ys = make_spirals(300, n_classes=3, seed=0)
    assert xs.shape == (300, 2) and torch.bincount(ys).tolist() == [100, 100, 100]
    assert xs.norm(dim=1).max() <= 1.0 + 1e-6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(1), "n_samples must be at least 2, but got 1"),
        (lambda: make_moons(10, noise=-1.0), "noise must be non-negative, but got -1.0"),
        (lambda: make_spirals(10, n_classes=1), "n_classes must be at least 2, but got 1"),
    ],
)
def test_toy_sets_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
