"""What a chapter calls first (``setup_notebook``); find, execute and normalize the chapter
notebooks (what ``course run`` does), and show ``course_utils`` code inside them
(``show_source``).

Stored outputs are part of the course: CI re-executes every notebook with nbval and
compares them. ``execute_notebook(path, save=True)`` is the one way to regenerate them: it
runs the notebook top to bottom in a fresh kernel of the current environment, without
per-cell timestamps, then normalizes metadata so that re-running changes nothing but what
the code prints (deterministic cell ids, solution cells stored collapsed).

Stored outputs should depend as little as possible on the x86 machine that wrote them:
PyTorch and MKL pick their kernels by the CPU's instruction set, and an AVX-512 machine
rounds differently from an AVX2 one (the last printed digit of a mean over seeds moves).
``execute_notebook`` and the test suite therefore start kernels with ``CPU_ENV`` (the AVX2
code paths of PyTorch, MKL and oneDNN, which every x86 machine of the last decade has),
unless the caller's environment already sets those variables. MKL runs in its strict
reproducibility mode (``AVX2,STRICT``, documented to give the same bits whatever the thread
count and memory alignment) with its dispatch capped at AVX2 (``MKL_ENABLE_INSTRUCTIONS``,
which would otherwise override ``MKL_CBWR``). Measured on an AVX-512 machine against outputs
written on another machine: the plain ``AVX2`` mode moved printed digits in 3 of 24 cells of
chapter 00, these settings in 1 (a run near divergence, which amplifies a last-bit
difference), at the same speed in a side-by-side matrix-product timing. Runs near divergence
can still differ between machines, so the stored outputs are written on the kind of machine
that checks them.

Importing this module is cheap (a chapter's first cell imports it): nbformat, nbclient,
torch and matplotlib are imported by the functions that need them.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "setup_notebook", "NOTEBOOK_DIR", "notebook_paths", "normalize", "execute_notebook",
    "is_solution_cell", "is_speaker_notes", "SPEAKER_NOTES_LABEL", "source_code", "show_source",
    "CPU_ENV", "pinned_cpu_env",
]

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
_JUPYTEXT_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker")
SPEAKER_NOTES_LABEL = "**Lecturer's note.**"
"""How every speaker-notes cell begins (one label in every chapter)."""
CPU_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
           "ONEDNN_MAX_CPU_ISA": "AVX2"}
"""Environment of the kernels that write and check stored outputs (see the module docstring)."""


@contextlib.contextmanager
def pinned_cpu_env() -> Iterator[dict[str, str]]:
    """Set ``CPU_ENV`` in ``os.environ`` for the block (where unset), then restore it.

    A kernel started inside the block inherits the variables, so it takes the same CPU code
    paths on every x86 machine. Yields the variables the block set.
    """
    added = {key: value for key, value in CPU_ENV.items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield added
    finally:
        for key in added:
            os.environ.pop(key, None)


def setup_notebook(seed: int = 0, *, threads: int = 1) -> None:
    """What every chapter calls first: seeds, one CPU thread, the course's plot style.

    One thread makes results bit-identical from run to run on the same machine (another
    thread count changes the last digits), so stored notebook outputs can be compared.

    Raises:
        ValueError: ``threads`` below 1.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, but got {threads}")
    # imported here: running and normalizing notebooks needs neither torch nor matplotlib
    import torch

    from course_utils import plotting
    from course_utils.training import seed_everything

    seed_everything(seed)
    torch.set_num_threads(threads)
    plotting.set_style()


def notebook_paths(names: Sequence[str] | None = None, *, directory: Path | None = None) -> list[Path]:
    """Resolve chapter names to notebook paths, in course order.

    A name may be a path, a file name, or a prefix of one (``"01"``,
    ``"01_initialization"``). None or an empty list means every chapter.

    Raises:
        ValueError: a name matches no notebook, or several.
    """
    directory = directory or NOTEBOOK_DIR
    chapters = sorted(directory.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return chapters
    paths = []
    for name in names:
        if Path(name).is_file():
            paths.append(Path(name))
            continue
        matches = [p for p in chapters if p.name.startswith(Path(name).stem)]
        if len(matches) != 1:
            found = [p.name for p in chapters]
            raise ValueError(f"notebook {name!r} matches {len(matches)} of {found}")
        paths.append(matches[0])
    return paths


def is_solution_cell(cell: NotebookNode) -> bool:
    """True for an nbgrader solution cell (code or written answer)."""
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def is_speaker_notes(cell: NotebookNode) -> bool:
    """True for a lecturer's speaker-notes cell (slide type ``notes``).

    Speaker notes appear in the slideshow's speaker view only; the chapter stores them
    collapsed, so a learner reading the notebook sees a folded cell, and the student
    versions and released assignments leave them out.
    """
    slideshow = cell.get("metadata", {}).get("slideshow", {})
    return isinstance(slideshow, dict) and slideshow.get("slide_type") == "notes"


def normalize(nb: NotebookNode) -> NotebookNode:
    """Make a notebook's metadata deterministic and course-conformant, in place.

    Cell ids become ``c000``, ``c001``, ...; metadata left by jupytext is dropped; code
    solution cells are stored collapsed (``jupyter.source_hidden``) so a learner tries
    the exercise before revealing the answer.
    """
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index:03d}"
        for key in _JUPYTEXT_KEYS:
            cell.metadata.pop(key, None)
        if (cell.cell_type == "code" and is_solution_cell(cell)) or is_speaker_notes(cell):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return nb


def execute_notebook(path: str | Path, *, save: bool = False, timeout: int = 600) -> float:
    """Execute a notebook in a fresh kernel (with ``CPU_ENV``); return the seconds it took.

    Args:
        path: the ``.ipynb`` file; it runs with its own folder as working directory.
        save: write the executed, normalized notebook back to ``path``.
        timeout: seconds allowed per cell.

    Raises:
        ValueError: ``timeout`` is not positive.
        nbclient.exceptions.CellExecutionError: a cell failed (unless tagged
            ``raises-exception``).
    """
    import nbformat
    from nbclient import NotebookClient

    if timeout <= 0:
        raise ValueError(f"timeout must be positive, but got {timeout}")
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    with pinned_cpu_env():
        client.execute()
    seconds = time.perf_counter() - start
    if save:
        nbformat.write(normalize(nb), path)
    return seconds


_DOCSTRING = re.compile(r'(?P<indent>[ \t]*)"""(?P<body>[\s\S]*?)"""')


def source_code(obj: object) -> str:
    """The source of a function, method or class with each docstring cut to its first line.

    What a chapter shows when it presents a ``course_utils`` implementation: the code in
    full, the contract (documented in the docstring) as a one-line reminder.

    Raises:
        ValueError: ``obj`` has no Python source (a builtin, a C extension).
    """
    try:
        source = inspect.getsource(obj)  # type: ignore[arg-type]
    except (TypeError, OSError) as error:
        raise ValueError(f"obj must be a Python function, method or class, but got {obj!r}") from error

    def first_line(match: re.Match) -> str:
        lines = match["body"].strip().splitlines()
        summary = lines[0] if lines else ""
        more = " ..." if len(lines) > 1 else ""
        return f'{match["indent"]}"""{summary}{more}"""'

    return _DOCSTRING.sub(first_line, textwrap.dedent(source))


def show_source(obj: object) -> None:
    """Print :func:`source_code` of ``obj``."""
    print(source_code(obj))
