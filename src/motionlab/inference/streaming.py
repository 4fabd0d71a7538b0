"""`StreamingMotionModel`: a streaming export (``export.streaming=true``) fed one frame at a time.

The ``*.streaming.onnx`` file takes ``features [B, 1, F]`` and one ``state_<name>`` input per piece of
state (an LSTM's hidden and cell state, a causal TCN block's past activations, a running mean), and
returns the task's outputs for that frame plus ``next_state_<name>``. This class keeps the state
between calls, so an app hands it each new frame as it arrives instead of re-running a whole window.
NumPy and ONNX Runtime only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlab.inference.onnx_model import cpu_session, read_metadata

STATE_PREFIX = "state_"
NEXT_STATE_PREFIX = "next_state_"


class StreamingMotionModel:
    """A streaming export, loaded with ONNX Runtime on the CPU, with its state.

    Args:
        path: the ``*.streaming.onnx`` file written by ``export.py export.streaming=true``.
        threads: intra-op threads (None = ONNX Runtime's default).
        batch: how many streams run side by side (one state each).
    """

    def __init__(self, path: str | Path, threads: int | None = None, batch: int = 1) -> None:
        self.path = Path(path)
        self.session = cpu_session(self.path, threads)
        self.metadata = read_metadata(self.session)
        if "streaming" not in self.metadata:
            raise ValueError(f"{path} is not a streaming export (no 'streaming' metadata)")
        inputs = [i.name for i in self.session.get_inputs()]
        self.input_name = inputs[0]
        self.state_names = [name.removeprefix(STATE_PREFIX) for name in inputs[1:]]
        self.output_names = [
            o.name for o in self.session.get_outputs() if not o.name.startswith(NEXT_STATE_PREFIX)
        ]
        self.state: dict[str, np.ndarray] = {}
        self.reset(batch)

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["feature_names"])

    def reset(self, batch: int = 1) -> None:
        """Zero state for ``batch`` new streams: the next frame is the first of each."""
        shapes = {entry["name"]: entry["shape"] for entry in self.metadata["streaming"]["state"]}
        self.state = {name: np.zeros((batch, *shapes[name]), np.float32) for name in self.state_names}

    def step(self, frame: np.ndarray) -> dict[str, np.ndarray]:
        """The outputs for one new frame: ``[F]`` (one stream) or ``[B, F]``; per-frame outputs come
        back without their time axis of 1."""
        frame = np.asarray(frame, dtype=np.float32)
        single = frame.ndim == 1
        batch = frame.reshape(1 if single else len(frame), 1, -1)
        feeds = {self.input_name: batch, **{STATE_PREFIX + n: v for n, v in self.state.items()}}
        names = self.output_names + [NEXT_STATE_PREFIX + n for n in self.state_names]
        values = dict(zip(names, self.session.run(names, feeds), strict=True))
        self.state = {n: values[NEXT_STATE_PREFIX + n] for n in self.state_names}
        per_frame = set(self.metadata["streaming"]["per_frame_outputs"])
        outputs = {n: values[n][:, 0] if n in per_frame else values[n] for n in self.output_names}
        return {n: v[0] for n, v in outputs.items()} if single else outputs

    def run(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Every frame of ``frames [T, F]`` (or ``[B, T, F]``) in turn, continuing from the current
        state: each output stacked over time as ``[T, ...]`` (``[B, T, ...]``)."""
        frames = np.asarray(frames, dtype=np.float32)
        steps = [self.step(frames[..., t, :]) for t in range(frames.shape[-2])]
        axis = 0 if frames.ndim == 2 else 1
        return {name: np.stack([s[name] for s in steps], axis=axis) for name in self.output_names}
