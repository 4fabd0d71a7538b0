"""``case.json``: the example inputs of the Node.js and browser examples, from any exported run.

    python -m motionlab.export.case outputs/<name>/<time>            # → <run>/export/case.json
    python -m motionlab.export.case outputs/<name>/<time> --windows 12 --out my_case.json

A case holds a recorded session (the first frames of the run's own test split, in feature_names
order) and what Python ONNX Runtime computes from it with the exported model: one batch of windows
(``input`` / ``expected``, what ``examples/onnx-node`` checks) and every window of the session run
alone at batch 1, as an app does it (``session``, what ``examples/web`` runs and checks), and, for a
run exported with ``export.streaming=true``, the streaming model's outputs frame by frame. A model with
per-person calibration inputs (``experiment=imu_per_person``) is fed the calibration of the session's
own windows (``calibration``, `OnnxMotionModel.calibrate`), which both examples feed too.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from motionlab.export.pipeline import load_test_split
from motionlab.files import write_json_atomic
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.sliding import sliding_windows
from motionlab.inference.streaming import StreamingMotionModel
from motionlab.runs.layout import EXPORT_DIR, RUN_CONFIG

TOLERANCE = 1e-4  # |runtime − Python ONNX Runtime| <= TOLERANCE × max(1, |Python|), per element


def _array(values: np.ndarray) -> dict[str, Any]:
    return {"shape": list(values.shape), "data": np.asarray(values, dtype=np.float64).ravel().tolist()}


def build_case(model: OnnxMotionModel, frames: np.ndarray, windows: int, batch: int = 3) -> dict[str, Any]:
    """The case for ``model`` on the first ``windows`` half-overlapping windows of ``frames [T, F]``
    (a stride of half a window), and a batch of ``batch`` windows from the same frames. With a
    streaming export beside the model, also its outputs for every frame of the session (``streaming``)."""
    window, stride = model.window, max(1, model.window // 2)
    length = window + (windows - 1) * stride
    if len(frames) < length:
        raise ValueError(f"the recording has {len(frames)} frames; {windows} windows need {length}")
    session_frames = np.ascontiguousarray(frames[:length], dtype=np.float32)
    starts, stacked = sliding_windows(session_frames, window, stride)
    # a model with per-person calibration inputs: the session's own windows stand for the person's
    calibration = model.calibrate(stacked) if model.calibration_inputs else None
    per_window = [model.predict(stacked[i : i + 1], calibration) for i in range(len(starts))]
    batch_input = np.ascontiguousarray(stacked[:batch])
    streaming_path = model.path.with_name(f"{model.path.stem}.streaming.onnx")
    streaming = {}
    if streaming_path.is_file():
        streamed = StreamingMotionModel(streaming_path, threads=1).run(session_frames)
        expected = {name: _array(value) for name, value in streamed.items()}
        streaming = {"streaming": {"model": streaming_path.name, "expected": expected}}
    fed = {"calibration": {name: _array(value) for name, value in calibration.items()}} if calibration else {}
    return {
        **streaming,
        **fed,
        "model": model.path.name,
        "tolerance": TOLERANCE,
        "input": _array(batch_input),
        "expected": {name: _array(value) for name, value in model.predict(batch_input, calibration).items()},
        "session": {
            "frames": _array(session_frames),
            "fps": model.fps,
            "stride": stride,
            "window_starts": starts.tolist(),
            "expected": {
                name: _array(np.concatenate([out[name] for out in per_window])) for name in model.output_names
            },
        },
    }


def write_case(run_dir: Path, model_path: Path, out: Path, windows: int) -> Path:
    """Build the case of ``model_path`` on ``run_dir``'s test split and write it to ``out``."""
    config = OmegaConf.load(run_dir / RUN_CONFIG)
    model = OnnxMotionModel(model_path, threads=1)
    frames = load_test_split(config, 1).frames
    write_json_atomic(out, build_case(model, frames, windows))
    return out


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.export.case`` (and of ``motionlab export-case``)."""
    parser = argparse.ArgumentParser(
        prog="python -m motionlab.export.case", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("run", type=Path, help="a run directory (outputs/<name>/<time>) with an export")
    parser.add_argument("--model", type=Path, help="the exported model (default <run>/export/model.onnx)")
    parser.add_argument("--out", type=Path, help="where to write (default: case.json beside the model)")
    parser.add_argument("--windows", type=int, default=8, help="windows in the recorded session (8)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    command_line = parser()
    args = command_line.parse_args(argv)
    model_path = args.model or args.run / EXPORT_DIR / "model.onnx"
    for path in (args.run / RUN_CONFIG, model_path):
        if not path.is_file():
            command_line.error(f"{path}: not found; export the run first (make export ARGS=run={args.run})")
    out = write_case(args.run, model_path, args.out or model_path.with_name("case.json"), args.windows)
    print(f"wrote {out} ({os.path.getsize(out) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
