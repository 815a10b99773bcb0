"""Markers for the notebooks' cells (`pytest -m batchnorm` runs the code behind chapter 05,
its notebook included; every notebook cell is `slow`, so `pytest -m "not slow"` skips
them), and the order in which the suite hands work to its workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils.notebooks import CPU_ENV

# The kernels nbval starts compare stored outputs: they take the CPU code paths that wrote
# them (course_utils.notebooks.CPU_ENV), whatever the machine. Set before torch is imported.
for _key, _value in CPU_ENV.items():
    os.environ.setdefault(_key, _value)

# chapter prefix -> the marker of the code behind it (markers are listed in pyproject.toml)
CHAPTER_MARKERS = {
    "00": "core", "01": "init", "02": "decay", "03": "ensembles",
    "04": "dropout", "05": "batchnorm", "06": "search",
}

# Chapters by how long one execution takes, longest first (benchmarks/bench_notebooks.py).
# Each chapter is executed twice in a run: by nbval, and as the student version
# (tests/test_exercises.py). `pytest -n 2 --dist loadscope` hands whole scopes (a notebook,
# a test class, a test module) to whichever worker is free, in collection order: long
# executions go first, longest first, and the many short unit-test modules fill in after,
# so the two workers finish together.
CHAPTERS_LONGEST_FIRST = ("06", "01", "04", "05", "02", "03", "00")


def pytest_configure(config: pytest.Config) -> None:
    # xdist would otherwise reorder scopes by their number of tests, not by their cost
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def _chapter(item: pytest.Item) -> str | None:
    """The chapter prefix of a notebook cell or of a whole-chapter execution test."""
    path = Path(str(item.path))
    if path.suffix == ".ipynb" and path.parent.name == "notebooks":
        return path.name[:2]
    cls = getattr(item, "cls", None)
    name = getattr(cls, "__name__", "")
    if name.startswith("TestStudentVersion_"):
        return name.removeprefix("TestStudentVersion_")[:2]
    return None


def _rank(item: pytest.Item) -> int:
    chapter = _chapter(item)
    if chapter in CHAPTERS_LONGEST_FIRST:
        return CHAPTERS_LONGEST_FIRST.index(chapter)
    if "TestRoundTrip" in item.nodeid or "test_browser" in item.nodeid:
        return len(CHAPTERS_LONGEST_FIRST)
    return len(CHAPTERS_LONGEST_FIRST) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb" and path.parent.name == "notebooks":
            marker = CHAPTER_MARKERS.get(path.name[:2])
            if marker:
                item.add_marker(getattr(pytest.mark, marker))
            item.add_marker(pytest.mark.slow)
    # stable: the cells of a notebook, and the tests of a module, keep their order
    items.sort(key=_rank)
