"""Chapter 06 at scale: two Optuna workers share one study on a real PostgreSQL server, one
is killed (SIGKILL) during a trial and restarted, and no finished trial is lost or repeated.

The server is Debian's ``postgresql`` (``initdb``, ``pg_ctl`` from
``/usr/lib/postgresql/<version>/bin``), started in a temporary directory for this module
only, reachable through a unix socket in that directory and nowhere else (no TCP port). It
runs as an unprivileged user: as root, as the ``postgres`` user through ``runuser``. Without
the server binaries or ``psycopg2`` the tests are skipped, saying what is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest

pytestmark = [pytest.mark.search, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]
psycopg2 = pytest.importorskip(
    "psycopg2", reason="psycopg2 is not installed (pip install psycopg2-binary, part of the "
                       "'test' extra): SQLAlchemy needs it for postgresql+psycopg2:// URLs")

from _postgres_worker import GRACE_PERIOD, RETRY  # noqa: E402  (after the skip above)

WORKER = Path(__file__).with_name("_postgres_worker.py")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"
PORT = 5432  # only names the socket file: the server listens on no TCP port
STUDY = "quadratic"
QUOTAS = {"a": 6, "b": 8}  # complete trials each worker owns at the end
STALL_AFTER = 3  # worker a is killed during the trial after its third complete one
TIMEOUT = 60  # seconds; a healthy run needs a few


def postgres_bin_dir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``: where the ``initdb`` on
    PATH really lives, else the newest ``/usr/lib/postgresql/<version>/bin``."""
    candidates = []
    if on_path := shutil.which("initdb"):
        candidates.append(Path(on_path).resolve().parent)
    versions = DEBIAN_ROOT.glob("*/bin") if DEBIAN_ROOT.is_dir() else []
    candidates += sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)],
                         reverse=True)
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in SERVER_PROGRAMS):
            return directory
    return None


