"""The collector: seed 000's recorder and ours both write files the reader accepts as they are."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from motionlab.data.tracking.collector import DataCollector
from motionlab.data.tracking.format import read_tracking_file
from motionlab.errors import DataFormatError


class SeedDataCollector:
    """Seed 000's ``DataCollector``, verbatim but for the print."""

    def __init__(self, output_file="training_data.json"):
        self.sequences = []
        self.current_sequence = []
        self.output_file = output_file

    def add_frame(self, head_rot, hips_rot, left_arm, right_arm):
        frame = {
            "timestamp": datetime.now().isoformat(),
            "head": head_rot,
            "hips": hips_rot,
            "left_arm": left_arm,
            "right_arm": right_arm,
        }
        self.current_sequence.append(frame)

    def save_sequence(self):
        if len(self.current_sequence) > 0:
            self.sequences.append(self.current_sequence)
            self.current_sequence = []
            self.save_to_file()

    def save_to_file(self):
        with open(self.output_file, "w") as f:
            json.dump(self.sequences, f, indent=2)


def record(collector, sessions: list[np.ndarray], start: datetime | None = None) -> None:
    for frames in sessions:
        for k, row in enumerate(frames.tolist()):
            vectors = (row[0:3], row[3:6], row[6:9], row[9:12])
            if start is None:
                collector.add_frame(*vectors)
            else:
                collector.add_frame(*vectors, timestamp=start + timedelta(milliseconds=33 * k))
        collector.save_sequence()


@pytest.mark.parametrize("collector_class", [SeedDataCollector, DataCollector])
def test_collector_output_is_read_back_as_is(tmp_path: Path, collector_class: type) -> None:
    rng = np.random.default_rng(0)
    sessions = [rng.normal(0, 20, (12, 12)), rng.normal(0, 20, (7, 12))]
    path = tmp_path / "training_data.json"
    record(collector_class(str(path)), sessions)
    recordings = read_tracking_file(path, fps=30.0)
    assert [r.name for r in recordings] == ["training_data#0", "training_data#1"]
    for recording, frames in zip(recordings, sessions, strict=True):
        np.testing.assert_allclose(recording.frames, frames, rtol=1e-6)
        times = recording.meta["time"]
        assert len(times) == len(frames) and times[0] == 0 and (np.diff(times) > 0).all()
    assert json.loads(path.read_text())[0][0].keys() == {"timestamp", "head", "hips", "left_arm", "right_arm"}


def test_collector_appends_to_an_existing_file_and_keeps_it_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "rec.json"
    rng = np.random.default_rng(1)
    start = datetime(2025, 3, 1, 10)
    record(SeedDataCollector(str(path)), [rng.normal(size=(4, 12))])
    before = json.loads(path.read_text())
    collector = DataCollector(path)
    record(collector, [rng.normal(size=(5, 12))], start)
    document = json.loads(path.read_text())
    assert document[0] == before[0] and len(document) == 2
    assert document[1][1]["timestamp"] == "2025-03-01T10:00:00.033000"
    assert [len(r) for r in read_tracking_file(path, fps=30.0)] == [4, 5]
    fresh = DataCollector(path, append=False)
    record(fresh, [rng.normal(size=(3, 12))])
    assert [len(r) for r in read_tracking_file(path, fps=30.0)] == [3]


def test_collector_rejects_bad_frames_when_they_are_added(tmp_path: Path) -> None:
    collector = DataCollector(tmp_path / "rec.json")
    collector.add_frame([0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0])
    with pytest.raises(ValueError, match=r"frame 1: 'hips' must be 3 finite numbers, got \[0, 0\]"):
        collector.add_frame([0, 0, 0], [0, 0], [0, 0, 0], [0, 0, 0])
    with pytest.raises(ValueError, match="frame 1: 'left_arm' must be 3 finite numbers"):
        collector.add_frame([0, 0, 0], [0, 0, 0], [0, float("nan"), 0], [0, 0, 0])
    with pytest.raises(ValueError, match="frame 1: 'right_arm' must be 3 finite numbers"):
        collector.add_frame([0, 0, 0], [0, 0, 0], [0, 0, 0], ["1", 0, 0])
    with pytest.raises(ValueError, match="frame 1: timestamp 'noon' is not an ISO 8601"):
        collector.add_frame([0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], timestamp="noon")
    collector.add_frame(np.zeros(3, np.float32), [1, 2, 3], (0.5, 0.5, 0.5), [0, 0, 0])
    collector.save_sequence()
    collector.save_sequence()  # an empty session is not saved
    assert [len(r) for r in read_tracking_file(tmp_path / "rec.json", fps=30.0)] == [2]


def test_collector_refuses_to_extend_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "rec.json"
    path.write_text('[[{"head": [0, 0, 0]}]]')
    with pytest.raises(DataFormatError, match="session 0, frame 0: missing key 'hips'"):
        DataCollector(path)
