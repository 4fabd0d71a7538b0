"""`OnnxMotionModel`: run an exported motionlab model with ONNX Runtime and NumPy only.

This is the reference for app developers: the model file carries its own metadata (feature order,
window, frame rate, class names, what each output means), so nothing else needs to ship with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from motionlab.inference.sliding import overlap_average, sliding_windows

TIME_AXIS = "time"


def read_metadata(session: ort.InferenceSession) -> dict[str, Any]:
    """The motionlab metadata of a loaded model (every ``metadata_props`` value is JSON)."""
    return {key: json.loads(value) for key, value in session.get_modelmeta().custom_metadata_map.items()}


def neutral_calibration(metadata: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """For a model with per-person calibration inputs (its metadata's ``calibration``): mean 0 and
    spread 1, the training population's standardisation; ``{}`` for any other model."""
    settings = metadata.get("calibration")
    if not settings:
        return {}
    mean, std = settings["inputs"]
    return {mean: np.zeros(settings["shape"], np.float32), std: np.ones(settings["shape"], np.float32)}


def model_feeds(
    session: ort.InferenceSession, windows: np.ndarray, calibration: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """One call's inputs: ``windows`` as the model's first input, and a per-person model's calibration
    (``calibration``, or `neutral_calibration` when none is given)."""
    feeds = {session.get_inputs()[0].name: windows}
    if len(session.get_inputs()) > 1:
        given = {name: np.asarray(value, np.float32) for name, value in (calibration or {}).items()}
        feeds.update(given or neutral_calibration(read_metadata(session)))
    elif calibration:
        raise ValueError("this model takes no per-person calibration")
    return feeds


def cpu_session(path: Path, threads: int | None) -> ort.InferenceSession:
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads (None: its default)."""
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMotionModel:
    """An exported model, loaded with ONNX Runtime on the CPU.

    Args:
        path: the ``.onnx`` file written by ``export.py``.
        threads: intra-op threads (None = ONNX Runtime's default, every core).
    """

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        self.path = Path(path)
        self.session = cpu_session(self.path, threads)
        self.metadata = read_metadata(self.session)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [output.name for output in self.session.get_outputs()]
        #: what `predict` feeds a per-person model without a person's calibration (read once here,
        #: not from the model's metadata on every call)
        self.neutral_calibration = neutral_calibration(self.metadata)

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["feature_names"])

    @property
    def window(self) -> int:
        return int(self.metadata["window"])

    @property
    def fps(self) -> float:
        return float(self.metadata["fps"])

    @property
    def class_names(self) -> list[str]:
        return list(self.metadata.get("class_names", []))

    def per_frame_outputs(self) -> list[str]:
        """Outputs with a time axis (one value per input frame), e.g. a rep-start probability."""
        return [
            name for name in self.output_names if TIME_AXIS in self.metadata["outputs"][name]["shape"][1:2]
        ]

    def predict(
        self, windows: np.ndarray, calibration: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Raw features ``[B, T, F]`` (columns in `feature_names` order) → outputs by name;
        ``calibration``: one person's (`calibrate`), for a model that takes one (without it such a
        model standardises as for the training people on average: `neutral_calibration`)."""
        windows = np.ascontiguousarray(windows, dtype=np.float32)
        if windows.ndim != 3 or windows.shape[2] != len(self.feature_names):
            raise ValueError(
                f"expected windows [batch, time, {len(self.feature_names)}] in the order of "
                f"feature_names, got shape {windows.shape}"
            )
        feeds = model_feeds(self.session, windows, calibration or self.neutral_calibration)
        values = self.session.run(self.output_names, feeds)
        return dict(zip(self.output_names, values, strict=True))

    @property
    def calibration_inputs(self) -> list[str]:
        """The per-person calibration inputs the model takes (none for most models)."""
        return list((self.metadata.get("calibration") or {}).get("inputs", []))

    def calibrate(self, windows: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
        """One person's calibration, for a model exported with per-person standardisation (its
        metadata's ``calibration``): the mean and standard deviation of its ``window_features`` over
        that person's windows ``[B, T, F]``, which must cover the person's activities as their use
        will: a calibration that misses activities answers worse than none (docs/apps.md)."""
        settings = self.metadata.get("calibration")
        if settings is None:
            raise ValueError(f"{self.path}: this model takes no per-person calibration")
        features = np.concatenate(
            [
                self.predict(windows[i : i + batch_size])["window_features"]
                for i in range(0, len(windows), batch_size)
            ]
        )
        mean_name, std_name = settings["inputs"]
        return {mean_name: features.mean(0), std_name: features.std(0).clip(min=settings["min_std"])}

    def run_recording(
        self,
        frames: np.ndarray,
        stride: int | None = None,
        batch_size: int = 256,
        calibration: Mapping[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """A whole recording ``[T, F]`` through sliding windows of `window` frames.

        Per-frame outputs are averaged over the windows that cover each frame (``[T, ...]``); per-window
        outputs come back per window (``[N, ...]``) with their start frames under ``window_starts``;
        ``calibration``: the person's (`calibrate`), for a model that takes one.
        ``stride`` defaults to a quarter window. The frames must be gap-free (no NaN rows).
        """
        frames = np.asarray(frames, dtype=np.float32)
        if frames.ndim != 2 or frames.shape[1] != len(self.feature_names):
            raise ValueError(f"expected frames [T, {len(self.feature_names)}], got shape {frames.shape}")
        if np.isnan(frames).any():
            row = int(np.flatnonzero(np.isnan(frames).any(axis=1))[0])
            raise ValueError(f"frame {row} has NaN features: fill dropped frames before inference")
        if len(frames) < self.window:
            raise ValueError(f"the recording has {len(frames)} frames, fewer than one window ({self.window})")
        starts, windows = sliding_windows(frames, self.window, stride or max(1, self.window // 4))
        chunks = [
            self.predict(windows[i : i + batch_size], calibration) for i in range(0, len(windows), batch_size)
        ]
        outputs = {name: np.concatenate([c[name] for c in chunks]) for name in self.output_names}
        per_frame = self.per_frame_outputs()
        result = {
            name: overlap_average(values, starts, len(frames)) if name in per_frame else values
            for name, values in outputs.items()
        }
        result["window_starts"] = starts
        return result
