"""Time the reference workload of `fit` (Deep Learning from Scratch, ch. 6 overfitting setup).

The first 300 training images, a 784-100x6-10 ReLU MLP with He initialization, SGD with
lr 0.01, batch 100, 201 epochs, train and test accuracy evaluated after every epoch, one
CPU thread. Prints a markdown table row per repetition: the first run in a fresh process
includes one-time costs (PyTorch builds its optimizer machinery on first use, ~1 s); the
target (< 3.0 s) is for the training loop itself, measured as the median of warm runs.

    python benchmarks/bench_training.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_utils.data import load_mnist
from course_utils.models import mlp
from course_utils.training import fit


def reference_workload(seed: int = 0) -> tuple[float, dict[str, float]]:
    """Run the workload once; return (seconds, final metrics)."""
    (x_train, y_train), test = load_mnist()
    model = mlp([784] + [100] * 6 + [10], init="he_normal",
                generator=torch.Generator().manual_seed(seed))
    start = time.perf_counter()
    history = fit(model, (x_train[:300], y_train[:300]), val=test, epochs=201, batch_size=100,
                  lr=0.01, seed=seed, progress=False)
    return time.perf_counter() - start, history.final()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| run | seconds | train acc | test acc |\n|---|---|---|---|")
    times = []
    for run in range(args.repeats + 1):
        seconds, final = reference_workload()
        label = "cold (first in process)" if run == 0 else f"warm {run}"
        if run:
            times.append(seconds)
        print(f"| {label} | {seconds:.2f} | {final['train_acc']:.3f} | {final['val_acc']:.3f} |")
    print(f"| **median warm** | **{statistics.median(times):.2f}** | | |")


if __name__ == "__main__":
    main()
