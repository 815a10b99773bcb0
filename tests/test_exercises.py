"""The graded-exercise pipeline: student versions, nbgrader's Validator, the round trip.

nbgrader is the oracle throughout: its ``ClearSolutions``/``ClearHiddenTests``/
``ClearOutput`` preprocessors for ``student_version``, its ``Validator`` for the source
(every test passes) and the student version (every test fails), and its own
release -> autograde -> export -> feedback for the grading round trip. The round trip runs
on a tiny fixture notebook (fast; also the broken, tampered and deleted submissions) and on
chapter 00 (solutions: full marks, blank: zero, one wrong answer: loses that exercise).

nbgrader lives in the ``grading`` extra: without it these tests skip, except under CI
(``CI`` set), where a missing nbgrader is an error.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils.cli import main
from course_utils.exercises import (
    CODE_STUB,
    DEFAULT_COURSE_ID,
    TEXT_STUB,
    CellScore,
    GradingReport,
    SubmissionResult,
    autograde,
    check_submission,
    format_summary,
    grade_cells,
    has_exercises,
    prepare_course,
    read_results,
    release,
    student_version,
    write_student_versions,
)
from course_utils.notebooks import is_solution_cell, is_speaker_notes, notebook_paths
from course_utils.training import SMOKE_TEST_ENV

try:
    import nbgrader  # noqa: F401

    HAVE_NBGRADER = True
except ImportError:
    if os.environ.get("CI"):
        raise
    HAVE_NBGRADER = False

pytestmark = pytest.mark.exercises
needs_nbgrader = pytest.mark.skipif(not HAVE_NBGRADER, reason="needs the grading extra")

FIXTURE = Path(__file__).parent / "fixtures" / "exercise_mini.ipynb"
CHAPTERS = [p for p in notebook_paths() if has_exercises(nbformat.read(p, as_version=4))]
NOTEBOOKS = [FIXTURE, *CHAPTERS]
ROUND_TRIP = [FIXTURE, *(p for p in CHAPTERS if p.stem == "00_introduction")]
TIMEOUT = 300  # seconds per cell, as in the course directory's nbgrader_config.py


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_test(cell) -> bool:
    return _meta(cell).get("grade", False) and not _meta(cell).get("solution", False)


def _exercises(nb) -> dict[str, list[str]]:
    """Autograded exercises: solution grade_id -> grade_ids of the test cells after it."""
    exercises: dict[str, list[str]] = {}
    current = None
    for cell in nb.cells:
        if is_solution_cell(cell) and not _meta(cell).get("grade", False):
            current = _meta(cell)["grade_id"]
            exercises[current] = []
        elif _is_test(cell) and current is not None:
            exercises[current].append(_meta(cell)["grade_id"])
    return exercises


# ---------------------------------------------------------------------------------------
# student_version against nbgrader's preprocessors
# ---------------------------------------------------------------------------------------


def _nbgrader_student_version(nb):
    """What nbgrader does to the notebook without its speaker notes, then the expansion
    of solution cells."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if not is_speaker_notes(cell)]
    for preprocessor in (ClearSolutions(), ClearOutput(), ClearHiddenTests()):
        nb, _ = preprocessor.preprocess(nb, {})
    for cell in nb.cells:
        if is_solution_cell(cell) and "jupyter" in cell.metadata:
            cell.metadata.jupyter.pop("source_hidden", None)
            if not cell.metadata.jupyter:
                del cell.metadata["jupyter"]
    return nb


