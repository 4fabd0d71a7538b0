"""`ForecastTask` (seed 000): predict the frame ``horizon`` frames after an input window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor, nn

from motionlab.data.recording import Recording
from motionlab.errors import ConfigError
from motionlab.inference.sliding import sliding_windows
from motionlab.models.heads import MLPHead, SequencePool
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.common.frame_errors import FrameErrors
from motionlab.tasks.outputs import Output, denormalised
from motionlab.viz.figures import trajectory_figure


class ForecastTask(MotionTask):
    """Encoder → pooled features → MLP head → the forecast frame, in normalised features.

    With ``residual`` (the default) the head predicts the change from the last input frame, and its
    output layer starts at zero. The frame after a short window is close to the last one, so the
    untrained model already equals the strong "repeat the last frame" baseline, and training only
    has to learn the motion on top of it; predicting the absolute frame instead would first have
    to learn to copy its input through the encoder. Every metric is logged next to that baseline,
    measured on the same batches (``baseline_mse``, ``baseline_mae``, ``skill`` = 1 − mse / baseline_mse),
    so a model that only copies its input is visible at once.

    With ``linear_skip`` a linear map of the last ``sequence_length`` input frames (relative to the
    last one) is added to the head's output: the autoregressive "highway" of LSTNet (Lai et al.,
    2018). It learns linear extrapolation (velocity, smoothing of jitter) in a few steps, which a
    recurrent encoder fed with absolute positions learns slowly, and leaves the encoder the
    non-linear rest. It starts at zero too. It needs at least ``sequence_length`` input frames.

    Metrics: ``mse``/``mae`` on normalised features (the loss is that MSE), and ``mae/<joint>`` per
    joint group in the data's units (e.g. degrees), with the baseline's ``baseline_mae/<joint>``.

    Args:
        residual: predict the change from the last input frame (see above).
        linear_skip: add the linear autoregressive path (see above).
        pool: how the encoder's per-frame features become one vector (seed 000: ``last``).
        head_hidden, head_dropout: the MLP head (seed 000: one hidden layer of hidden // 2, dropout 0.2).
        trajectory_sessions, trajectory_seconds: what the TensorBoard trajectory figure shows.
    """

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
        residual: bool = True,
        linear_skip: bool = True,
        pool: str = "last",
        head_hidden: Sequence[int] = (32,),
        head_dropout: float = 0.2,
        trajectory_sessions: int = 3,
        trajectory_seconds: float = 5.0,
    ) -> None:
        super().__init__(encoder, data_spec, optimizer, scheduler, monitor)
        extras = self.spec.extras
        if "sequence_length" not in extras or "horizon" not in extras:
            raise ConfigError(
                "task",
                "ForecastTask needs data that yields input windows and forecast targets",
                "use it with data=tracking",
            )
        self.sequence_length = int(extras["sequence_length"])
        self.horizon = int(extras["horizon"])
        names = self.spec.feature_names
        self.groups = {
            group: [names.index(name) for name in members]
            for group, members in (extras.get("joint_groups") or {name: [name] for name in names}).items()
        }
        features = self.spec.num_features
        self.pool = SequencePool(self.encoder.output_dim, pool)
        self.head = MLPHead(self.encoder.output_dim, head_hidden, features, dropout=head_dropout)
        self.skip = nn.Linear(self.sequence_length * features, features) if linear_skip else None
        starts_at_zero = [self.head[-1]] if residual else []
        if self.skip is not None:
            starts_at_zero.append(self.skip)
        for layer in starts_at_zero:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.errors = StageMetrics(lambda: FrameErrors(features))
        self._shown: dict[str, list[Recording]] = {}

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        normalised = self.encoder_input(x)
        last = normalised[:, -1]
        out = self.head(self.pool(self.encoder(normalised)))
        if self.skip is not None:
            out = out + self.skip((normalised[:, -self.sequence_length :] - last.unsqueeze(1)).flatten(1))
        if self.hparams.residual:
            out = out + last
        return {"next_frame_norm": out}

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"loss": F.mse_loss(outputs["next_frame_norm"].float(), self.normalizer(batch["target"]))}

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        self.errors[stage].update(
            outputs["next_frame_norm"].float(),
            self.normalizer(batch["target"]),
            self.normalizer(batch["x"][:, -1]),
        )

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        errors = self.errors[stage].compute()
        self.errors[stage].reset()
        metrics = {kind: values.mean() for kind, values in errors.items()}
        metrics["skill"] = 1 - metrics["mse"] / metrics["baseline_mse"].clamp_min(1e-12)
        in_units = {kind: errors[kind] * self.normalizer.std for kind in ("mae", "baseline_mae")}
        for group, index in self.groups.items():
            for kind, values in in_units.items():
                metrics[f"{kind}/{group}"] = values[index].mean()
        return metrics

    # ----------------------------------------------------------------- whole sessions
    @torch.no_grad()
    def forecast_session(self, frames: np.ndarray, chunk: int = 1024) -> np.ndarray:
        """One-step-ahead forecasts over a whole recording ``[T, F]`` → ``[T, F]`` in original units.

        Row ``t`` is predicted from frames ``t - horizon - sequence_length + 1 .. t - horizon``, as an app
        would run the model on its stream; the first ``sequence_length + horizon - 1`` rows are NaN.
        """
        length = len(frames)
        predicted = np.full((length, frames.shape[1]), np.nan, dtype=np.float32)
        count = length - self.sequence_length - self.horizon + 1
        if count <= 0:
            return predicted
        _, windows = sliding_windows(frames, self.sequence_length, 1)
        batch = torch.from_numpy(np.ascontiguousarray(windows[:count], dtype=np.float32))
        outputs = [
            self.predict_outputs(part.to(self.device))["next_frame"].cpu() for part in batch.split(chunk)
        ]
        predicted[length - count :] = torch.cat(outputs).numpy()
        return predicted

    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        """No metrics: remembers the first ``trajectory_sessions`` recordings for `figures`."""
        self._shown[stage] = list(recordings[: self.hparams.trajectory_sessions])
        return {}

    def figures(self, stage: str) -> dict[str, Figure]:
        recordings = self._shown.get(stage, [])
        shown = round(self.hparams.trajectory_seconds * self.spec.fps) + self.sequence_length + self.horizon
        sessions = [(r.name, r.frames[:shown], self.forecast_session(r.frames[:shown])) for r in recordings]
        return {
            "trajectories": trajectory_figure(
                sessions,
                self.spec.feature_names,
                self.groups,
                self.spec.fps,
                f"{stage}: recorded vs forecast {self.horizon} frame(s) ahead, epoch {self.current_epoch}",
            )
        }

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> tuple[Output, ...]:
        """The forecast frame in original units, ``[B, F]`` in ``feature_names`` order."""
        units = ", ".join(f"{g}: {u}" for g, u in self.spec.extras.get("units", {}).items())
        return (
            Output(
                "next_frame_norm",
                "next_frame",
                denormalised(self.normalizer),
                f"[B, F] the frame {self.horizon} frame(s) after the last input frame, "
                "normalised with the training statistics stored in the model",
                f"[B, F] the same frame in original units, in feature_names order ({units})",
                self.spec.feature_names,
            ),
        )

    def export_metadata(self) -> dict[str, Any]:
        return {
            **super().export_metadata(),
            "window": self.sequence_length,
            "horizon": self.horizon,
            "residual": bool(self.hparams.residual),
            "linear_skip": self.skip is not None,
            "joint_groups": {
                g: [self.spec.feature_names[i] for i in index] for g, index in self.groups.items()
            },
            "units": dict(self.spec.extras.get("units", {})),
        }
