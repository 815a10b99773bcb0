"""Graded exercises: the student versions and the graders' nbgrader workflow.

Every chapter ends with exercises written as nbgrader cells (metadata schema v3): a
solution cell whose answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
then locked test cells with points whose ``### BEGIN HIDDEN TESTS`` part the learner does
not see. This module turns the chapters into what learners and graders need:

``student_version`` / ``write_student_versions`` (``course student OUT``)
    the exercise versions: each solution replaced by nbgrader's stub (``# YOUR CODE
    HERE`` + ``raise NotImplementedError()``; ``YOUR ANSWER HERE`` for written answers),
    hidden tests removed, outputs cleared, metadata kept, solution cells expanded. It is
    the same transformation as nbgrader's ``ClearSolutions``, ``ClearHiddenTests`` and
    ``ClearOutput`` preprocessors (the tests use them as the oracle), written here so that
    learners do not need nbgrader installed.
``release`` / ``autograde`` / ``export`` (``course grade ...``)
    the graders' workflow, headless, through nbgrader's Python API (the ``grading``
    extra): a course directory with one assignment per chapter, ``generate_assignment``,
    ``autograde`` of every ``submitted/<student>/<assignment>/<notebook>.ipynb`` (a
    corrupt file is reported for its student and the others are still graded; locked
    test cells are restored from the gradebook, so an edited test does not count),
    ``grades.csv`` and feedback HTML.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course_utils.notebooks import is_solution_cell, is_speaker_notes, notebook_paths

__all__ = [
    "CODE_STUB",
    "TEXT_STUB",
    "DEFAULT_COURSE_ID",
    "DEFAULT_TIMEOUT",
    "CellScore",
    "SubmissionResult",
    "GradingReport",
    "GradingError",
    "has_exercises",
    "grade_cells",
    "student_version",
    "write_student_versions",
    "prepare_course",
    "release",
    "check_submission",
    "autograde",
    "export",
    "read_results",
    "format_summary",
    "register_cli",
]

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
DEFAULT_COURSE_ID = "train-deep-networks-well"
DEFAULT_TIMEOUT = 300
_BEGIN_SOLUTION, _END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
_BEGIN_HIDDEN, _END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
_OUTPUT_METADATA = ("collapsed", "scrolled")
_GRADING_EXTRA = "course grade needs nbgrader: pip install -e '.[grading]'"

_CONFIG_TEMPLATE = '''\
"""nbgrader configuration of this course directory (written by `course grade release`).