@needs_nbgrader
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_equals_nbgraders(path):
    nb = _read(path)
    original = copy.deepcopy(nb)
    student = student_version(nb)
    assert student == _nbgrader_student_version(nb)
    assert nb == original, "student_version must not change its argument"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_stubs_hides_clears_and_expands(path):
    nb = _read(path)
    student = student_version(nb)
    text = "\n".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert not any(is_speaker_notes(cell) for cell in student.cells)
    kept = [cell for cell in nb.cells if not is_speaker_notes(cell)]
    for before, after in zip(kept, student.cells, strict=True):
        assert _meta(after) == _meta(before), "nbgrader metadata must be kept"
        if is_solution_cell(before):
            stub = CODE_STUB if before.cell_type == "code" else TEXT_STUB
            assert all(line in after.source for line in stub.split("\n"))
            assert "source_hidden" not in after.metadata.get("jupyter", {})
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_cells_are_stored_collapsed(path):
    """``course run --save`` stores them so (``normalize``): a learner tries first."""
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code" and is_solution_cell(cell):
            assert cell.metadata.get("jupyter", {}).get("source_hidden"), f"cell {index}"


_MARKERS = ["### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
            "### END HIDDEN TESTS"]
_line = st.one_of(st.sampled_from(["x = 1", "return x", "", "# note"]),
                  st.sampled_from(_MARKERS)).flatmap(
    lambda text: st.sampled_from(["", "    ", "\t"]).map(lambda indent: indent + text))
_cell = st.builds(
    lambda kind, lines, solution, grade: (kind, "\n".join(lines), solution, grade),
    st.sampled_from(["code", "markdown"]), st.lists(_line, max_size=8),
    st.booleans(), st.booleans())


@needs_nbgrader
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cell, min_size=1, max_size=4))
def test_student_version_equals_nbgraders_on_any_markers(cells):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    for i, (kind, source, solution, grade) in enumerate(cells):
        cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
        if solution or grade:
            cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": f"q{i}", "locked":
                                         not solution, "solution": solution, "grade": grade,
                                         "points": 1}
        nb.cells.append(cell)
    try:
        expected = _nbgrader_student_version(nb)
    except RuntimeError:  # nbgrader refuses: nested, unclosed or misplaced markers
        with pytest.raises(ValueError):
            student_version(nb)
    else:
        assert student_version(nb) == expected


def _one_cell(source: str, *, solution: bool = False, grade: bool = False, kind: str = "code"):
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "q", "locked": False,
                                 "solution": solution, "grade": grade, "points": 1}
    return new_notebook(cells=[cell])


@pytest.mark.parametrize(("source", "solution", "grade", "message"), [
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", True, False,
     "nested 'BEGIN SOLUTION' markers"),
    ("### BEGIN SOLUTION\nx = 1", True, False,
     "'BEGIN SOLUTION' without a matching 'END SOLUTION'"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", False, True,
     "must be in a solution cell"),
    ("### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS", False, True,
     "nested 'BEGIN HIDDEN TESTS' markers"),
    ("### BEGIN HIDDEN TESTS\nassert x", False, True,
     "'BEGIN HIDDEN TESTS' without a matching 'END HIDDEN TESTS'"),
    ("### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS", False, False,
     "must be in a graded test cell"),
])
def test_student_version_rejects_bad_markers(source, solution, grade, message):
    with pytest.raises(ValueError, match=f"cell 0 .*{message}"):
        student_version(_one_cell(source, solution=solution, grade=grade))


