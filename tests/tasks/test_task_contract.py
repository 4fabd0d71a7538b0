"""The task contract on the smallest task (docs/extending.md's "Add a task" example): what `declare_outputs`
gives every task, and that whole-recording evaluation gets the recordings of the windows it tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader
from torchmetrics import MeanSquaredError

from motionlab.data.recording import Recording
from motionlab.data.windows import WindowDataset, build_window_set, keep_batch
from motionlab.export.graph import ExportGraph
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.outputs import Output, denormalised

FEATURES = ["a", "b"]
TINY_GRU = {
    "_target_": "motionlab.models.encoders.RecurrentEncoder",
    "cell": "gru",
    "hidden_size": 4,
    "num_layers": 1,
}


class MeanTask(MotionTask):
    """Predicts each window's mean frame: the recipe's example task."""

    def __init__(self, **base: Any) -> None:
        super().__init__(**base)
        self.head = nn.Linear(self.encoder.output_dim, self.spec.num_features)
        self.errors = StageMetrics(MeanSquaredError)
        self.evaluated: dict[str, list[str]] = {}

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return {"mean_norm": self.head(self.features(x).mean(dim=1))}

    def declare_outputs(self) -> tuple[Output, ...]:
        return (
            Output(
                "mean_norm",
                "mean",
                denormalised(self.normalizer),
                "[B, F] the window's mean frame, normalised",
                "[B, F] the window's mean frame in original units",
                self.spec.feature_names,
            ),
        )

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"loss": F.mse_loss(outputs["mean_norm"], self.normalizer(batch["x"]).mean(dim=1))}

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        self.errors[stage].update(outputs["mean_norm"], self.normalizer(batch["x"]).mean(dim=1))

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        metrics = {"mse": self.errors[stage].compute()}
        self.errors[stage].reset()
        return metrics

    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        self.evaluated[stage] = [r.name for r in recordings]
        return {"recordings": float(len(recordings))}


def make_task() -> MeanTask:
    spec = {"feature_names": FEATURES, "window": 6, "fps": 10.0}
    task = MeanTask(
        encoder=TINY_GRU,
        data_spec=spec,
        optimizer={"name": "adam", "lr": 1e-3},
        scheduler=None,
        monitor={"metric": "val/loss", "mode": "min"},
    )
    task.normalizer.set_stats(torch.tensor([1.0, -2.0]), torch.tensor([2.0, 0.5]))
    return task.eval()


def test_the_declaration_gives_app_outputs_their_inverse_labels_and_descriptions():
    task = make_task()
    x = torch.randn(3, 6, 2)
    raw = task(x)
    app = task.predict_outputs(x)
    torch.testing.assert_close(
        app["mean"], raw["mean_norm"] * torch.tensor([2.0, 0.5]) + torch.tensor([1.0, -2.0])
    )
    torch.testing.assert_close(task.raw_outputs(app, x)["mean_norm"], raw["mean_norm"])
    assert task.output_labels() == {"mean": FEATURES}
    assert task.output_descriptions() == {
        "mean_norm": "[B, F] the window's mean frame, normalised",
        "mean": "[B, F] the window's mean frame in original units",
    }
    assert ExportGraph(task, "app").output_names == ["mean"]
    assert ExportGraph(task, "raw").output_names == ["mean_norm"]
    assert task.export_metadata()["task"] == "MeanTask"


def _recording(name: str, frames: int) -> Recording:
    values = np.random.default_rng(len(name)).normal(size=(frames, 2)).astype(np.float32)
    return Recording(name, values, FEATURES, 10.0, group=name, source=f"{name}.csv")


@pytest.mark.parametrize("names", [["one", "two"], ["three"]])
def test_whole_recording_evaluation_gets_the_recordings_of_the_tested_windows(names):
    recordings = [_recording(name, 9 + i) for i, name in enumerate(names)]
    windows = build_window_set(recordings, 6, 3, [{} for _ in recordings])
    loader = DataLoader(WindowDataset(windows), batch_size=4, collate_fn=keep_batch)
    task = make_task()
    trainer = L.Trainer(
        accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    metrics = trainer.test(task, dataloaders=loader, verbose=False)[0]
    assert task.evaluated == {"test": names}
    assert metrics["test/recordings"] == len(names)
