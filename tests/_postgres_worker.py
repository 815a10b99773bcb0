"""One worker of an Optuna study on a database server, started by ``test_search_postgres.py``.

``python tests/_postgres_worker.py --storage URL --study-name NAME --worker a --quota 6
--seed 1 --log evaluations.jsonl`` joins the study (creating it if needed), tags its trials
with its name and runs trials of a cheap objective until it owns ``--quota`` complete trials.
It counts them in the storage, so a worker restarted after a crash carries on where the
killed one stopped. Each evaluation appends one JSON line (worker, trial number, x, value)
to ``--log`` just before the objective returns.

``--stall-after K``: the trial after K complete ones writes its number and parameters to
``--stall-file`` and then waits, so that the caller can kill the worker during a trial.
``--heartbeat``: Optuna's heartbeat (every second, grace period of 3 s) with
:class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`: a worker that starts a trial
marks the trials of dead workers ``FAIL`` and queues each once more, as ``WAITING``.
``--not-before T``: join the study, then wait until ``time.time()`` reaches T before the
first trial.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from collections.abc import Sequence

import optuna

HEARTBEAT_INTERVAL, GRACE_PERIOD = 1, 3  # seconds; Optuna takes whole seconds
EVALUATION_SECONDS = 0.1

# Optuna >= 4.9 names the retry after the heartbeat; older releases call it RetryFailedTrialCallback.
if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):
    RETRY, RETRY_ARGUMENT = optuna.storages.RetryHeartbeatStaleTrialCallback, "heartbeat_stale_trial_callback"
else:  # pragma: no cover
    RETRY, RETRY_ARGUMENT = optuna.storages.RetryFailedTrialCallback, "failed_trial_callback"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", required=True, help="a database URL")
    parser.add_argument("--study-name", required=True)
    parser.add_argument("--worker", required=True, help="this worker's name, kept with its trials")
    parser.add_argument("--quota", type=int, required=True, help="complete trials this worker owns")
    parser.add_argument("--seed", type=int, required=True, help="seed of the TPE sampler")
    parser.add_argument("--log", required=True, help="file of one JSON line per evaluation")
    parser.add_argument("--stall-after", type=int, default=None)
    parser.add_argument("--stall-file", default=None)
    parser.add_argument("--heartbeat", action="store_true")
    parser.add_argument("--not-before", type=float, default=0.0, help="seconds since the epoch")
    return parser


def own_complete(study: optuna.Study, worker: str) -> int:
    """How many complete trials of ``study`` carry the name ``worker``."""
    return sum(t.user_attrs.get("worker") == worker
               for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    storage: str | optuna.storages.RDBStorage = args.storage
    if args.heartbeat:
        storage = optuna.storages.RDBStorage(
            args.storage, heartbeat_interval=HEARTBEAT_INTERVAL, grace_period=GRACE_PERIOD,
            **{RETRY_ARGUMENT: RETRY(max_retry=1)})
    study = optuna.create_study(study_name=args.study_name, storage=storage, load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=args.seed))
    done = own_complete(study, args.worker)

    def objective(trial: optuna.Trial) -> float:
        nonlocal done
        trial.set_user_attr("worker", args.worker)
        x = trial.suggest_float("x", -3, 3)
        if args.stall_after is not None and done >= args.stall_after:
            partial = f"{args.stall_file}.partial"
            with open(partial, "w") as file:
                json.dump({"number": trial.number, "x": x}, file)
            os.replace(partial, args.stall_file)
            time.sleep(3600)
        time.sleep(EVALUATION_SECONDS)
        value = (x - 1) ** 2
        with open(args.log, "a") as file:
            file.write(json.dumps({"worker": args.worker, "number": trial.number, "x": x,
                                   "value": value}) + "\n")
        done += 1
        return value

    time.sleep(max(0.0, args.not_before - time.time()))
    study.optimize(objective, n_trials=max(args.quota - done, 0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
