"""Where a study lives, shared by its workers: ``sweep.storage``.

- ``sqlite:///<path>``: one file, one writer at a time; a few workers on one machine.
- ``postgresql://user:password@host:5432/db`` (or any SQLAlchemy URL): a database server, for workers
  on several machines.
- ``journal:///<path>``: Optuna's journal file, an append-only log; workers on several machines that
  share a filesystem (NFS) and no database server.

Every kind records heartbeats while a trial runs: a running trial whose worker stopped beating for
``sweep.heartbeat.grace_period`` seconds (the worker was killed, its machine lost) is marked failed
when a worker next starts a trial, and queued again with the same parameters. Optuna implements that
for databases; `HeartbeatJournalStorage` adds it to the journal file, whose heartbeats are trial
system attributes compared with this machine's clock (keep the workers' clocks in sync, e.g. NTP).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import sqlalchemy.exc
from omegaconf import DictConfig
from optuna.exceptions import ExperimentalWarning
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock, JournalStorage
from optuna.trial import FrozenTrial, TrialState

# SQLite lets one writer in at a time: other workers wait this long for the lock instead of failing.
SQLITE_LOCK_TIMEOUT_S = 60
STORAGE_ATTEMPTS = 3
SQLITE, JOURNAL = "sqlite:///", "journal:///"
HEARTBEAT_ATTR = "motionlab:heartbeat"


def make_storage(settings: DictConfig) -> BaseStorage:
    """The storage at ``sweep.storage``, with heartbeats and retries of trials whose worker died."""
    url = str(settings.storage)
    heartbeat = settings.heartbeat
    with warnings.catch_warnings():  # "experimental" in Optuna since 2.8
        warnings.simplefilter("ignore", ExperimentalWarning)
        retry = RetryHeartbeatStaleTrialCallback(max_retry=heartbeat.max_retry)
    path = storage_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith(JOURNAL):
        # an open(O_EXCL) lock: works on NFS, unlike the symlink lock on some of its versions
        backend = JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path)))
        return HeartbeatJournalStorage(backend, heartbeat.interval, heartbeat.grace_period, retry)
    engine_kwargs = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT_S}} if path is not None else {}
    for _ in range(STORAGE_ATTEMPTS - 1):
        try:
            return _rdb_storage(url, engine_kwargs, heartbeat, retry)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError):
            # Workers that open a new database at the same moment race to create its tables and
            # version rows; the loser finds them in place on the next attempt.
            time.sleep(1.0)
    return _rdb_storage(url, engine_kwargs, heartbeat, retry)


def _rdb_storage(
    url: str, engine_kwargs: dict, heartbeat: DictConfig, retry: RetryHeartbeatStaleTrialCallback
) -> RDBStorage:
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since 2.8
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=heartbeat.interval,
            grace_period=heartbeat.grace_period,
            heartbeat_stale_trial_callback=retry,
        )


def storage_file(url: str) -> Path | None:
    """The file of a ``sqlite:///<path>`` or ``journal:///<path>`` storage; None for a server."""
    for prefix in (SQLITE, JOURNAL):
        if url.startswith(prefix):
            return Path(url.removeprefix(prefix))
    return None


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """Optuna's journal file storage with the heartbeats Optuna gives RDB storages: while a trial
    runs, its worker stamps the trial every ``interval`` seconds; a running trial unstamped for
    ``grace_period`` seconds is stale, and ``stale_callback`` (a retry) runs when it is failed."""

    def __init__(
        self,
        backend: JournalFileBackend,
        interval: int,
        grace_period: int,
        stale_callback: RetryHeartbeatStaleTrialCallback,
    ) -> None:
        super().__init__(backend)
        self.interval, self.grace_period, self.stale_callback = interval, grace_period, stale_callback

    def record_heartbeat(self, trial_id: int) -> None:
        self.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
        return [trial._trial_id for trial in running if now - _last_beat(trial) > self.grace_period]

    def get_heartbeat_interval(self) -> int:
        return self.interval

    def get_heartbeat_stale_trial_callback(self) -> RetryHeartbeatStaleTrialCallback:
        return self.stale_callback


def _last_beat(trial: FrozenTrial) -> float:
    """The trial's last heartbeat, or its start before the first one."""
    beat = trial.system_attrs.get(HEARTBEAT_ATTR)
    if beat is not None:
        return float(beat)
    return trial.datetime_start.timestamp() if trial.datetime_start else time.time()
