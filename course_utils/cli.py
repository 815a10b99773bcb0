"""The `course` command: open, run, grade and present the course.

``course lab``            open the course in JupyterLab
``course run [NB ...]``   execute notebooks headless and print the seconds each took
                          (``--save`` writes the outputs back: how stored outputs are made)
``course student OUT``    write the exercise versions (solutions stubbed, hidden tests out)
``course grade ...``      the nbgrader workflow: release, autograde, grades.csv, feedback
``course slides OUT``     export every chapter as a reveal.js slide deck that works offline
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from course_utils import exercises, slides
from course_utils.notebooks import NOTEBOOK_DIR, execute_notebook, notebook_paths

__all__ = ["main", "build_parser"]


def _cmd_lab(args: argparse.Namespace) -> int:
    notebook_dir = args.notebook_dir or NOTEBOOK_DIR
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={notebook_dir}"]
    if args.no_browser:
        command.append("--no-browser")
    command.extend(args.jupyter_args)  # e.g. --port 8899, passed through to jupyter lab
    return subprocess.call(command, env={**os.environ, "PYTHONHASHSEED": "0"})


def _cmd_run(args: argparse.Namespace) -> int:
    total = 0.0
    for path in notebook_paths(args.notebooks):
        seconds = execute_notebook(path, save=args.save, timeout=args.timeout)
        total += seconds
        print(f"{path.name:<40} {seconds:7.1f} s{'  (saved)' if args.save else ''}", flush=True)
    print(f"{'total':<40} {total:7.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``course`` command (one subcommand per job)."""
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    lab = sub.add_parser("lab", help="open the course in JupyterLab (other options go to jupyter lab)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    lab.add_argument("--notebook-dir", type=Path, help="serve this folder instead of the chapters")
    lab.set_defaults(func=_cmd_lab)

    run = sub.add_parser("run", help="execute notebooks and print the seconds each took")
    run.add_argument("notebooks", nargs="*", help="chapters (e.g. 01 or a path); default all")
    run.add_argument("--save", action="store_true", help="write outputs back (regenerate)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    run.set_defaults(func=_cmd_run)

    exercises.register_cli(sub)  # course student, course grade
    slides.register_cli(sub)  # course slides
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra  # everything else goes to jupyter lab
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except ValueError as error:
        print(f"course: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
