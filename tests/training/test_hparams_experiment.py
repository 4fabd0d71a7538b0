"""The HParams columns of a logdir shared by every task: one experiment record, the union of its runs'."""

from __future__ import annotations

from tensorboard.plugins.hparams import api_pb2

from motionlab.sweep.space import SearchSpace
from motionlab.sweep.study import with_hparams_keys
from motionlab.training.hparams import select_hparams
from motionlab.training.hparams_experiment import read_logdir_experiment, update_logdir_experiment

WORKOUT = ({"data": "workout", "model/channels": 16, "cv/fold": "null"}, ["val/loss_best", "test/acc"])
REFERENCE = ({"data": "reference", "data/history": 10, "cv/fold": 2}, ["val/loss_best", "test/rollout_error"])


def columns(logdir) -> tuple[dict[str, int], list[str]]:
    experiment = read_logdir_experiment(logdir)
    return {h.name: h.type for h in experiment.hparam_infos}, [m.name.tag for m in experiment.metric_infos]


def test_the_logdir_record_holds_every_runs_columns_and_is_rewritten_only_when_they_grow(tmp_path):
    assert read_logdir_experiment(tmp_path) is None
    assert update_logdir_experiment(tmp_path, *WORKOUT)
    assert update_logdir_experiment(tmp_path, *REFERENCE)
    hparams, metrics = columns(tmp_path)
    assert metrics == ["test/acc", "test/rollout_error", "val/loss_best"]  # both tasks' metrics
    assert hparams == {
        "cv/fold": api_pb2.DATA_TYPE_UNSET,  # "null" in one run, a number in the other
        "data": api_pb2.DATA_TYPE_STRING,
        "data/history": api_pb2.DATA_TYPE_FLOAT64,
        "model/channels": api_pb2.DATA_TYPE_FLOAT64,
    }
    [record] = tmp_path.glob("hparams/events.out.tfevents.*")  # a run of its own: "hparams"
    assert not update_logdir_experiment(tmp_path, *WORKOUT)  # nothing new: the file stays as it was
    assert list(tmp_path.glob("hparams/events.out.tfevents.*")) == [record]


def test_a_trials_searched_keys_are_hparams_columns(make_config):
    space = SearchSpace.parse(
        {"data.positive_ratio": "interval(0.1, 0.4)", "task.focal_gamma": "choice(0.0, 2.0)"}
    )
    cfg = make_config("data.positive_ratio=0.25", "task.focal_gamma=2.0")
    assert "data/positive_ratio" not in select_hparams(cfg)
    params = select_hparams(with_hparams_keys(cfg, space.distributions))
    assert (params["data/positive_ratio"], params["task/focal_gamma"]) == (0.25, 2.0)
