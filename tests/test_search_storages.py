"""course_utils.search's package layout, storages and ``optimize`` signature, with Optuna as
the oracle: the same calls on both libraries must do the same thing."""

from __future__ import annotations

import gc
import inspect
import json

import optuna
import pytest

from course_utils import search

pytestmark = pytest.mark.search
optuna.logging.set_verbosity(optuna.logging.WARNING)

LIBRARIES = {"ours": search, "optuna": optuna}


def quadratic(trial):
    return (trial.suggest_float("x", -3, 3) - 1) ** 2


# ---------------------------------------------------------------------------------------
# The layout is Optuna's
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "samplers.RandomSampler", "samplers.GridSampler", "samplers.BaseSampler",
    "pruners.NopPruner", "pruners.SuccessiveHalvingPruner", "pruners.BasePruner",
    "storages.JournalStorage", "storages.RDBStorage", "storages.get_storage",
    "storages.journal.JournalFileBackend", "storages.journal.JournalStorage",
    "distributions.FloatDistribution", "distributions.IntDistribution",
    "distributions.CategoricalDistribution", "trial.Trial", "trial.FrozenTrial",
    "trial.TrialState", "study.Study", "study.StudyDirection", "study.create_study",
    "exceptions.TrialPruned", "exceptions.DuplicatedStudyError", "create_study", "load_study",
    "Study", "Trial", "TrialPruned",
])
def test_every_optuna_path_the_chapter_uses_exists_here(name):
    ours, theirs = search, optuna
    for part in name.split("."):
        ours, theirs = getattr(ours, part), getattr(theirs, part)
    assert ours.__name__ == theirs.__name__


def test_our_exceptions_are_optunas():
    assert issubclass(search.exceptions.TrialPruned, optuna.exceptions.TrialPruned)
    assert issubclass(search.exceptions.DuplicatedStudyError,
                      optuna.exceptions.DuplicatedStudyError)


@pytest.mark.parametrize("module", ["distributions", "trial", "samplers", "pruners", "storages",
                                    "study", "exceptions", "stopping", "validation", "dlfs", "recipes",
                                    "worker"])
def test_every_module_opens_with_a_docstring(module):
    assert len(getattr(search, module).__doc__ or "") > 80


def test_optimize_and_create_study_take_optunas_arguments():
    def parameters(function):
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    assert parameters(search.Study.optimize) == parameters(optuna.Study.optimize)
    theirs = [p for p in parameters(optuna.create_study) if p[0] != "directions"]
    assert parameters(search.create_study) == theirs
    assert parameters(search.load_study) == parameters(optuna.load_study)
    assert (parameters(search.samplers.BaseSampler.after_trial)
            == parameters(optuna.samplers.BaseSampler.after_trial))


def test_n_jobs_other_than_one_is_refused_with_a_remedy():
    study = search.create_study()
    with pytest.raises(NotImplementedError, match="n_jobs=2 is not supported.*train_configs"):
        study.optimize(quadratic, n_trials=2, n_jobs=2)
    assert study.trials == []


def test_gc_after_trial_collects_and_a_progress_bar_warns(monkeypatch):
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or 0)
    study = search.create_study()
    study.optimize(quadratic, 3, None, 1, (), None, True)  # Optuna's positional order
    assert len(collections) == 3
    with pytest.warns(UserWarning, match="show_progress_bar=True is ignored"):
        study.optimize(quadratic, n_trials=1, show_progress_bar=True)
    assert len(study.trials) == 4


def test_timeout_and_catch_in_optunas_positions():
    def failing(trial):
        raise ArithmeticError("diverged")

    for library in LIBRARIES.values():
        study = library.create_study()
        study.optimize(failing, 2, None, 1, (ArithmeticError,))
        assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]


# ---------------------------------------------------------------------------------------
# Journal storage: Optuna's spelling, the course's JSON-lines file
# ---------------------------------------------------------------------------------------


def journal(library, path):
    return library.storages.JournalStorage(library.storages.journal.JournalFileBackend(str(path)))


@pytest.mark.parametrize("library", LIBRARIES.values(), ids=LIBRARIES)
def test_a_journal_study_resumes_where_it_stopped(library, tmp_path):
    path = tmp_path / "runs.log"
    first = library.create_study(study_name="s", storage=journal(library, path))
    first.optimize(quadratic, n_trials=3)
    finished = [t.params for t in first.trials]  # Optuna's `first.trials` reads the storage
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        library.create_study(study_name="s", storage=journal(library, path))
    resumed = library.create_study(study_name="s", storage=journal(library, path),
                                   load_if_exists=True)
    resumed.optimize(quadratic, n_trials=2)
    assert [t.number for t in resumed.trials] == [0, 1, 2, 3, 4]
    assert [t.params for t in resumed.trials[:3]] == finished
    loaded = library.load_study(study_name="s", storage=journal(library, path))
    assert len(loaded.trials) == 5 and loaded.best_value == resumed.best_value


