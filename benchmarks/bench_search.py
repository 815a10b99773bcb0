"""Time the 100-trial random search of chapter 06 (Deep Learning from Scratch, ch. 6).

The book's setup: the first 500 training images split 400 / 100 into train / validation,
a 784-100x6-10 ReLU MLP with He initialization, SGD with batch 100 for 50 epochs per
trial, 100 trials with lr = 10^U(-6, -2) and weight decay = 10^U(-8, -4); training and
validation accuracy after every epoch. The book's NumPy code takes about 112 CPU-seconds
on this kind of machine; the target here is 35 s with one thread. The trials are sampled
first (``study.ask``), trained side by side in one batched pass (``train_configs``, which
calls ``course_utils.batched.fit_batched``), and scored (``study.tell``), exactly as the
notebook does.

Beside it, the **floor**: the same matrix products alone (``torch.mm``/``torch.bmm`` into
preallocated outputs, no autograd, no activations, no Python loop over trials), timed
in the same process. The 35 s target is for the course's reference machines; on a slower
CPU the search and its floor grow together, and ``search / floor`` says how close the
search is to the arithmetic it cannot avoid, whatever the machine.

Prints a markdown table (header with ``--header``), one row per repetition:

    python benchmarks/bench_search.py [--repeats 1] [--header]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from course_utils import search

TARGET_SECONDS = 35.0


def hundred_trials(seed: int = 0) -> tuple[float, float, search.Study]:
    """Run the search once; return (wall seconds, CPU seconds, the study)."""
    train, val = search.dlfs_data()
    wall, cpu = time.perf_counter(), time.process_time()
    study = search.create_study(direction="maximize",
                                 sampler=search.samplers.RandomSampler(seed=seed))
    trials = [study.ask() for _ in range(100)]
    configs = [search.suggest_dlfs(trial) for trial in trials]
    _, histories = search.train_configs(configs, train, val=val, epochs=50, batch_size=100,
                                        seed=seed, init_seeds=[t.number for t in trials])
    for trial, history in zip(trials, histories, strict=True):
        study.tell(trial, history.val_acc[-1])
    return time.perf_counter() - wall, time.process_time() - cpu, study


def matmul_floor(k: int = 100, sizes: tuple[int, ...] = (784, *[100] * 6, 10), n_train: int = 400,
                 n_val: int = 100, batch_size: int = 100, epochs: int = 50) -> float:
    """Seconds that the search's matrix products alone take: per step, the forward and
    both backward products of every layer for ``k`` networks (the first layer as one
    ``(batch, 784) @ (784, k * 100)`` product, the others as batched products), and one
    forward pass over the validation images per epoch."""
    gen = torch.Generator().manual_seed(0)
    first = torch.randn(sizes[0], k * sizes[1], generator=gen)
    rest = [torch.randn(k, fan_out, fan_in, generator=gen)
            for fan_in, fan_out in zip(sizes[1:-1], sizes[2:], strict=True)]

    def forward_and_backward(n: int, backward: bool) -> None:
        x = torch.randn(n, sizes[0], generator=gen)
        z = torch.empty(n, k * sizes[1])
        torch.mm(x, first, out=z)
        h = torch.randn(k, sizes[1], n, generator=gen)
        for w in rest:
            out = torch.empty(k, w.shape[1], n)
            torch.bmm(w, h if h.shape[1] == w.shape[2] else h[:, : w.shape[2]], out=out)
            if backward:
                grad_w = torch.empty_like(w)
                torch.bmm(out, h.transpose(1, 2), out=grad_w)  # same shapes as dL/dW
                torch.bmm(w.transpose(1, 2), out, out=torch.empty(k, w.shape[2], n))
            h = out
        if backward:
            torch.mm(x.T, z, out=torch.empty_like(first))

    steps = epochs * (n_train // batch_size)
    forward_and_backward(batch_size, True)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        forward_and_backward(batch_size, True)
    for _ in range(epochs):
        forward_and_backward(n_val, False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--header", action="store_true", help="print the table header first")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.header:
        print("| benchmark | wall s | CPU s | target | floor s | search / floor | best val acc "
              "| load avg |\n|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeats):
        wall, cpu, study = hundred_trials()
        floor = matmul_floor()
        verdict = "ok" if wall <= TARGET_SECONDS else "over"
        print(f"| search: 100 trials x 50 epochs, 784-100x6-10, 1 thread | {wall:.1f} | "
              f"{cpu:.1f} | <= {TARGET_SECONDS:.0f} s ({verdict}) | {floor:.1f} | "
              f"{wall / floor:.2f}x | {study.best_value:.3f} | {os.getloadavg()[0]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
