"""The HParams tab's columns for a logdir holding many runs of every task.

TensorBoard takes the HParams columns from one ``_hparams_/experiment`` record, whichever run's it
finds first, so runs write only their own session records (their values) and the experiment record
lives once, in the logdir (``outputs/hparams/``, a run of its own in TensorBoard's run list, named
``hparams``, without scalars): the union of every run's hyperparameter names and
metric tags, grown as runs end. A workout run adds ``test/acc``, a reference run its rollout error,
a sweep trial its searched parameters; all of them are columns of one table.

The record is one event file (``outputs/hparams/events.out.tfevents.*.hparams``), replaced under a lock
when a run brings a new column. TensorBoard reads a record when it first sees it: restart it to show
columns that appeared while it was running.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from torch.utils.tensorboard.writer import FileWriter

RECORD_RUN = "hparams"  # the record's folder in the logdir: the run TensorBoard lists it as
SUFFIX = ".hparams"
LOCK = ".lock"


def update_logdir_experiment(logdir: Path, hparams: Mapping[str, Any], metrics: Sequence[str]) -> bool:
    """Add ``hparams``' names and the ``metrics`` tags to ``logdir``'s experiment record; returns
    whether the record changed (it is rewritten only then)."""
    record_dir = logdir / RECORD_RUN
    record_dir.mkdir(parents=True, exist_ok=True)
    with _locked(record_dir / LOCK):
        previous = read_logdir_experiment(logdir)
        experiment = merged(previous or api_pb2.Experiment(), hparams, metrics)
        if previous is not None and experiment == previous:
            return False
        old_files = _record_files(logdir)
        writer = FileWriter(str(record_dir), filename_suffix=SUFFIX)
        writer.add_summary(experiment_summary(experiment))
        writer.close()
        for path in old_files:
            path.unlink(missing_ok=True)
        return True


def read_logdir_experiment(logdir: Path) -> api_pb2.Experiment | None:
    """The experiment record of the runs in ``logdir``, or None."""
    for path in _record_files(logdir):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag == metadata.EXPERIMENT_TAG:
                    return metadata.parse_experiment_plugin_data(value.metadata.plugin_data.content)
    return None


def merged(
    experiment: api_pb2.Experiment, hparams: Mapping[str, Any], metrics: Sequence[str]
) -> api_pb2.Experiment:
    """``experiment`` with the columns of one more run, sorted by name. A parameter whose values
    differ in type between runs (a number here, ``"null"`` there) is declared without a type."""
    types = {info.name: info.type for info in experiment.hparam_infos}
    for name, value in hparams.items():
        kind = _data_type(value)
        types[name] = kind if types.get(name, kind) == kind else api_pb2.DATA_TYPE_UNSET
    tags = {info.name.tag for info in experiment.metric_infos} | set(metrics)
    return api_pb2.Experiment(
        hparam_infos=[api_pb2.HParamInfo(name=name, type=types[name]) for name in sorted(types)],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in sorted(tags)],
    )


def experiment_summary(experiment: api_pb2.Experiment) -> Summary:
    content = plugin_data_pb2.HParamsPluginData(experiment=experiment, version=metadata.PLUGIN_DATA_VERSION)
    return Summary(
        value=[Summary.Value(tag=metadata.EXPERIMENT_TAG, metadata=metadata.create_summary_metadata(content))]
    )


def _data_type(value: Any) -> int:
    if isinstance(value, bool):
        return api_pb2.DATA_TYPE_BOOL
    if isinstance(value, int | float):
        return api_pb2.DATA_TYPE_FLOAT64
    return api_pb2.DATA_TYPE_STRING


def _record_files(logdir: Path) -> list[Path]:
    return sorted((logdir / RECORD_RUN).glob(f"events.out.tfevents.*{SUFFIX}"))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: runs of parallel sweep workers end at the same moment."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
