"""Time the reference workload of `fit` (Deep Learning from Scratch, ch. 6 overfitting setup).

The first 300 training images, a 784-100x6-10 ReLU MLP with He initialization, SGD with
lr 0.01, batch 100, 201 epochs, train and test accuracy evaluated after every epoch, one
CPU thread. Each figure is measured in a fresh process (``python -c``), so "cold" is what
a chapter pays in its first training cell: the first ``fit`` of a process, imports done.
"Warm" is the median of the next runs in that process. The floor is a plain-torch loop
doing the same arithmetic (``torch.optim.SGD``, ``model(x)``, ``loss.backward()``, and the
same per-epoch evaluation), timed warm in its own fresh process.

Targets: cold minus warm under 0.5 s, warm within 1.15x the plain-torch floor.

    python benchmarks/bench_training.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

WORKLOAD = r"""
import json, sys, time
import torch
import torch.nn.functional as F
from course_utils.data import load_mnist
from course_utils.models import mlp
from course_utils.training import fit

torch.set_num_threads(1)
(x_train, y_train), test = load_mnist()
train = (x_train[:300], y_train[:300])


def model():
    return mlp([784] + [100] * 6 + [10], init="he_normal", generator=torch.Generator().manual_seed(0))


def course():
    history = fit(model(), train, val=test, epochs=201, batch_size=100, lr=0.01, seed=0, progress=False)
    return history.final()["val_acc"]


def plain_torch():
    net, (x, y) = model(), train
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(0)
    both = torch.cat([x, test[0]])
    for _ in range(201):
        for batch in torch.randperm(len(x), generator=generator).split(100):
            loss = F.cross_entropy(net(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            logits = net(both)
            for part, labels in zip(logits.split([len(x), len(test[0])]), (y, test[1])):
                F.cross_entropy(part, labels).item(), (part.argmax(1) == labels).float().mean().item()
        net.train()
    return (logits[len(x):].argmax(1) == test[1]).float().mean().item()


run = {"course": course, "torch": plain_torch}[sys.argv[1]]
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    accuracy = run()
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "accuracy": accuracy}))
"""


def measure(kind: str, runs: int) -> dict:
    out = subprocess.run([sys.executable, "-c", WORKLOAD, kind, str(runs)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per process")
    args = parser.parse_args()
    course = measure("course", args.repeats + 1)
    floor = measure("torch", args.repeats + 1)
    cold, warm = course["times"][0], statistics.median(course["times"][1:])
    floor_warm = statistics.median(floor["times"][1:])
    print("| figure | seconds | target |\n|---|---|---|")
    print(f"| fit, cold (first in a fresh process) | {cold:.2f} | |")
    print(f"| fit, warm (median of {args.repeats}) | {warm:.2f} | |")
    print(f"| cold minus warm | {cold - warm:.2f} | < 0.50 |")
    print(f"| plain-torch loop, cold | {floor['times'][0]:.2f} | |")
    print(f"| plain-torch loop, warm (the floor) | {floor_warm:.2f} | |")
    print(f"| warm fit / floor | {warm / floor_warm:.2f}x | <= 1.15x |")
    print(f"\ntest accuracy: fit {course['accuracy']:.4f}, plain torch {floor['accuracy']:.4f}")


if __name__ == "__main__":
    main()
