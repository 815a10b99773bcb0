"""Markers for the notebooks' cells: `pytest -m batchnorm` runs the code behind chapter 05,
its notebook included, and every notebook cell is `slow` (`pytest -m "not slow"` skips them)."""

from __future__ import annotations

from pathlib import Path

import pytest

# chapter prefix -> the marker of the code behind it (markers are listed in pyproject.toml)
CHAPTER_MARKERS = {
    "00": "core", "01": "init", "02": "decay", "03": "ensembles",
    "04": "dropout", "05": "batchnorm", "06": "search",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb" and path.parent.name == "notebooks":
            marker = CHAPTER_MARKERS.get(path.name[:2])
            if marker:
                item.add_marker(getattr(pytest.mark, marker))
            item.add_marker(pytest.mark.slow)
