"""Chapter markers select the chapter's notebook cells too (see the repository's conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.core
ROOT = Path(__file__).resolve().parent.parent


def collected(*args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: nothing collected
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_chapter_marker_selects_its_notebook_and_only_it():
    # every notebook, and two test modules of which only one is chapter 05's
    items = collected("-m", "batchnorm", "notebooks", "tests/test_normalization.py",
                      "tests/test_dropout.py")
    notebooks = {line.split("::")[0] for line in items if line.startswith("notebooks/")}
    assert notebooks == {"notebooks/05_batch_normalization.ipynb"}
    assert any(line.startswith("tests/test_normalization.py") for line in items)
    assert not any(line.startswith("tests/test_dropout.py") for line in items)


def test_not_slow_leaves_out_every_notebook_cell():
    assert collected("-m", "not slow", "notebooks") == []
    assert len(collected("-m", "slow", "notebooks")) > 100