def test_our_journal_is_the_json_lines_file_a_path_storage_writes(tmp_path):
    by_path, by_journal = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for storage in (by_path, journal(search, by_journal)):
        search.create_study(storage=storage, sampler=search.samplers.RandomSampler(seed=0)).optimize(
            quadratic, n_trials=3)
    assert by_path.read_text() == by_journal.read_text()
    header, *trials = [json.loads(line) for line in by_journal.read_text().splitlines()]
    assert header == {"kind": "study", "study_name": "study", "direction": "minimize"}
    assert [t["number"] for t in trials] == [0, 1, 2]


# ---------------------------------------------------------------------------------------
# A string storage is a database URL, as in Optuna
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES.values(), ids=LIBRARIES)
def test_an_sqlite_url_creates_resumes_and_keeps_studies_apart(library, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    first = library.create_study(study_name="a", storage=url, direction="maximize")
    first.optimize(quadratic, n_trials=3)
    finished = [t.params for t in first.trials]  # Optuna's `first.trials` reads the storage
    other = library.create_study(study_name="b", storage=url)
    other.optimize(quadratic, n_trials=1)
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        library.create_study(study_name="a", storage=url, direction="maximize")
    resumed = library.create_study(study_name="a", storage=url, direction="maximize",
                                   load_if_exists=True)
    resumed.optimize(quadratic, n_trials=2)
    assert [t.number for t in resumed.trials] == [0, 1, 2, 3, 4]
    assert [t.params for t in resumed.trials[:3]] == finished
    assert resumed.best_trial.value == max(t.value for t in resumed.trials)
    assert len(library.load_study(study_name="b", storage=url).trials) == 1
    assert library.load_study(study_name="a", storage=url).direction.name == "MAXIMIZE"


@pytest.mark.parametrize("library", LIBRARIES.values(), ids=LIBRARIES)
def test_a_study_without_a_name_is_a_new_study_in_a_database(library, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    library.create_study(storage=url).optimize(quadratic, n_trials=2)
    again = library.create_study(storage=url, load_if_exists=True)
    assert again.trials == [] and again.study_name.startswith("no-name-")


def test_an_sqlite_study_keeps_pruned_and_failed_trials_and_their_reports(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"

    def objective(trial):
        trial.report(0.5, step=1)
        trial.set_user_attr("note", [1, 2])
        if trial.number == 1:
            raise search.TrialPruned()
        if trial.number == 2:
            raise ValueError("diverged")
        return trial.suggest_int("n", 1, 4)

    search.create_study(study_name="s", storage=url).optimize(objective, n_trials=3,
                                                                catch=(ValueError,))
    loaded = search.load_study(study_name="s", storage=url)
    assert [t.state.name for t in loaded.trials] == ["COMPLETE", "PRUNED", "FAIL"]
    assert loaded.trials[1].value == 0.5 and loaded.trials[0].intermediate_values == {1: 0.5}
    assert loaded.trials[2].user_attrs == {"note": [1, 2]}


def test_a_missing_study_raises_key_error(tmp_path):
    with pytest.raises(KeyError, match="'nope'"):
        search.load_study(study_name="nope", storage=f"sqlite:///{tmp_path / 'runs.db'}")


def test_a_stored_direction_is_not_overwritten(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    search.create_study(study_name="s", storage=url, direction="maximize")
    with pytest.raises(ValueError, match="Cannot overwrite study direction"):
        search.create_study(study_name="s", storage=url, load_if_exists=True)


def test_an_optuna_database_is_not_read_as_ours(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(storage=url)
    with pytest.raises(ValueError, match="holds an Optuna database"):
        search.create_study(storage=url)


@pytest.mark.parametrize(("storage", "message"), [
    ("postgresql://user:pw@host/db", r"'postgresql://user:pw@host/db'.*not 'postgresql'.*Optuna"),
    ("mysql://host/db", r"'mysql://host/db'.*not 'mysql'.*Optuna"),
    ("runs.jsonl", r"'runs.jsonl' is read as a database URL.*JournalFileBackend"),
])
def test_unsupported_storage_strings_name_the_url(storage, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=message):
        search.create_study(storage=storage)
    assert list(tmp_path.iterdir()) == []


def test_optuna_also_reads_a_string_as_a_url(tmp_path, monkeypatch):
    """The reason a path string is refused: with Optuna it is not a file either."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception):  # noqa: B017 (SQLAlchemy's ArgumentError)
        optuna.create_study(storage="runs.jsonl")
