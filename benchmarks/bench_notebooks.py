"""Time the execution of every chapter notebook (or the named ones) and write a table.

Each notebook runs top to bottom in a fresh kernel, as `course run` and nbval do. The
table goes to stdout and to benchmarks/results/notebooks.md (not committed).

    python benchmarks/bench_notebooks.py [00 01 ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

from course_utils.notebooks import execute_notebook, notebook_paths

BUDGET_SECONDS = {"00": 30, "01": 90, "02": 90, "03": 90, "04": 90, "05": 120, "06": 120}


def main(names: list[str]) -> None:
    lines = ["| notebook | seconds | budget |", "|---|---|---|"]
    print("\n".join(lines), flush=True)
    for path in notebook_paths(names):
        seconds = execute_notebook(path)
        budget = BUDGET_SECONDS.get(path.name[:2], "")
        lines.append(f"| {path.name} | {seconds:.1f} | {budget} |")
        print(lines[-1], flush=True)
    out = Path(__file__).resolve().parent / "results" / "notebooks.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