def test_student_version_rejects_other_languages():
    nb = _one_cell("x <- 1")
    nb.metadata["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    with pytest.raises(ValueError, match="kernel language must be python, but got 'R'"):
        student_version(nb)


def test_student_version_indents_the_stub_like_the_marker():
    nb = _one_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                   solution=True)
    assert student_version(nb).cells[0].source == (
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()")


def test_grade_cells_and_has_exercises():
    assert grade_cells(_read(FIXTURE)) == {
        "mini_ex1_shape": 1.0, "mini_ex1_values": 2.0, "mini_ex2_values": 2.0,
        "mini_ex3_written": 1.0}
    assert not has_exercises(new_notebook(cells=[new_code_cell("x = 1")]))


def test_write_student_versions_named_and_all(tmp_path):
    [written] = write_student_versions(tmp_path / "one", [str(FIXTURE)])
    assert written == tmp_path / "one" / FIXTURE.name
    assert _read(written) == student_version(_read(FIXTURE))
    every = write_student_versions(tmp_path / "all")
    assert [p.name for p in every] == [p.name for p in notebook_paths()]


def test_write_student_versions_rejects_unknown_chapter(tmp_path):
    with pytest.raises(ValueError, match="notebook '99' matches 0"):
        write_student_versions(tmp_path, ["99"])


def test_course_student_command(tmp_path, capsys):
    assert main(["student", str(tmp_path), str(FIXTURE)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / FIXTURE.name)
    assert _read(tmp_path / FIXTURE.name) == student_version(_read(FIXTURE))


# ---------------------------------------------------------------------------------------
# Submissions, course directory, summary (no execution)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (None, "missing: no sub.ipynb in the folder, which holds notes.txt"),
    (bytes(range(256)), "not a notebook: a binary file"),
    (b'{"cells": [', "corrupt notebook: invalid JSON at line 1, column 12"),
    (b'{"answer": 42}', "not a notebook: JSON without the 'cells' and 'nbformat' keys"),
    (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "invalid notebook: "),
])
def test_check_submission_says_why(tmp_path, content, message):
    (tmp_path / "notes.txt").write_text("my answers")
    if content is not None:
        (tmp_path / "sub.ipynb").write_bytes(content)
    assert check_submission(tmp_path / "sub.ipynb").startswith(message)


def test_check_submission_accepts_notebooks():
    assert check_submission(FIXTURE) is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"timeout": 0}, "timeout must be positive, but got 0"),
    ({"course_id": ""}, "course_id must be a non-empty string"),
])
def test_prepare_course_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        prepare_course(tmp_path, [str(FIXTURE)], **kwargs)


def test_prepare_course_needs_a_chapter_with_exercises(tmp_path):
    plain = tmp_path / "plain.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), plain)
    with pytest.raises(ValueError, match="names must include a chapter with exercises"):
        prepare_course(tmp_path / "course", [str(plain)])


def test_prepare_course_layout_and_kept_config(tmp_path):
    assert prepare_course(tmp_path, [str(FIXTURE)], timeout=123) == ["exercise_mini"]
    config = (tmp_path / "nbgrader_config.py").read_text()
    assert 'db_url = "sqlite:///gradebook.db"' in config and "timeout = 123" in config
    source = _read(tmp_path / "source" / "exercise_mini" / "exercise_mini.ipynb")
    assert all("jupyter" not in cell.metadata for cell in source.cells)
    assert all(cell.get("outputs", []) == [] for cell in source.cells)
    (tmp_path / "nbgrader_config.py").write_text(config + "# edited by a grader\n")
    prepare_course(tmp_path, [str(FIXTURE)], timeout=5)
    assert (tmp_path / "nbgrader_config.py").read_text().endswith("# edited by a grader\n")


