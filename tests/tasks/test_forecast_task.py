"""ForecastTask: starts at the repeat-last-frame baseline, metrics in original units, export contract,
every encoder runs on tracking data, and the default recipe beats the baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from motionlab.data.tracking.format import FEATURE_NAMES, UNITS, joint_groups
from motionlab.errors import ConfigError
from motionlab.tasks import ForecastTask
from motionlab.training.run import train
from tests.helpers import CONFIG_DIR

TINY_LSTM = {"_target_": "motionlab.models.encoders.RecurrentEncoder", "hidden_size": 8, "num_layers": 1}
GROUPS = {g: [FEATURE_NAMES[i] for i in index] for g, index in joint_groups().items()}
MEAN = torch.linspace(-5, 5, 12)
STD = torch.linspace(0.5, 20, 12)


def make_task(horizon: int = 1, extras: dict[str, Any] | None = None, **kwargs: Any) -> ForecastTask:
    spec = {
        "feature_names": list(FEATURE_NAMES),
        "window": 10 + horizon,
        "fps": 30.0,
        "extras": {"sequence_length": 10, "horizon": horizon, "joint_groups": GROUPS, "units": UNITS}
        if extras is None
        else extras,
    }
    task = ForecastTask(
        encoder=TINY_LSTM,
        data_spec=spec,
        optimizer={"name": "adam", "lr": 1e-3},
        scheduler=None,
        monitor={"metric": "val/loss", "mode": "min"},
        head_hidden=[8],
        **kwargs,
    )
    task.normalizer.set_stats(MEAN, STD)
    return task.eval()


def windows(batch: int = 6, length: int = 10) -> torch.Tensor:
    return MEAN + STD * torch.randn(batch, length, 12, generator=torch.Generator().manual_seed(0))


def test_untrained_model_repeats_the_last_frame_in_original_units():
    x = windows()
    for linear_skip in (True, False):
        out = make_task(linear_skip=linear_skip).predict_outputs(x)["next_frame"]
        assert out.shape == (6, 12)
        torch.testing.assert_close(out, x[:, -1], rtol=1e-5, atol=1e-4)
    absolute = make_task(residual=False).predict_outputs(x)["next_frame"]
    assert not torch.allclose(absolute, x[:, -1], atol=1e-2)


def test_loss_is_mse_on_normalised_features():
    task = make_task()
    x, target = windows(), windows(6, 1)[:, 0]
    outputs = task(x)
    expected = F.mse_loss(outputs["next_frame_norm"], (target - MEAN) / STD)
    torch.testing.assert_close(task.compute_losses(outputs, {"x": x, "target": target})["loss"], expected)


def test_metrics_compare_with_the_baseline_and_report_joint_errors_in_original_units():
    task = make_task()
    x, target = windows(32), windows(32, 1)[:, 0]
    prediction = x[:, -1] + 0.5 * (target - x[:, -1])  # halfway between the baseline and the truth
    batch = {"x": x, "target": target}
    for half in (slice(0, 20), slice(20, 32)):  # two batches, accumulated
        part = {key: value[half] for key, value in batch.items()}
        task.update_metrics("val", {"next_frame_norm": (prediction[half] - MEAN) / STD}, part)
    metrics = task.epoch_metrics("val")
    baseline = ((x[:, -1] - target) / STD).square().mean()
    torch.testing.assert_close(metrics["baseline_mse"], baseline)
    torch.testing.assert_close(metrics["mse"], baseline / 4)
    torch.testing.assert_close(metrics["skill"], torch.tensor(0.75))
    error = (prediction - target).abs()
    for group, index in joint_groups().items():
        torch.testing.assert_close(metrics[f"mae/{group}"], error[:, index].mean(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(
            metrics[f"baseline_mae/{group}"], 2 * error[:, index].mean(), rtol=1e-5, atol=1e-6
        )
    task.update_metrics("val", {"next_frame_norm": (target - MEAN) / STD}, batch)  # state was reset
    assert task.epoch_metrics("val")["mse"] < 1e-10


def test_export_contract_describes_every_output():
    task = make_task(horizon=3)
    x = windows()
    names = set(task(x)) | set(task.predict_outputs(x))
    assert names == set(task.output_descriptions()) == {"next_frame_norm", "next_frame"}
    assert "head: degrees" in task.output_descriptions()["next_frame"]
    metadata = task.export_metadata()
    assert metadata["window"] == 10 and metadata["horizon"] == 3  # the app feeds 10 frames
    assert metadata["residual"] is True and metadata["linear_skip"] is True
    assert metadata["joint_groups"] == GROUPS and metadata["units"] == UNITS
    assert metadata["feature_names"] == list(FEATURE_NAMES)


def test_session_forecast_is_aligned_with_the_frame_it_predicts():
    task = make_task(horizon=2)
    frames = windows(1, 40)[0].numpy()
    predicted = task.forecast_session(frames)
    assert predicted.shape == (40, 12) and np.isnan(predicted[:11]).all()
    # untrained = repeat the last input frame, which is `horizon` frames before the predicted one
    np.testing.assert_allclose(predicted[11:], frames[9:-2], rtol=1e-5, atol=1e-4)
    assert np.isnan(task.forecast_session(frames[:11])).all()


def test_task_refuses_data_without_forecast_targets():
    with pytest.raises(ConfigError, match="use it with data=tracking"):
        make_task(extras={})


# 6 sessions of 2 users: enough for a train/val/test split by session.
SMALL_RUN = [
    "trainer=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "data.sample.num_users=2",
    "data.sample.sessions_per_user=3",
]


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(p.stem for p in (CONFIG_DIR / "model").glob("*.yaml")))
def test_every_encoder_runs_a_fast_dev_run_on_tracking_data(make_config, model: str):
    cfg = make_config(
        "data=tracking",
        f"model={model}",
        *SMALL_RUN,
        "logger=none",
        "data.sample.seconds=[10,15]",
        "data.batch_size=16",
        "debug=fdr",
        tiny=False,
    )
    train(cfg)
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed"
    metrics = summary["test_metrics"]
    assert np.isfinite(metrics["test/mse"]) and metrics["test/baseline_mse"] > 0


@pytest.mark.slow
def test_default_recipe_beats_the_repeat_last_frame_baseline(make_config):
    """experiment=tracking_lstm (seed 000's LSTM, default task) on a smaller sample (6 sessions of
    30-45 s) for 2 epochs must forecast the validation session with an MSE at most 0.7 × the
    repeat-last-frame baseline's (normalised features), and below seed 000's bar of 0.01.

    Measured over seeds 1-5: val MSE 0.00309-0.00315 against a baseline of 0.00547, a ratio of
    0.565-0.576. The run also logs the trajectory figure to TensorBoard.
    """
    cfg = make_config(
        "experiment=tracking_lstm",
        *SMALL_RUN,
        "logger=tensorboard",
        "data.sample.seconds=[30,45]",
        "data.batch_size=64",
        "trainer.max_epochs=2",
        tiny=False,
    )
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    best = min(summary["history"], key=lambda row: row["val/loss"])
    assert best["val/mse"] <= 0.7 * best["val/baseline_mse"]
    assert best["val/mse"] < 0.01
    events = EventAccumulator(str(run_dir))
    events.Reload()
    assert "val/trajectories" in events.Tags()["images"]
