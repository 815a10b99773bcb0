"""What ten seeds cost: the overfitting setup, one seed against ten paired seeds.

The chapters' overfitting setup (Deep Learning from Scratch, ch. 6): the first 300
training images, a 784-100x6-10 ReLU MLP with He initialization, SGD with lr 0.01, batch
100, 201 epochs, one CPU thread. Seed s draws the initial weights and the batch order,
the same for both arms of a paired comparison. The reference is one seed with train and
test accuracy after every epoch (201 curve points); the target is ten seeds with curves
every 10 epochs (21 points) in at most 4x its time. Evaluating 2,300 images after every
epoch is most of a small run's arithmetic, and batching models does not make the
arithmetic cheaper on a CPU; evaluating less often does.

    python benchmarks/bench_seeds.py
"""

from __future__ import annotations

import time

import torch

from course_utils.batched import fit_batched
from course_utils.data import load_mnist
from course_utils.models import mlp
from course_utils.stats import summarize
from course_utils.training import fit

TARGET_RATIO = 4.0
SEEDS = range(10)


def model(seed: int) -> torch.nn.Sequential:
    return mlp([784] + [100] * 6 + [10], init="he_normal", generator=torch.Generator().manual_seed(seed))


def main() -> None:
    torch.set_num_threads(1)
    (x_train, y_train), test = load_mnist()
    train = (x_train[:300], y_train[:300])
    options = {"val": test, "epochs": 201, "batch_size": 100, "lr": 0.01}
    fit(model(0), train, epochs=1, batch_size=100, lr=0.01, progress=False)  # warm up

    start = time.perf_counter()
    one = fit(model(0), train, seed=0, eval_every=1, progress=False, **options)
    reference = time.perf_counter() - start

    start = time.perf_counter()
    separate = [fit(model(s), train, seed=s, eval_every=10, progress=False, **options) for s in SEEDS]
    one_by_one = time.perf_counter() - start

    start = time.perf_counter()
    batched = fit_batched([model(s) for s in SEEDS], train, seed=list(SEEDS), eval_every=10, **options)
    together = time.perf_counter() - start

    test_acc = summarize([h.val_acc[-1] for h in batched])
    same = max(abs(a.val_acc[-1] - b.val_acc[-1]) for a, b in zip(separate, batched, strict=True))
    print("| run | curve points | seconds | x one seed |\n|---|---|---|---|")
    print(f"| 1 seed, `fit`, every epoch (reference) | {len(one.epoch)} | {reference:.2f} | 1.00 |")
    print(f"| 10 seeds, `fit` one after another, every 10 epochs | {len(separate[0].epoch)} | "
          f"{one_by_one:.2f} | {one_by_one / reference:.2f} |")
    verdict = "ok" if together <= TARGET_RATIO * reference else "over"
    print(f"| 10 seeds, `fit_batched`, every 10 epochs | {len(batched[0].epoch)} | {together:.2f} | "
          f"{together / reference:.2f} (target <= {TARGET_RATIO:.0f}: {verdict}) |")
    print(f"\ntest accuracy over 10 seeds: {test_acc.format(scale=100, unit='%', digits=1)}; "
          f"largest difference between the batched and the separate runs: {same:.1e}")


if __name__ == "__main__":
    main()
