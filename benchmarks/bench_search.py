"""Time the 100-trial random search of chapter 06 (Deep Learning from Scratch, ch. 6).

The book's setup: the first 500 training images split 400 / 100 into train / validation,
a 784-100x6-10 ReLU MLP with He initialization, SGD with batch 100 for 50 epochs per
trial, 100 trials with lr = 10^U(-6, -2) and weight decay = 10^U(-8, -4); training and
validation accuracy after every epoch. The book's NumPy code takes about 112 CPU-seconds
on this kind of machine; the target here is 35 s with one thread. The trials are sampled
first (``study.ask``), trained side by side in one batched pass (``train_configs``, which
calls ``course_utils.batched.fit_batched``), and scored (``study.tell``), exactly as the
notebook does.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--header", action="store_true", help="print the table header first")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.header:
        print("| benchmark | wall s | CPU s | target | best val acc | load avg |\n"
              "|---|---|---|---|---|---|")
    for _ in range(args.repeats):
        wall, cpu, study = hundred_trials()
        verdict = "ok" if wall <= TARGET_SECONDS else "over"
        print(f"| search: 100 trials x 50 epochs, 784-100x6-10, 1 thread | {wall:.1f} | "
              f"{cpu:.1f} | <= {TARGET_SECONDS:.0f} s ({verdict}) | {study.best_value:.3f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