Run nbgrader commands from this folder: the gradebook path below is relative to it.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Seconds allowed per cell: nbgrader's default of 30 s is too short for training cells.
c.Execute.timeout = {timeout}
# A test cell a student deleted is put back (and graded) rather than silently skipped.
c.OverwriteCells.add_missing_cells = True
'''


class GradingError(RuntimeError):
    """An nbgrader step failed for the whole course (not for one student's submission)."""


# ---------------------------------------------------------------------------------------
# Reading the exercise cells
# ---------------------------------------------------------------------------------------


def _nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_cells(nb: NotebookNode) -> dict[str, float]:
    """Points of every graded cell (test cells and written answers), by ``grade_id``.

    Examples:
        >>> points = grade_cells(nbformat.read("notebooks/00_introduction.ipynb", 4))
        >>> points["intro_ex1_values"]
        2.0
    """
    return {
        meta["grade_id"]: float(meta.get("points", 0))
        for meta in map(_nbgrader_meta, nb.cells)
        if meta.get("grade", False)
    }


def has_exercises(nb: NotebookNode) -> bool:
    """True when the notebook has at least one graded nbgrader cell."""
    return bool(grade_cells(nb))


# ---------------------------------------------------------------------------------------
# The student version (nbgrader's ClearSolutions + ClearHiddenTests + ClearOutput)
# ---------------------------------------------------------------------------------------


def _replace_region(
    lines: list[str], begin: str, end: str, stub: list[str], where: str
) -> tuple[list[str], bool]:
    """Replace each ``begin``...``end`` region (marker lines included) by ``stub``.

    The stub is indented like the ``begin`` line; ``stub=[]`` removes the region.
    """
    kept: list[str] = []
    inside = found = False
    for line in lines:
        if begin in line:
            if inside:
                raise ValueError(f"{where}: nested '{begin}' markers; close the first region")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            kept.extend(indent + stub_line for stub_line in stub)
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError(f"{where}: '{begin}' without a matching '{end}'")
    return kept, found


def _clear_solution(cell: NotebookNode, where: str) -> None:
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    lines, found = _replace_region(
        cell.source.split("\n"), _BEGIN_SOLUTION, _END_SOLUTION, stub.split("\n"), where
    )
    if found and not is_solution_cell(cell):
        raise ValueError(
            f"{where}: a '{_BEGIN_SOLUTION}' region must be in a solution cell "
            "(nbgrader metadata solution: true), but this cell is not one"
        )
    if is_solution_cell(cell) and not found:
        lines = stub.split("\n")
    cell.source = "\n".join(lines)


def _clear_hidden_tests(cell: NotebookNode, where: str) -> None:
    lines, found = _replace_region(cell.source.split("\n"), _BEGIN_HIDDEN, _END_HIDDEN, [], where)
    if found and not _nbgrader_meta(cell).get("grade", False):
        raise ValueError(
            f"{where}: a '{_BEGIN_HIDDEN}' region must be in a graded test cell "
            "(nbgrader metadata grade: true), but this cell is not one"
        )
    cell.source = "\n".join(lines)


def _clear_output(cell: NotebookNode) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        for key in _OUTPUT_METADATA:
            cell.metadata.pop(key, None)


def _expand(cell: NotebookNode) -> None:
    """Show a solution cell's source (``normalize`` stores solutions collapsed)."""
    jupyter = cell.metadata.get("jupyter")
    if is_solution_cell(cell) and jupyter is not None:
        jupyter.pop("source_hidden", None)
        if not jupyter:
            del cell.metadata["jupyter"]


def student_version(nb: NotebookNode) -> NotebookNode:
    """The exercise version of a chapter notebook (a new notebook; ``nb`` is unchanged).

    In every solution cell the ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region
    becomes ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (indented like the
    marker) or, in a written answer, ``YOUR ANSWER HERE``; a solution cell without
    markers is replaced whole. ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``
    regions are removed. Outputs and execution counts are cleared; metadata is kept,
    except that solution cells are expanded (the chapter stores them collapsed). This is
    exactly what nbgrader's ``ClearSolutions``, ``ClearHiddenTests`` and ``ClearOutput``
    preprocessors do, followed by the expansion, on the chapter without its speaker-notes
    cells (the lecturer's, see :func:`course_utils.notebooks.is_speaker_notes`), which
    the released assignments leave out too.

    Args:
        nb: a notebook as read by ``nbformat.read(path, as_version=4)``.

    Returns:
        The student version.

    Raises:
        ValueError: the kernel language is not Python; a marker region is nested or not
            closed; a solution region outside a solution cell, or a hidden-test region
            outside a graded cell (nbgrader refuses these too).

    Examples:
        >>> nb = nbformat.read("notebooks/00_introduction.ipynb", as_version=4)
        >>> student = student_version(nb)
        >>> any("raise NotImplementedError()" in cell.source for cell in student.cells)
        True
    """
    language = nb.get("metadata", {}).get("kernelspec", {}).get("language", "python")
    if language != "python":
        raise ValueError(f"the notebook's kernel language must be python, but got {language!r}")
    student = copy.deepcopy(nb)
    student.metadata.pop("celltoolbar", None)
    student.cells = [cell for cell in student.cells if not is_speaker_notes(cell)]
    for index, cell in enumerate(student.cells):
        where = f"cell {index} ({cell.get('id', 'no id')})"
        _clear_solution(cell, where)
        _clear_output(cell)
        _clear_hidden_tests(cell, where)
        _expand(cell)
    return student


def write_student_versions(
    out_dir: str | Path, names: Sequence[str] | None = None
) -> list[Path]:
    """Write the student version of every chapter (or the named ones) into ``out_dir``.

    Args:
        out_dir: destination folder (created if needed); files keep their names.
        names: chapters as ``course_utils.notebooks.notebook_paths`` understands them
            (``"01"``, a file name or a path); None means all.

    Returns:
        The paths written, in course order.

    Raises:
        ValueError: a name matches no notebook, or see :func:`student_version`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebook_paths(names):
        target = out_dir / path.name
        nbformat.write(student_version(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


# ---------------------------------------------------------------------------------------
# The graders' workflow (nbgrader, in the optional ``grading`` extra)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellScore:
    """The grade of one graded cell of one submission."""

    grade_id: str
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass(frozen=True)
class SubmissionResult:
    """One student's result on one assignment; ``error`` is set when it was not graded."""

    student: str
    assignment: str
    score: float | None = None
    max_score: float = 0.0
    cells: tuple[CellScore, ...] = ()
    error: str | None = None

    @property
    def pending(self) -> float:
        """Points of answers that wait for a manual grade (written answers)."""
        return sum(cell.max_score for cell in self.cells if cell.needs_manual_grade)

    def cell(self, grade_id: str) -> CellScore:
        """The score of the graded cell ``grade_id``.

        Raises:
            KeyError: no such cell in this submission.
        """
        for cell in self.cells:
            if cell.grade_id == grade_id:
                return cell
        raise KeyError(f"no graded cell {grade_id!r} in {self.student}/{self.assignment}")


@dataclass
class GradingReport:
    """What ``autograde`` or ``export`` did: results, ``grades.csv`` and feedback files."""

    results: list[SubmissionResult]
    grades_csv: Path
    feedback: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[SubmissionResult]:
        """The submissions that could not be graded."""
        return [result for result in self.results if result.error is not None]

    def result(self, student: str, assignment: str) -> SubmissionResult:
        """The result of ``student`` on ``assignment``.

        Raises:
            KeyError: no submission of that student for that assignment.
        """
        for result in self.results:
            if (result.student, result.assignment) == (student, assignment):
                return result
        raise KeyError(f"no submission of {student!r} for {assignment!r}")


@contextlib.contextmanager
def _nbgrader_session() -> Iterator[None]:
    """Environment nbgrader needs, restored afterwards.

    nbgrader runs the ``alembic`` executable through PATH when it creates a gradebook, so
    the running interpreter's ``bin`` folder goes first on PATH (a virtual environment's
    commands are not on PATH unless it is activated). SQLAlchemy warnings that nbgrader
    0.9.6 triggers are silenced.
    """
    try:
        import nbgrader  # noqa: F401
        from sqlalchemy.exc import SAWarning
    except ImportError as error:
        raise ImportError(_GRADING_EXTRA) from error
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            # nbgrader adds a deleted test cell back without a cell id
            warnings.filterwarnings("ignore", message="Cell is missing an id field")
            yield
    finally:
        os.environ["PATH"] = old_path


def _load_config(course_dir: Path):
    """nbgrader's configuration for ``course_dir``, with absolute root and gradebook."""
    from traitlets.config.loader import PyFileConfigLoader

    config_file = course_dir / "nbgrader_config.py"
    if not config_file.is_file():
        raise ValueError(
            f"course_dir must contain nbgrader_config.py (run `course grade release` first), "
            f"but {course_dir} has none"
        )
    config = PyFileConfigLoader(config_file.name, path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir)
    db_url = config.CourseDirectory.get("db_url", "sqlite:///gradebook.db")
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        db_url = f"sqlite:///{course_dir / db_url.removeprefix('sqlite:///')}"
    config.CourseDirectory.db_url = db_url
    return config


def _run_app(app_class, config, **attributes) -> dict:
    """Run one nbgrader converter with ``attributes`` on its course directory."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    coursedir = CourseDirectory(config=config)
    for name in ("assignment_id", "student_id"):
        if name in attributes:
            setattr(coursedir, name, attributes.pop(name))
    app = app_class(coursedir=coursedir, config=config)
    for name, value in attributes.items():
        setattr(app, name, value)
    return capture_log(app)


def _last_error(result: dict) -> str:
    """The most telling line of a failed nbgrader run: its last exception line."""
    text = "\n".join([result.get("log", ""), result.get("error", "")])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    exceptions = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit): ", line)
                  and "Please see the" not in line]
    errors = [line for line in lines if line.startswith("[ERROR]")]
    return (exceptions or errors or lines or ["unknown error"])[-1]


def _course_id(config) -> str:
    return config.CourseDirectory.get("course_id", DEFAULT_COURSE_ID)


def prepare_course(
    course_dir: str | Path,
    names: Sequence[str] | None = None,
    *,
    course_id: str = DEFAULT_COURSE_ID,
    timeout: int = DEFAULT_TIMEOUT,
) -> list[str]:
    """Lay out an nbgrader course directory with one assignment per chapter.

    Writes ``nbgrader_config.py`` (unless one exists: a grader's edits are kept) and
    ``source/<stem>/<stem>.ipynb`` for each chapter with exercises, solution cells
    expanded, outputs cleared and speaker notes left out; the assignment is named after
    the notebook's stem.

    Args:
        course_dir: the course directory (created if needed).
        names: chapters as ``notebook_paths`` understands them; None means all.
        course_id: nbgrader's course id, for a new configuration.
        timeout: seconds allowed per cell when nbgrader executes a notebook.

    Returns:
        The assignment ids, in course order.

    Raises:
        ValueError: ``timeout`` not positive, an empty ``course_id``, a name matching no
            notebook, or no chapter with exercises among those named.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, but got {timeout}")
    if not course_id:
        raise ValueError("course_id must be a non-empty string, but got ''")
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    config_file = course_dir / "nbgrader_config.py"
    if not config_file.exists():
        config_file.write_text(_CONFIG_TEMPLATE.format(course_id=course_id, timeout=timeout))
    assignments = []
    for path in notebook_paths(names):
        nb = nbformat.read(path, as_version=4)
        if not has_exercises(nb):
            continue
        nb.cells = [cell for cell in nb.cells if not is_speaker_notes(cell)]
        for cell in nb.cells:
            _clear_output(cell)
            _expand(cell)
        target = course_dir / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        assignments.append(path.stem)
    if not assignments:
        raise ValueError(f"names must include a chapter with exercises, but got {names}")
    return assignments


def release(
    course_dir: str | Path,
    names: Sequence[str] | None = None,
    *,
    course_id: str = DEFAULT_COURSE_ID,
    timeout: int = DEFAULT_TIMEOUT,
) -> dict[str, Path]:
    """Prepare the course directory and release the assignments (``generate_assignment``).

    The released notebooks, ``release/<assignment>/<notebook>.ipynb``, are what students
    get: solutions stubbed, hidden tests removed, test cells locked (and checksummed, so
    ``nbgrader validate`` notices edits). The gradebook records each graded cell.

    Args:
        course_dir, names, course_id, timeout: as in :func:`prepare_course`.

    Returns:
        ``{assignment: released notebook}`` in course order.

    Raises:
        ValueError: as in :func:`prepare_course`.
        GradingError: nbgrader refused an assignment (its error line is in the message).
        ImportError: nbgrader is not installed (the ``grading`` extra).
    """
    assignments = prepare_course(course_dir, names, course_id=course_id, timeout=timeout)
    course_dir = Path(course_dir).resolve()
    with _nbgrader_session():
        from nbgrader.converters import GenerateAssignment

        config = _load_config(course_dir)
        for assignment in assignments:
            result = _run_app(GenerateAssignment, config, assignment_id=assignment,
                              force=True, create_assignment=True)
            if not result["success"]:
                raise GradingError(f"generate_assignment {assignment}: {_last_error(result)}")
    return {a: course_dir / "release" / a / f"{a}.ipynb" for a in assignments}


def check_submission(path: str | Path) -> str | None:
    """Why the file at ``path`` cannot be graded as a notebook, or None when it can.

    Examples:
        >>> check_submission("notebooks/00_introduction.ipynb") is None
        True
    """
    path = Path(path)
    if not path.is_file():
        return f"missing: no {path.name} in the folder, which holds {_listing(path.parent)}"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return "not a notebook: a binary file (a PDF, an image or an archive?), not JSON text"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return (f"corrupt notebook: invalid JSON at line {error.lineno}, column {error.colno} "
                f"({error.msg}); truncated or edited outside Jupyter?")
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        return "not a notebook: JSON without the 'cells' and 'nbformat' keys"
    try:
        nbformat.validate(nbformat.reads(text, as_version=4))
    except Exception as error:  # noqa: BLE001 (any failure means: not gradable)
        return f"invalid notebook: {str(error).splitlines()[0]}"
    return None


def _listing(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return ", ".join(names) or "nothing"


def _submissions(course_dir: Path, assignments: Sequence[str]) -> list[tuple[str, str]]:
    """``(student, assignment)`` for every submitted folder, sorted."""
    submitted = course_dir / "submitted"
    found = []
    for student_dir in sorted(submitted.iterdir()) if submitted.is_dir() else []:
        if not student_dir.is_dir() or student_dir.name.startswith("."):
            continue
        for assignment_dir in sorted(student_dir.iterdir()):
            if assignment_dir.is_dir() and not assignment_dir.name.startswith("."):
                found.append((student_dir.name, assignment_dir.name))
    return [pair for pair in found if not assignments or pair[1] in assignments]


def _released_assignments(config) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(config.CourseDirectory.db_url, _course_id(config)) as gradebook:
        return sorted(assignment.name for assignment in gradebook.assignments)


def _grade_one(config, student: str, assignment: str, released: Sequence[str]) -> str | None:
    """Autograde one submission; return why it failed, or None."""
    from nbgrader.converters import Autograde

    if assignment not in released:
        return f"unknown assignment {assignment!r} (released: {', '.join(released) or 'none'})"
    notebook = Path(config.CourseDirectory.root) / "submitted" / student / assignment
    problem = check_submission(notebook / f"{assignment}.ipynb")
    if problem is not None:
        return problem
    result = _run_app(Autograde, config, assignment_id=assignment, student_id=student,
                      force=True, create_student=True)
    return None if result["success"] else f"autograde failed: {_last_error(result)}"


def autograde(
    course_dir: str | Path,
    assignments: Sequence[str] | None = None,
    *,
    feedback: bool = True,
) -> GradingReport:
    """Autograde every submission, then write ``grades.csv`` and the feedback HTML.

    Each ``submitted/<student>/<assignment>/<assignment>.ipynb`` is graded on its own: a
    missing, corrupt or non-notebook file becomes an ``error`` in that student's result
    and the others are still graded. nbgrader restores locked and test cells from the
    gradebook before executing, so a student who edited a test is graded with the
    original one (and one who deleted a test cell gets it back). Written answers keep
    ``needs_manual_grade`` until a grader scores them (nbgrader's formgrader), then
    :func:`export` refreshes ``grades.csv`` and the feedback.

    Args:
        course_dir: a course directory made by :func:`release`.
        assignments: grade only these; None means every submitted assignment.
        feedback: also write ``feedback/<student>/<assignment>/<notebook>.html``.

    Returns:
        The report: one result per submitted folder, ``grades.csv``, feedback files.

    Raises:
        ValueError: no ``nbgrader_config.py`` in ``course_dir``.
        ImportError: nbgrader is not installed (the ``grading`` extra).
    """
    course_dir = Path(course_dir).resolve()
    with _nbgrader_session():
        config = _load_config(course_dir)
        released = _released_assignments(config)
        errors = {
            (student, assignment): _grade_one(config, student, assignment, released)
            for student, assignment in _submissions(course_dir, assignments or [])
        }
    report = export(course_dir, feedback=feedback)
    failed = {pair: error for pair, error in errors.items() if error is not None}
    report.results = [r for r in report.results if (r.student, r.assignment) not in failed]
    report.results += [SubmissionResult(*pair, error=error) for pair, error in failed.items()]
    report.results.sort(key=lambda r: (r.student, r.assignment))
    return report


def read_results(course_dir: str | Path) -> list[SubmissionResult]:
    """Every graded submission in the gradebook, with the score of each graded cell.

    Raises:
        ValueError: no ``nbgrader_config.py`` in ``course_dir``.
        ImportError: nbgrader is not installed (the ``grading`` extra).
    """
    course_dir = Path(course_dir).resolve()
    with _nbgrader_session():
        from nbgrader.api import Gradebook

        config = _load_config(course_dir)
        results = []
        with Gradebook(config.CourseDirectory.db_url, _course_id(config)) as gradebook:
            for assignment in gradebook.assignments:
                for submission in assignment.submissions:
                    cells = tuple(
                        CellScore(grade.name, float(grade.score), float(grade.max_score),
                                  bool(grade.needs_manual_grade))
                        for notebook in submission.notebooks
                        for grade in notebook.grades
                    )
                    results.append(SubmissionResult(
                        submission.student.id, assignment.name, float(submission.score),
                        float(submission.max_score), cells))
    return sorted(results, key=lambda r: (r.student, r.assignment))


def export(course_dir: str | Path, *, feedback: bool = True) -> GradingReport:
    """Write ``grades.csv`` (nbgrader's CSV export) and, optionally, the feedback HTML.

    Run it again after grading the written answers by hand.

    Raises:
        ValueError: no ``nbgrader_config.py`` in ``course_dir``.
        GradingError: nbgrader could not generate the feedback.
        ImportError: nbgrader is not installed (the ``grading`` extra).
    """
    course_dir = Path(course_dir).resolve()
    grades_csv = course_dir / "grades.csv"
    with _nbgrader_session():
        from nbgrader.api import Gradebook
        from nbgrader.converters import GenerateFeedback
        from nbgrader.plugins import CsvExportPlugin

        config = _load_config(course_dir)
        with Gradebook(config.CourseDirectory.db_url, _course_id(config)) as gradebook:
            CsvExportPlugin(to=str(grades_csv), config=config).export(gradebook)
        if feedback and (course_dir / "autograded").is_dir():
            for assignment in _released_assignments(config):
                result = _run_app(GenerateFeedback, config, assignment_id=assignment,
                                  student_id="*", force=True)
                if not result["success"]:
                    raise GradingError(f"generate_feedback {assignment}: {_last_error(result)}")
    report = GradingReport(read_results(course_dir), grades_csv)
    report.feedback = sorted((course_dir / "feedback").glob("*/*/*.html"))
    return report


def _points(value: float) -> str:
    return f"{value:g}"


def format_summary(report: GradingReport) -> str:
    """A plain-text table of points per student (rows) and assignment (columns).

    A ``*`` marks a score with written answers still to be graded by hand.
    """
    students = sorted({r.student for r in report.results})
    assignments = sorted({r.assignment for r in report.results})
    cells = {}
    for r in report.results:
        if r.error is not None:
            cells[r.student, r.assignment] = "error"
        else:
            star = " *" if r.pending else ""
            cells[r.student, r.assignment] = f"{_points(r.score)} / {_points(r.max_score)}{star}"
    rows = [["student", *assignments]]
    rows += [[s, *(cells.get((s, a), "-") for a in assignments)] for s in students]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    if any(r.pending for r in report.results):
        lines.append("* written answers await a manual grade (nbgrader formgrader), "
                     "then run `course grade export`")
    lines.extend(f"error: {r.student}/{r.assignment}: {r.error}" for r in report.errors)
    lines.append(f"grades: {report.grades_csv}")
    if report.feedback:
        lines.append(f"feedback: {len(report.feedback)} HTML file(s) under "
                     f"{report.grades_csv.parent / 'feedback'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The ``course student`` and ``course grade`` commands
# ---------------------------------------------------------------------------------------


def _cmd_student(args: argparse.Namespace) -> int:
    for path in write_student_versions(args.out, args.notebooks):
        print(path)
    return 0


def _grading_command(function):
    """Run a ``course grade`` step; report a missing extra or a failed step in one line."""

    def run(args: argparse.Namespace) -> int:
        try:
            return function(args)
        except ImportError as error:
            print(f"course: error: {error}", file=sys.stderr)
            return 2
        except GradingError as error:
            print(f"course: nbgrader failed: {error}", file=sys.stderr)
            return 1

    return run


def _cmd_release(args: argparse.Namespace) -> int:
    released = release(args.course_dir, args.notebooks, course_id=args.course_id,
                       timeout=args.timeout)
    for assignment, path in released.items():
        points = grade_cells(nbformat.read(path, as_version=4))
        print(f"{assignment:<32} {_points(sum(points.values())):>4} points "
              f"in {len(points)} graded cells -> {path}")
    return 0


def _no_submissions_message(course_dir: Path, assignments: Sequence[str]) -> str | None:
    """What to tell a grader whose course directory has nothing to grade (None if it has)."""
    if not (course_dir / "nbgrader_config.py").is_file() or _submissions(course_dir, assignments):
        return None  # not a course directory (autograde says so), or something to grade
    which = f" of {', '.join(assignments)}" if assignments else ""
    return (f"no submissions{which} to grade in {course_dir / 'submitted'}: put each student's "
            f"notebook at submitted/<student>/<assignment>/<assignment>.ipynb, where "
            f"<assignment> is a released one ({_listing(course_dir / 'release')}), then run "
            f"`course grade autograde {course_dir}` again")


def _cmd_autograde(args: argparse.Namespace) -> int:
    message = _no_submissions_message(Path(args.course_dir).resolve(), args.assignments or [])
    if message is not None:
        print(f"course: {message}", file=sys.stderr)
        return 1
    report = autograde(args.course_dir, args.assignments, feedback=not args.no_feedback)
    print(format_summary(report))
    return 1 if report.errors else 0


def _cmd_export(args: argparse.Namespace) -> int:
    print(format_summary(export(args.course_dir, feedback=not args.no_feedback)))
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course student`` and ``course grade {release,autograde,export}``."""
    student = subparsers.add_parser(
        "student", help="write the exercise versions (solutions stubbed, hidden tests out)")
    student.add_argument("out", type=Path, help="output folder")
    student.add_argument("notebooks", nargs="*", help="chapters (e.g. 01 or a path); default all")
    student.set_defaults(func=_cmd_student)

    grade = subparsers.add_parser(
        "grade", help="the nbgrader workflow: release, autograde, grades.csv, feedback")
    steps = grade.add_subparsers(dest="step", required=True)
    rel = steps.add_parser("release", help="make COURSE_DIR and release the assignments")
    rel.add_argument("course_dir", type=Path, help="nbgrader course directory (created)")
    rel.add_argument("notebooks", nargs="*", help="chapters (e.g. 00 or a path); default all")
    rel.add_argument("--course-id", default=DEFAULT_COURSE_ID, help="for a new nbgrader config")
    rel.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                     help="seconds per cell when grading, for a new nbgrader config")
    rel.set_defaults(func=_grading_command(_cmd_release))

    auto = steps.add_parser(
        "autograde", help="grade submitted/<student>/<assignment>/<assignment>.ipynb, "
                          "write grades.csv and feedback, print the scores",
        description="Autograde every submission, write grades.csv and feedback HTML, print "
                    "points per student and assignment. A submission that cannot be graded "
                    "is reported and the others are still graded; the exit status is then 1.")
    auto.add_argument("course_dir", type=Path, help="course directory made by release")
    auto.add_argument("assignments", nargs="*", help="assignment ids; default all submitted")
    auto.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    auto.set_defaults(func=_grading_command(_cmd_autograde))

    exp = steps.add_parser(
        "export", help="rewrite grades.csv and feedback (after manual grading)")
    exp.add_argument("course_dir", type=Path, help="course directory made by release")
    exp.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    exp.set_defaults(func=_grading_command(_cmd_export))