def as_server_user() -> list[str]:
    """The prefix that runs a command as an unprivileged user: initdb and postgres refuse root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"running as root, which initdb refuses, and there is no {SERVER_USER!r} "
                    "user to run the server as (Debian's postgresql package creates it)")
    if shutil.which("runuser") is None:
        pytest.skip("running as root, which initdb refuses, and runuser (util-linux) is missing")
    return ["runuser", "-u", SERVER_USER, "--"]


@dataclass
class Server:
    """A running PostgreSQL server whose socket lives in ``socket_dir``."""

    socket_dir: Path

    def connect(self, database: str):
        return psycopg2.connect(dbname=database, user=SERVER_USER, host=str(self.socket_dir),
                                port=PORT)

    def create_database(self, name: str) -> str:
        """Create the database ``name``; return its SQLAlchemy URL."""
        connection = self.connect("postgres")
        try:
            connection.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return f"postgresql+psycopg2://{SERVER_USER}@/{name}?host={self.socket_dir}&port={PORT}"


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def postgres():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip(f"PostgreSQL server programs ({', '.join(SERVER_PROGRAMS)}) found neither on "
                    f"PATH nor in {DEBIAN_ROOT}/<version>/bin (Debian: apt-get install postgresql)")
    prefix = as_server_user()
    # as root under /tmp itself: the server's user must be able to reach the directory
    root = Path(tempfile.mkdtemp(prefix="course-postgres-", dir="/tmp" if prefix else None))
    data, log = root / "data", root / "server.log"
    started = False
    try:
        if prefix:
            shutil.chown(root, SERVER_USER, SERVER_USER)
        result = _run(prefix + [str(bin_dir / "initdb"), "-D", str(data), "-U", SERVER_USER,
                                "--auth=trust", "--no-locale", "--encoding=UTF8", "--no-sync"], root)
        assert result.returncode == 0, f"initdb failed:\n{result.stdout}{result.stderr}"
        options = (f"-c listen_addresses='' -c unix_socket_directories='{root}' -p {PORT} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        result = _run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                                "-t", str(TIMEOUT), "-o", options, "start"], root)
        started = True
        assert result.returncode == 0, (f"pg_ctl start failed:\n{result.stdout}{result.stderr}"
                                        f"{log.read_text() if log.exists() else ''}")
        yield Server(root)
    finally:
        if started:
            result = _run(prefix + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                    "stop"], root)
            pid_file = data / "postmaster.pid"
            if result.returncode != 0 and pid_file.exists():  # stop it the hard way
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT} s waiting for {what}")
        time.sleep(0.01)


@pytest.mark.parametrize("heartbeat", [False, True], ids=["no-heartbeat", "heartbeat"])
def test_a_killed_worker_loses_and_repeats_no_finished_trial(postgres, tmp_path, heartbeat):
    """Worker a is killed during its fourth trial while b runs; a restarted a finishes its
    quota. The study's complete trials are the evaluations, one to one. The killed trial:
    without a heartbeat it stays RUNNING (nobody finishes it); with one, a worker marks it
    FAIL and runs its parameters once more as a new trial."""
    url = postgres.create_database(f"study_{'heartbeat' if heartbeat else 'plain'}")
    storage = optuna.storages.RDBStorage(url)
    optuna.create_study(study_name=STUDY, storage=storage)  # the tables, before any worker
    evaluations, stall_file = tmp_path / "evaluations.jsonl", tmp_path / "stalled.json"
    processes: list[tuple[subprocess.Popen, Path]] = []

    def start(worker: str, seed: int, *extra: str) -> subprocess.Popen:
        output = tmp_path / f"{worker}-{len(processes)}.out"
        command = [sys.executable, str(WORKER), "--storage", url, "--study-name", STUDY,
                   "--worker", worker, "--quota", str(QUOTAS[worker]), "--seed", str(seed),
                   "--log", str(evaluations), *extra] + (["--heartbeat"] if heartbeat else [])
        with open(output, "wb") as file:
            process = subprocess.Popen(command, stdout=file, stderr=subprocess.STDOUT)
        processes.append((process, output))
        return process

    def finish(process: subprocess.Popen) -> None:
        output = next(out for p, out in processes if p is process)
        assert process.wait(timeout=TIMEOUT) == 0, output.read_text()

    def logged() -> list[dict]:
        return [json.loads(line) for line in evaluations.read_text().splitlines()]

    try:
        killed = start("a", 1, "--stall-after", str(STALL_AFTER), "--stall-file", str(stall_file))
        other = start("b", 2)
        wait_for(lambda: stall_file.exists() or killed.poll() is not None, "worker a's 4th trial")
        assert killed.poll() is None, processes[0][1].read_text()
        os.kill(killed.pid, signal.SIGKILL)
        killed_at = time.time()
        assert killed.wait(timeout=TIMEOUT) == -signal.SIGKILL
        before_kill = [e for e in logged() if e["worker"] == "a"]
        stalled = json.loads(stall_file.read_text())
        # with a heartbeat, the restarted worker's first trial comes after the grace period
        restarted = start("a", 3, "--not-before", str(killed_at + GRACE_PERIOD + 1 if heartbeat else 0))
        finish(other)
        finish(restarted)
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    try:
        trials = optuna.load_study(study_name=STUDY, storage=storage).get_trials()
    finally:
        storage.engine.dispose()
    done = logged()
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    total = sum(QUOTAS.values())

    # every evaluation is one complete trial and every complete trial one evaluation
    numbers = [e["number"] for e in done]
    assert len(numbers) == len(set(numbers)) == total
    assert ({e["number"]: (e["worker"], e["x"], e["value"]) for e in done}
            == {t.number: (t.user_attrs["worker"], t.params["x"], t.value) for t in complete})
    assert len(complete) == total and Counter(e["worker"] for e in done) == QUOTAS
    # the killed worker's finished trials were kept; trial numbers are 0, 1, ... without gaps
    assert len(before_kill) == STALL_AFTER
    assert all(e in done for e in before_kill)
    assert [t.number for t in trials] == list(range(len(trials)))
    # the trial running when the worker was killed
    lost = trials[stalled["number"]]
    assert lost.number not in numbers
    assert lost.params == {"x": stalled["x"]} and lost.user_attrs == {"worker": "a"}
    states = Counter(t.state.name for t in trials)
    if heartbeat:
        assert states == {"COMPLETE": total, "FAIL": 1}
        assert lost.state == optuna.trial.TrialState.FAIL and lost.datetime_complete is not None
        retries = [t for t in trials if RETRY.retried_trial_number(t) is not None]
        assert [(RETRY.retried_trial_number(t), t.state.name, t.params) for t in retries] == [
            (lost.number, "COMPLETE", lost.params)]
        assert retries[0].number > lost.number
    else:
        assert states == {"COMPLETE": total, "RUNNING": 1}
        assert lost.state == optuna.trial.TrialState.RUNNING and lost.datetime_complete is None