def test_autograde_without_submissions_says_how_to_add_them(tmp_path, capsys):
    prepare_course(tmp_path, [str(FIXTURE)])
    (tmp_path / "release" / "exercise_mini").mkdir(parents=True)
    (tmp_path / "submitted" / "ann").mkdir(parents=True)  # a student folder, but no assignment in it
    assert main(["grade", "autograde", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "no submissions to grade in" in error and str(tmp_path / "submitted") in error
    assert "submitted/<student>/<assignment>/<assignment>.ipynb" in error
    assert "(exercise_mini)" in error and "course grade autograde" in error
    assert main(["grade", "autograde", str(tmp_path), "ch99"]) == 1
    assert "no submissions of ch99 to grade" in capsys.readouterr().err


@needs_nbgrader
def test_autograde_needs_a_course_directory(tmp_path):
    with pytest.raises(ValueError, match="course_dir must contain nbgrader_config.py"):
        autograde(tmp_path)


def test_format_summary_table():
    cells = (CellScore("a", 1.0, 1.0, False), CellScore("w", 0.0, 2.0, True))
    report = GradingReport(
        [SubmissionResult("ann", "ch00", 1.0, 3.0, cells),
         SubmissionResult("bo", "ch00", error="corrupt notebook: invalid JSON")],
        Path("course/grades.csv"))
    assert format_summary(report).splitlines() == [
        "student  ch00",
        "ann      1 / 3 *",
        "bo       error",
        "* written answers await a manual grade (nbgrader formgrader), then run "
        "`course grade export`",
        "error: bo/ch00: corrupt notebook: invalid JSON",
        "grades: course/grades.csv",
    ]
    assert report.result("ann", "ch00").pending == 2.0
    assert report.result("ann", "ch00").cell("w").max_score == 2.0
    with pytest.raises(KeyError, match="no submission of 'cy'"):
        report.result("cy", "ch00")
    with pytest.raises(KeyError, match="no graded cell 'z'"):
        report.result("ann", "ch00").cell("z")


@needs_nbgrader
def test_grade_commands_report_a_missing_course_dir(tmp_path, capsys):
    assert main(["grade", "autograde", str(tmp_path / "nowhere")]) == 2
    assert "course_dir must contain nbgrader_config.py" in capsys.readouterr().err


def test_grade_release_without_nbgrader_says_which_extra(monkeypatch, tmp_path, capsys):
    import builtins

    real_import = builtins.__import__

    def no_nbgrader(name, *args, **kwargs):
        if name == "nbgrader" or name.startswith("nbgrader."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nbgrader)
    assert main(["grade", "release", str(tmp_path), str(FIXTURE)]) == 2
    assert "pip install -e '.[grading]'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# nbgrader's Validator: the source passes, the student version fails every test
# ---------------------------------------------------------------------------------------


def _validator(**kwargs):
    from nbgrader.validator import Validator
    from traitlets.config import Config

    return Validator(config=Config({"Execute": {"timeout": TIMEOUT}}), **kwargs)


@needs_nbgrader
@pytest.mark.slow
class TestValidator:
    """Its own xdist scope (``--dist loadscope``): it runs beside the round trip."""

    @pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
    def test_validator_passes_on_the_source(self, path):
        """Validated on the stored outputs, without executing again: nbval re-executes
        every notebook in the same run and fails unless those outputs are reproduced
        (an error in any cell fails it too), so a second execution here would only
        repeat that work."""
        validator = _validator()
        validator.preprocessors = []
        assert validator.validate(str(path)) == {}

    def test_validator_on_stored_outputs_sees_a_failed_test(self, tmp_path):
        """The check above can fail: a stored error in a test cell is reported."""
        nb = _read(FIXTURE)
        test_cell = next(c for c in nb.cells if _is_test(c) and c.cell_type == "code")
        test_cell.outputs = [nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="wrong", traceback=["AssertionError: wrong"])]
        broken = tmp_path / FIXTURE.name
        nbformat.write(nb, broken)
        validator = _validator()
        validator.preprocessors = []
        assert "failed" in validator.validate(str(broken))


def _check_student_version(path: Path, tmp_path: Path) -> None:
    """One execution serves both checks: Validator(invert=True) executes the student
    version cell by cell (nbclient, errors allowed) and a recorder keeps the result."""
    from nbconvert.preprocessors import Preprocessor

    student = tmp_path / path.name
    nbformat.write(student_version(_read(path)), student)
    executed = []

    class Record(Preprocessor):
        def preprocess(self, nb, resources):
            executed.append(nb)
            return nb, resources

    validator = _validator(invert=True)
    validator.preprocessors = [*validator.preprocessors, Record]
    assert validator.validate(str(student)) == {}, "a test passes on the stubbed version"

    [nb] = executed
    errors = {index: [o.ename for o in cell.outputs if o.output_type == "error"]
              for index, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    failed = {index for index, names in errors.items() if names}
    tests = {i for i, cell in enumerate(nb.cells) if _is_test(cell) and cell.cell_type == "code"}
    solutions = {i for i, cell in enumerate(nb.cells) if is_solution_cell(cell)}
    assert tests <= failed, f"test cells that did not fail: {sorted(tests - failed)}"
    assert failed <= tests | solutions, (
        f"cells outside the exercises failed: {sorted(failed - tests - solutions)}")
    assert all(errors[i] == ["NotImplementedError"] for i in tests), (
        f"test cells must fail on the stub, not on their own code: "
        f"{ {i: errors[i] for i in tests if errors[i] != ['NotImplementedError']} }")


class _StudentVersion:
    """The student version of one notebook, executed once: every test cell fails on its
    stub, every other cell runs. One class per notebook, so that each is its own xdist
    scope (``--dist loadscope``) and the two workers share these long executions.

    The training cells take one step per epoch (``COURSE_UTILS_SMOKE_TEST=1``): this
    checks that every cell runs, not what it prints, which nbval checks on the chapter."""

    path: Path

    def test_fails_every_test_and_runs_every_other_cell(self, tmp_path, monkeypatch):
        monkeypatch.setenv(SMOKE_TEST_ENV, "1")
        _check_student_version(self.path, tmp_path)


for _path in NOTEBOOKS:
    _name = "TestStudentVersion_" + _path.stem
    globals()[_name] = needs_nbgrader(pytest.mark.slow(
        type(_name, (_StudentVersion,), {"path": _path, "__doc__": _StudentVersion.__doc__})))
del _path, _name


# ---------------------------------------------------------------------------------------
# The round trip: release -> submit -> autograde -> grades.csv -> feedback
# ---------------------------------------------------------------------------------------


def _forgot_return(nb, solution_id: str):
    """The source notebook with one classic mistake: the solution computes its result
    but forgets to ``return`` it (every other exercise keeps its correct solution)."""
    nb = copy.deepcopy(nb)
    [cell] = [c for c in nb.cells if _meta(c).get("grade_id") == solution_id]
    lines, inside = [], False
    for line in cell.source.split("\n"):
        inside = (inside or "BEGIN SOLUTION" in line) and "END SOLUTION" not in line
        stripped = line.lstrip()
        if inside and stripped.startswith("return "):
            line = line[: len(line) - len(stripped)] + stripped.removeprefix("return ")
        lines.append(line)
    assert lines != cell.source.split("\n"), "the solution has no return to forget"
    cell.source = "\n".join(lines)
    return nb


def _submit(course: Path, student: str, assignment: str, nb=None, raw=None, name=None):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or f"{assignment}.ipynb")
    if nb is not None:
        nbformat.write(nb, target)
    else:
        target.write_bytes(raw)


def _broken_submissions(course: Path, assignment: str, released: Path):
    """Tampered, deleted, corrupt, binary, missing and misfiled submissions."""
    tampered = _read(released)  # the blank release, as a student got it
    first_test = next(c for c in tampered.cells if _is_test(c))
    first_test.source = 'print("ok")  # my own, easier test'
    last_test = [c for c in tampered.cells if _is_test(c)][-1]
    tampered.cells.remove(last_test)
    _submit(course, "dave", assignment, tampered)
    _submit(course, "eve", assignment, raw=FIXTURE.read_bytes()[:300])
    _submit(course, "frank", assignment, raw=b"%PDF-1.4\n" + bytes(range(256)))
    _submit(course, "grace", assignment, raw=b"print('my answers')", name="answers.py")
    _submit(course, "heidi", "99_no_such_chapter", _read(released))


@pytest.fixture(scope="module", params=ROUND_TRIP, ids=lambda p: p.stem)
def graded(request, tmp_path_factory):
    """A course directory after one full round trip.

    alice submits the source notebook (the solutions), bob the student version (blank),
    carol the solutions with a forgotten ``return`` in the first exercise (the place
    where a later exercise silently relying on an earlier one would show). The fixture
    notebook also gets the broken submissions and goes through the ``course`` command;
    chapter 00 goes through the Python API.
    """
    if not HAVE_NBGRADER:
        pytest.skip("needs the grading extra")
    path = request.param
    course = tmp_path_factory.mktemp(f"course_{path.stem}")
    nb = _read(path)
    assignment = path.stem
    first_exercise = next(iter(_exercises(nb)))
    output = io.StringIO()
    # the grades depend on the exercises, not on how long the chapter's networks train
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SMOKE_TEST_ENV, "1")
        return _round_trip(path, course, nb, assignment, first_exercise, output)


