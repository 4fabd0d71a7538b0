"""Prediction-table columns: window positions in recordings (pieces, timestamps) and flattened outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlab.data.recording import Recording
from motionlab.data.windows import build_window_set
from motionlab.evaluation.predictions import flat_columns, prediction_table, window_positions


def _recording(name: str, length: int, fps: float = 10.0, **meta) -> Recording:
    frames = np.arange(length * 2, dtype=np.float32).reshape(length, 2)
    return Recording(name, frames, ["a", "b"], fps, group=f"g-{name}", source=f"{name}.npz", meta=meta)


def test_window_positions_count_from_the_recording_as_read_and_use_its_timestamps():
    plain = _recording("plain", 7)
    piece = _recording("piece", 6, parent="video", first_frame=40)  # cut out at a long gap
    stamped = _recording("stamped", 5, time=np.array([0.0, 0.1, 0.25, 0.3, 0.42]))
    windows = build_window_set([plain, piece, stamped], window=3, stride=2, frame_targets=[{}, {}, {}])
    positions = window_positions(windows)
    assert positions["recording"].tolist() == ["plain"] * 3 + ["piece"] * 2 + ["stamped"] * 2
    assert positions["group"].tolist()[3] == "g-piece"
    assert positions["start_frame"].tolist() == [0, 2, 4, 40, 42, 0, 2]
    assert (positions["end_frame"] - positions["start_frame"]).tolist() == [3] * 7
    np.testing.assert_allclose(positions["start_time_s"], [0.0, 0.2, 0.4, 4.0, 4.2, 0.0, 0.25])
    # the end of a window is the end of its last frame: its timestamp (or frame / fps) + 1 / fps
    np.testing.assert_allclose(positions["end_time_s"], [0.3, 0.5, 0.7, 4.3, 4.5, 0.35, 0.52])


def test_outputs_are_flattened_with_their_names_and_targets_take_matching_names():
    single = flat_columns("score", np.array([1.0, 2.0]), None)
    assert list(single) == ["score"] and single["score"].tolist() == [1.0, 2.0]
    values = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    columns = flat_columns("phase_probs", values, ["stance", "swing"])
    assert list(columns) == [f"phase_probs/{t}/{p}" for t in range(3) for p in ("stance", "swing")]
    np.testing.assert_array_equal(columns["phase_probs/2/swing"], values[:, 2, 1])
    many = flat_columns("rep", np.zeros((1, 12)), None)
    assert list(many)[:2] == ["rep/00", "rep/01"] and "rep/11" in many

    windows = build_window_set([_recording("r", 4)], window=2, stride=2, frame_targets=[{}])
    table = prediction_table(
        windows,
        ["test", "test"],
        {"probs": torch.tensor([[0.2, 0.8], [0.6, 0.4]]), "score": torch.tensor([1.5, 2.5])},
        {"label": torch.tensor([1, 0]), "mix": torch.tensor([[0.0, 1.0], [1.0, 0.0]])},
        {"probs": ["walk", "run"]},
        ("label", ["walk", "run"]),
    ).to_pydict()
    assert list(table)[:8] == [
        "split",
        "recording",
        "group",
        "start_frame",
        "end_frame",
        "start_time_s",
        "end_time_s",
        "probs/walk",
    ]
    assert table["probs/run"] == pytest.approx([0.8, 0.4]) and table["score"] == [1.5, 2.5]
    # a target shaped like a named output (here soft class labels) takes its names
    assert table["true_mix/walk"] == [0.0, 1.0] and table["true_label_name"] == ["run", "walk"]
