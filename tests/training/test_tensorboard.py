"""What TensorBoard shows of a run, read back from the real event files: namespaced scalars, the hparams
tab against ``summary.json``'s numbers (its columns in the logdir's experiment record), the model graph
with named outputs, and each task's figures at validation end."""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from motionlab.data import formats
from motionlab.data.spec import DataSpec
from motionlab.training.hparams_experiment import read_logdir_experiment
from motionlab.training.loggers import TensorBoardLogger
from motionlab.training.run import train
from tests.helpers import CONFIG_DIR, TINY, applicable_overrides

DATA_CONFIGS = list(formats())  # every data format (src/motionlab/data/<format>/)
MODEL_CONFIGS = sorted(path.stem for path in (CONFIG_DIR / "model").glob("*.yaml"))
# Top-level namespaces of the Scalars tab; `epoch` is Lightning's own. No `hp/`: the HParams tab
# reads the run's own scalars.
NAMESPACES = ("train/", "val/", "test/")


def read_events(run_dir: Path) -> EventAccumulator:
    """The event files of a run: in its directory, which TensorBoard names the run after."""
    events = EventAccumulator(str(run_dir), size_guidance={"tensors": 0, "scalars": 0})
    events.Reload()
    return events


def hparams_record(events: EventAccumulator) -> tuple[dict, set[str]]:
    """The run's hyperparameter values and the hparams tags it holds."""
    content = events.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    values = {
        name: value.string_value if value.HasField("string_value") else value.number_value
        for name, value in start.session_start_info.hparams.items()
    }
    return values, set(content)


@pytest.mark.slow
def test_hparams_tab_shows_key_settings_against_the_summarys_final_metrics(make_config):
    cfg = make_config("logger=many", "trainer.max_epochs=2", "task.optimizer.lr=0.002")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    events = read_events(run_dir)

    assert not (run_dir / "hparams.yaml").exists()  # the run directory has config.yaml
    values, tags = hparams_record(events)
    # the run holds its row; the columns are the logdir's, shared with every other run under it
    assert tags == {"_hparams_/session_start_info", "_hparams_/session_end_info"}
    experiment = read_logdir_experiment(Path(cfg.paths.log_dir))
    assert {info.name for info in experiment.hparam_infos} == set(values)
    metric_names = {info.name.tag for info in experiment.metric_infos}
    assert values["name"] == "workout-tcn" and values["data"] == "workout" and values["model"] == "tcn"
    assert values["task"] == "workout" and values["experiment"] == "null"
    assert values["model/channels"] == 16 and values["model/num_blocks"] == 2
    assert math.isclose(values["task/optimizer/lr"], 0.002)
    assert values["data/window"] == 30 and values["data/batch_size"] == 32 and values["seed"] == 42
    assert values["trainer/max_epochs"] == 2
    # the selection, not the whole config: no paths, no private keys, no other data config's settings
    assert not any(name.startswith(("data/cache_dir", "paths")) or "_target_" in name for name in values)
    assert "data/sequence_length" not in values

    expected = {"val/loss_best": summary["best_score"], **summary["test_metrics"]}
    assert metric_names == set(expected)
    for tag, value in expected.items():  # HParams shows a metric's last value
        assert math.isclose(events.Scalars(tag)[-1].value, value, rel_tol=1e-6), tag
    # val/loss_best is the running best of val/loss, one point per epoch
    running_best = list(itertools.accumulate((row["val/loss"] for row in summary["history"]), min))
    assert [point.value for point in events.Scalars("val/loss_best")] == pytest.approx(running_best)

    scalars = events.Tags()["scalars"]
    assert [tag for tag in scalars if not tag.startswith(NAMESPACES)] == ["epoch"]
    assert "train/lr" in scalars and not any(tag.startswith("train/lr-") for tag in scalars)
    outputs = {node.name for node in events.Graph().node if node.op == "IO Node"}
    assert outputs == {"input/x.1", "exercise_logits", "rep_logits"}  # Graphs tab: outputs by name

    # the CSV logger has the same numbers in its own columns
    with (run_dir / "csv" / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    best = [float(row["val/loss_best"]) for row in rows if row["val/loss_best"]]
    assert best == pytest.approx(running_best)
    tested = [float(row["test/acc"]) for row in rows if row["test/acc"]]
    assert tested == pytest.approx([summary["test_metrics"]["test/acc"]])


@pytest.mark.slow
@pytest.mark.parametrize("model", MODEL_CONFIGS)
def test_every_encoder_is_drawn_in_the_graphs_tab(model, make_config, tmp_path):
    cfg = make_config("data=csv", f"model={model}", tiny=False)
    spec = DataSpec([f"f{i}" for i in range(6)], window=cfg.data.window, fps=30.0, class_names=["a", "b"])
    encoder = OmegaConf.to_container(cfg.model, resolve=True)
    if "dropout" in encoder:  # encoders without dropout (rocket: fixed kernels) trace the same anyway
        encoder["dropout"] = 0.0
    task = instantiate(cfg.task, encoder=encoder, data_spec=spec.to_dict(), monitor={}, _recursive_=False)
    task.train()
    logger = TensorBoardLogger(tmp_path, name="tb", version="", log_graph=True)
    logger.log_graph(task)
    logger.log_graph(task)  # Lightning asks again when testing: drawn once
    logger.finalize("success")
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    nodes = [node.name for node in events.Graph().node]
    assert any("encoder" in name for name in nodes) and any("normalizer" in name for name in nodes)
    assert task.training  # the trace ran in eval mode; the task is left as it was


def test_a_model_that_cannot_be_traced_is_logged_without_graph(make_config, tmp_path, caplog):
    cfg = make_config("data=csv", "model=mlp", tiny=False)
    spec = DataSpec(["a", "b"], window=cfg.data.window, fps=30.0, class_names=["x", "y"])
    encoder = OmegaConf.to_container(cfg.model, resolve=True)
    task = instantiate(cfg.task, encoder=encoder, data_spec=spec.to_dict(), monitor={}, _recursive_=False)
    encode, calls = task.encoder.forward, itertools.count()
    # a layer whose operations change from call to call: the tracer's check run sees another graph
    task.encoder.forward = lambda x: encode(x) * 2 if next(calls) % 2 else encode(x)
    logger = TensorBoardLogger(tmp_path, name="tb", version="", log_graph=True)
    with caplog.at_level(logging.WARNING, logger="motionlab.training.loggers"):
        logger.log_graph(task)
    logger.finalize("success")
    assert "no model graph in TensorBoard: tracing MLPEncoder failed (TracingCheckError" in caplog.text
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert not events.Tags()["graph"]


@pytest.mark.slow
@pytest.mark.parametrize("data", DATA_CONFIGS)
def test_every_task_logs_figures_at_validation_end(data, make_config, tmp_path, sample_cache):
    """One short epoch of each data config's task: its figures land in the event file under val/."""
    sizes = [*TINY, "data.eval_stride=15"]
    tiny = applicable_overrides(sizes, [f"data={data}"], tmp_path / "compose", sample_cache)
    cfg = make_config(
        f"data={data}",
        *formats()[data].data_path,
        *tiny,
        "test=false",
        "+trainer.limit_train_batches=2",
        tiny=False,
    )
    train(cfg)
    events = read_events(Path(cfg.paths.output_dir))
    images = events.Tags()["images"]
    assert any(tag.startswith("val/") for tag in images), images
    assert len(events.Images(images[0])) == 1  # one epoch, one figure per tag
    assert events.Tags()["graph"]
