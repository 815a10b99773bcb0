"""The `course` command and the notebook runner behind it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from course_utils.cli import build_parser, main
from course_utils.notebooks import NOTEBOOK_DIR, execute_notebook, normalize, notebook_paths

pytestmark = pytest.mark.core


def tiny_notebook(path, source="print(round(2 / 3, 3))"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny"), nbformat.v4.new_code_cell(source)]
    nb.metadata["jupytext"] = {"formats": "ipynb,py"}
    nbformat.write(nb, path)
    return path


def test_notebook_paths_resolve_prefixes_in_order():
    every = notebook_paths()
    assert every == sorted(every) and every[0].name == "00_introduction.ipynb"
    assert notebook_paths(["00"]) == [NOTEBOOK_DIR / "00_introduction.ipynb"]
    with pytest.raises(ValueError, match="notebook '99' matches 0 of"):
        notebook_paths(["99"])


def test_normalize_is_deterministic_and_collapses_solutions():
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell("x = 1")
    solution.metadata["nbgrader"] = {"solution": True, "grade": False, "schema_version": 3}
    solution.metadata["lines_to_next_cell"] = 2
    nb.cells = [nbformat.v4.new_markdown_cell("text"), solution]
    normalize(nb)
    assert [cell["id"] for cell in nb.cells] == ["c000", "c001"]
    assert nb.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert "lines_to_next_cell" not in nb.cells[1].metadata
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_execute_and_save_writes_outputs(tmp_path):
    path = tiny_notebook(tmp_path / "01_tiny.ipynb")
    seconds = execute_notebook(path, save=True, timeout=120)
    assert seconds > 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "0.667\n"
    assert nb.cells[1].execution_count == 1 and "jupytext" not in nb.metadata
    with pytest.raises(ValueError, match="timeout must be positive, but got 0"):
        execute_notebook(path, timeout=0)


def test_course_run_prints_seconds_per_notebook(tmp_path, capsys):
    path = tiny_notebook(tmp_path / "02_tiny.ipynb")
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "02_tiny.ipynb" in out and out.rstrip().endswith("s") and "total" in out
    assert nbformat.read(path, as_version=4).cells[1].outputs == []  # not saved


def test_course_run_reports_unknown_notebooks(capsys):
    assert main(["run", "no_such_chapter"]) == 2
    assert "matches 0 of" in capsys.readouterr().err


def test_console_script_is_installed():
    exe = shutil.which("course")
    assert exe is not None, "the `course` console script is not on PATH: pip install -e ."
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    for command in ("lab", "run", "student", "grade"):
        assert command in result.stdout


def test_lab_command_builds_the_jupyter_call(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, env: calls.append(command) or 0)
    args = build_parser().parse_args(["lab", "--no-browser"])
    args.jupyter_args = []
    assert args.func(args) == 0
    assert calls[0][:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--notebook-dir={NOTEBOOK_DIR}" in calls[0] and "--no-browser" in calls[0]


def test_source_code_keeps_code_and_first_docstring_lines():
    from course_utils.data import make_moons
    from course_utils.notebooks import source_code
    from course_utils.training import History

    text = source_code(make_moons)
    assert text.startswith("def make_moons(") and "_check_toy_args(n_samples, noise)" in text
    assert '"""Two interleaving half circles in 2-D, labelled 0 and 1, with Gaussian noise. ..."""' in text
    assert "Args:" not in text
    method = source_code(History.best)
    assert method.startswith("def best(") and "\n    values = " in method  # dedented, body kept
    with pytest.raises(ValueError, match="obj must be a Python function, method or class"):
        source_code(len)