def _round_trip(path, course, nb, assignment, first_exercise, output):
    with contextlib.redirect_stdout(output):
        if path == FIXTURE:
            assert main(["grade", "release", str(course), str(path)]) == 0
        else:
            release(course, [str(path)])
    released = course / "release" / assignment / f"{assignment}.ipynb"
    _submit(course, "alice", assignment, nb)
    _submit(course, "bob", assignment, student_version(nb))
    _submit(course, "carol", assignment, _forgot_return(nb, first_exercise))
    with contextlib.redirect_stdout(output):
        if path == FIXTURE:
            _broken_submissions(course, assignment, released)
            code = main(["grade", "autograde", str(course)])
            report = GradingReport(read_results(course), course / "grades.csv")
        else:
            report = autograde(course)
            code = None
    return {"path": path, "nb": nb, "course": course, "assignment": assignment,
            "report": report, "code": code, "output": output.getvalue(),
            "first_exercise": first_exercise}


def _scores(graded, student):
    result = graded["report"].result(student, graded["assignment"])
    return {cell.grade_id: cell for cell in result.cells}, result


@pytest.mark.slow
class TestRoundTrip:
    """Its own xdist scope; the tests share one graded course directory per notebook."""

    def test_solutions_get_every_autograded_point(self, graded):
        cells, result = _scores(graded, "alice")
        points = grade_cells(graded["nb"])
        assert set(cells) == set(points)
        for grade_id, cell in cells.items():
            assert cell.max_score == points[grade_id]
            if cell.needs_manual_grade:  # the written answers: a human gives their points
                assert cell.score == 0
            else:
                assert cell.score == cell.max_score, f"{grade_id} lost points on the solution"
        assert result.pending > 0 and result.score == result.max_score - result.pending

    def test_blank_submission_scores_zero(self, graded):
        cells, result = _scores(graded, "bob")
        assert result.score == 0 and result.pending == 0
        assert result.max_score == sum(grade_cells(graded["nb"]).values())

    def test_wrong_answer_loses_exactly_that_exercise(self, graded):
        right, _ = _scores(graded, "alice")
        wrong, result = _scores(graded, "carol")
        lost = {grade_id for grade_id in right if wrong[grade_id].score < right[grade_id].score}
        exercise = set(_exercises(graded["nb"])[graded["first_exercise"]])
        assert not lost - exercise, (
            f"other exercises lost points too: {sorted(lost - exercise)}; does a test cell use a "
            f"variable that a test cell of {graded['first_exercise']} defines after its checks?")
        assert lost == exercise, f"the wrong answer passed {sorted(exercise - lost)}"
        assert all(wrong[grade_id].score == 0 for grade_id in lost)

    def test_grades_csv_and_feedback(self, graded):
        course, assignment = graded["course"], graded["assignment"]
        rows = (course / "grades.csv").read_text().splitlines()
        assert rows[0].split(",")[-3:] == ["late_submission_penalty", "score", "max_score"]
        scores = {row.split(",")[3]: float(row.split(",")[-2]) for row in rows[1:]}
        graded_students = {r.student: r.score for r in graded["report"].results if r.error is None}
        assert scores == graded_students
        for student in graded_students:
            html = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
            assert f"Score: {graded_students[student]:.1f}" in html

    def test_summary_lists_every_student(self, graded):
        summary = graded["output"] or format_summary(graded["report"])
        rows = {line.split()[0]: line for line in summary.splitlines()}
        for student in ("alice", "bob", "carol"):
            result = graded["report"].result(student, graded["assignment"])
            star = " *" if result.pending else ""
            assert f" {result.score:g} / {result.max_score:g}{star}" in rows[student]
        assert rows["alice"].endswith("*") and not rows["bob"].endswith("*")

    def test_release_is_the_student_version_locked(self, graded):
        if graded["path"] != FIXTURE:
            pytest.skip("checked on the fixture")
        release_nb = _read(graded["course"] / "release" / graded["assignment"] /
                           f"{graded['assignment']}.ipynb")
        assert "exercise_mini" in graded["output"]
        assert "6 points in 4 graded cells" in graded["output"]
        ours = student_version(graded["nb"])
        assert [c.source for c in release_nb.cells] == [c.source for c in ours.cells]
        for cell in release_nb.cells:
            assert "source_hidden" not in cell.metadata.get("jupyter", {})
            if _meta(cell).get("locked"):
                assert cell.metadata.get("editable") is False

    def test_broken_submissions_are_reported_and_the_others_graded(self, graded):
        if graded["path"] != FIXTURE:
            pytest.skip("checked on the fixture")
        assert graded["code"] == 1  # `course grade autograde` signals the errors
        output = graded["output"]
        for student, reason in [("eve", "corrupt notebook: invalid JSON"),
                                ("frank", "not a notebook: a binary file"),
                                ("grace", "missing: no exercise_mini.ipynb"),
                                ("heidi", "unknown assignment '99_no_such_chapter'")]:
            assert any(line.startswith(f"error: {student}/") and reason in line
                       for line in output.splitlines()), (student, output)
        graded_students = {r.student for r in graded["report"].results}
        assert graded_students == {"alice", "bob", "carol", "dave"}

    def test_edited_and_deleted_tests_are_graded_as_released(self, graded):
        if graded["path"] != FIXTURE:
            pytest.skip("checked on the fixture")
        cells, result = _scores(graded, "dave")
        assert result.score == 0  # the edited test would pass; the original one fails
        assert set(cells) == set(grade_cells(graded["nb"]))
        autograded = _read(graded["course"] / "autograded" / "dave" / graded["assignment"] /
                           f"{graded['assignment']}.ipynb")
        source_tests = {_meta(c)["grade_id"]: c.source for c in graded["nb"].cells if _is_test(c)}
        run_tests = {_meta(c)["grade_id"]: c for c in autograded.cells if _is_test(c)}
        assert set(run_tests) == set(source_tests)
        for grade_id, cell in run_tests.items():
            assert cell.source.endswith(source_tests[grade_id]), grade_id  # hidden tests back
            assert any(o.output_type == "error" for o in cell.outputs), grade_id

    def test_manual_grade_of_the_written_answer_completes_full_marks(self, graded, capsys):
        """Last in the class: it changes the gradebook the tests above read."""
        from nbgrader.api import Gradebook

        course, assignment = graded["course"], graded["assignment"]
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", DEFAULT_COURSE_ID) as gradebook:
            submission = gradebook.find_submission(assignment, "alice")
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.needs_manual_grade:
                        grade.manual_score = grade.max_score  # as the formgrader does
                        grade.needs_manual_grade = False
            gradebook.db.commit()
        assert main(["grade", "export", str(course)]) == 0
        alice = next(r for r in read_results(course) if (r.student, r.assignment) == ("alice",
                                                                                     assignment))
        assert alice.score == alice.max_score and alice.pending == 0
        rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
        assert rows["alice"].endswith(f" {alice.max_score:g} / {alice.max_score:g}")
        html = (course / "feedback" / "alice" / assignment / f"{assignment}.html").read_text()
        assert f"Score: {alice.max_score:.1f} / {alice.max_score:.1f}" in html
