"""`TrackingDataModule`: tracking sessions (seed 000) → input windows and the frame to forecast."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from motionlab.data.augment import Augment, resample_time, warp_positions
from motionlab.data.datamodule import MotionDataModule
from motionlab.data.recording import Recording
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.tracking.format import UNITS, joint_groups, read_tracking_path
from motionlab.data.tracking.synthetic import ensure_tracking_sample
from motionlab.data.tracking.timing import SessionTiming, resample_session, session_timing, timing_summary
from motionlab.errors import ConfigError, DataFormatError


class TrackingDataModule(PathOrSample, MotionDataModule):
    """Batches of ``x [B, sequence_length, 12]`` and ``target [B, 12]``, the frame ``horizon`` frames
    after the last input frame. Splits are by session (each session is its own group).

    The engine windows ``sequence_length + horizon`` frames, plus a margin of earlier frames when
    time-warping, and `on_after_batch_transfer` cuts them into input and target on the device. A
    speed change must change the target consistently: the whole window is played back at the
    random speed around its target frame (the target stays an untouched recorded frame; the margin
    supplies the frames a faster playback reaches back to). Amplitude and mirror augmentation act on
    inputs and target alike; Gaussian noise only on the inputs, so the model learns to see through
    jitter rather than to predict it.

    Args:
        path: a JSON file or a directory of them; ``None`` uses the built-in sample data, generated
            on first use into ``cache_dir`` with the ``sample`` parameters.
        fps: the sessions' nominal frame rate (the format stores none); timestamps are checked against it.
        resample_fps: resample every session to this rate from its timestamps (``None``: keep the frames
            as recorded); gaps up to ``max_gap`` frames are interpolated, sessions are cut at longer ones.
        sequence_length: input frames per window (seed 000: 10).
        horizon: which frame to forecast, counted from the last input frame (1 = the next frame).
        augment: ``noise_std`` (inputs only, in training-std units), ``time_warp`` (maximum relative
            speed change), ``amplitude``, ``mirror_prob``, ``mirror_pairs``, ``mirror_negate``.
        **engine: the other `MotionDataModule` arguments (stride, batch_size, split, max_gap, ...).
    """

    generate_sample = staticmethod(ensure_tracking_sample)

    def __init__(
        self,
        path: str | None,
        cache_dir: str,
        sample: Mapping[str, Any],
        fps: float,
        resample_fps: float | None,
        sequence_length: int,
        horizon: int,
        augment: Mapping[str, Any] | None = None,
        **engine: Any,
    ) -> None:
        augment = dict(augment or {})
        noise_std = float(augment.pop("noise_std", 0.0))
        time_warp = float(augment.pop("time_warp", 0.0))
        if "warp_anchor" in augment:
            raise ConfigError(
                "data.augment.warp_anchor",
                "tracking windows are always warped around their target frame",
                "remove the key",
            )
        _check_positive("data.sequence_length", sequence_length)
        _check_positive("data.horizon", horizon)
        if not 0 <= time_warp < 1:
            raise ConfigError("data.augment.time_warp", f"must be in [0, 1), got {time_warp}")
        if fps <= 0 or (resample_fps is not None and resample_fps <= 0):
            raise ConfigError("data.fps", f"frame rates must be positive, got {fps} and {resample_fps}")
        self.warp_margin = math.ceil((sequence_length + horizon - 1) * time_warp)
        super().__init__(window=sequence_length + horizon + self.warp_margin, augment=augment, **engine)
        self.set_source(path, cache_dir, sample)
        self.fps = fps
        self.resample_fps = resample_fps
        self.sequence_length = sequence_length
        self.horizon = horizon
        self.time_warp = time_warp
        self.input_noise = Augment(noise_std=noise_std)
        self.timings: dict[str, SessionTiming | None] = {}
        self._resampling: dict[str, int] = {}

    def load_recordings(self) -> list[Recording]:
        sessions = read_tracking_path(self.data_path(), self.fps)
        self.timings = {
            r.name: session_timing(r.meta["time"]) if r.meta["time"] is not None else None for r in sessions
        }
        if self.resample_fps is None:
            return sessions
        resampled = [segment for session in sessions for segment in self._resample(session)]
        self._resampling = {
            "sessions": len(sessions),
            "segments": len(resampled),
            "frames_before": sum(len(r) for r in sessions),
            "frames_after": sum(len(r) for r in resampled),
        }
        return resampled

    def _resample(self, session: Recording) -> list[Recording]:
        times = session.meta["time"]
        if times is None:
            raise DataFormatError(
                session.source,
                f"has no timestamps, so it cannot be resampled to data.resample_fps={self.resample_fps}",
                "record timestamps (the DataCollector does) or set data.resample_fps=null",
            )
        segments = resample_session(session.frames, times, self.resample_fps, self.max_gap)
        return [
            Recording(
                name=session.name if len(segments) == 1 else f"{session.name}/{k}",
                frames=frames,
                feature_names=session.feature_names,
                fps=self.resample_fps,
                group=session.group,
                source=session.source,
                meta={**session.meta, "time": None, "segment": k},
            )
            for k, frames in enumerate(segments)
        ]

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        self.input_noise.set_feature_std(self.feature_stats.std)

    def spec_extras(self) -> dict[str, Any]:
        groups = joint_groups(self._feature_names)
        return {
            "sequence_length": self.sequence_length,
            "horizon": self.horizon,
            "joint_groups": {g: [self._feature_names[i] for i in index] for g, index in groups.items()},
            "units": {g: UNITS.get(g, "") for g in groups},
        }

    def extend_report(self, report: DataReport) -> None:
        total = sum(len(r) for split in self.windows.values() for r in split.recordings)
        summary, warnings = timing_summary(self.timings, self.fps, self.resample_fps, self.max_gap, total)
        if self._resampling:
            summary["resampled"] = self._resampling
        report.extras["timing"] = summary
        report.extras["forecast"] = {
            "sequence_length": self.sequence_length,
            "horizon": self.horizon,
            "window_with_warp_margin": self.window,
        }
        for warning in warnings:
            report.warn(warning)

    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        """Windows ``[B, window, F]`` → ``x`` (the first ``sequence_length`` frames) and ``target`` (the
        last frame), augmented on the device for training batches only."""
        window = batch["x"]
        training = self.trainer is not None and self.trainer.training
        length = self.sequence_length + self.horizon
        if training and self.time_warp > 0:
            positions = warp_positions(
                window.shape[0], length, self.time_warp, 1.0, window.device, source_length=window.shape[1]
            )
            window = resample_time(window, positions)
        else:
            window = window[:, window.shape[1] - length :]
        if training and self.augment.active:
            window = self.augment({"x": window})["x"]
        batch = {"x": window[:, : self.sequence_length], "target": window[:, -1]}
        if training and self.input_noise.active:
            batch = self.input_noise(batch)
        return batch


def _check_positive(key: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(key, f"must be a positive integer, got {value!r}")
