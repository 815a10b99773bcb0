"""The `course` command and the notebook runner behind it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from course_utils.cli import build_parser, main
from course_utils.notebooks import (
    CPU_ENV,
    NOTEBOOK_DIR,
    SPEAKER_NOTES_LABEL,
    execute_notebook,
    is_speaker_notes,
    normalize,
    notebook_paths,
    pinned_cpu_env,
)

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


def test_normalize_collapses_speaker_notes_only():
    nb = nbformat.v4.new_notebook()
    notes = nbformat.v4.new_markdown_cell(f"{SPEAKER_NOTES_LABEL} Ask the room.")
    notes.metadata["slideshow"] = {"slide_type": "notes"}
    slide = nbformat.v4.new_markdown_cell("## A slide")
    slide.metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells = [slide, notes, nbformat.v4.new_markdown_cell("plain")]
    normalize(nb)
    assert [is_speaker_notes(cell) for cell in nb.cells] == [False, True, False]
    assert nb.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert "jupyter" not in nb.cells[0].metadata and "jupyter" not in nb.cells[2].metadata


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_lecturer_notes_are_collapsed_speaker_notes_with_one_label(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        where = f"{path.name} cell {index}"
        if is_speaker_notes(cell):
            assert cell.cell_type == "markdown", where
            assert cell.source.startswith(SPEAKER_NOTES_LABEL), (
                f"{where}: speaker notes begin with {SPEAKER_NOTES_LABEL!r}")
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
                f"{where}: speaker notes are stored collapsed (course run --save does it)")
        else:
            for marker in ("Lecturer", "Speaker hint", "speaker note"):
                assert marker not in cell.source, (
                    f"{where}: a note for the lecturer in the learner's reading ({marker!r}): "
                    "make it a speaker-notes cell")


def test_execute_and_save_writes_outputs(tmp_path):
    path = tiny_notebook(tmp_path / "01_tiny.ipynb")
    seconds = execute_notebook(path, save=True, timeout=120)
    assert seconds > 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "0.667\n"
    assert nb.cells[1].execution_count == 1 and "jupytext" not in nb.metadata
    with pytest.raises(ValueError, match="timeout must be positive, but got 0"):
        execute_notebook(path, timeout=0)


def test_kernels_take_the_same_cpu_code_paths_on_every_machine(tmp_path, monkeypatch):
    for key in CPU_ENV:
        monkeypatch.delenv(key, raising=False)
    source = ("import os, torch\n"
              f"print([os.environ.get(k) for k in {sorted(CPU_ENV)!r}], "
              "torch.backends.cpu.get_cpu_capability())")
    path = tiny_notebook(tmp_path / "03_cpu.ipynb", source)
    execute_notebook(path, save=True, timeout=120)
    printed = nbformat.read(path, as_version=4).cells[1].outputs[0]["text"]
    expected = [CPU_ENV[k] for k in sorted(CPU_ENV)]
    assert printed.startswith(str(expected)), printed
    import torch  # the kernel runs AVX2 code even where this process would run AVX-512
    if torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512"):
        assert printed.rstrip().endswith("AVX2"), printed
    assert not any(key in os.environ for key in CPU_ENV), "the caller's environment is restored"


def test_pinned_cpu_env_keeps_what_the_caller_set(monkeypatch):
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    with pinned_cpu_env() as added:
        assert os.environ["MKL_CBWR"] == "COMPATIBLE"
        assert os.environ["ATEN_CPU_CAPABILITY"] == "avx2" and "ATEN_CPU_CAPABILITY" in added
    assert "ATEN_CPU_CAPABILITY" not in os.environ and os.environ["MKL_CBWR"] == "COMPATIBLE"


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
