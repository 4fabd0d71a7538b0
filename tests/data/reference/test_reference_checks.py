"""Clip checks: loops whose ends do not meet, joints that never move, the gait cycle estimate, and
how the datamodule reports them (warnings, frozen joints, per-clip fps/loop/source)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionlab.data.reference.checks import broken_loops, estimate_cycle, still_joints
from motionlab.data.reference.format import ReferenceClip, write_reference_clip
from motionlab.errors import DataFormatError
from tests.data.reference.test_reference_pairs import make_datamodule

NAMES = ("hip", "knee", "antenna")


def gait(frames: int, cycle: float, offset: float = 0.0) -> np.ndarray:
    """A two-harmonic gait of ``cycle`` frames on hip and knee; the antenna never moves."""
    angle = 2 * np.pi * (np.arange(frames) + offset) / cycle
    return np.stack(
        [0.3 * np.sin(angle), 0.2 * np.cos(angle) + 0.05 * np.sin(2 * angle), np.full(frames, 0.1)], axis=1
    ).astype(np.float32)


def clip(name: str, joints: np.ndarray, loop: bool) -> ReferenceClip:
    return ReferenceClip(name, joints, NAMES, 60.0, loop, f"{name}.npy")


def test_a_loop_must_end_where_it_starts() -> None:
    closed = clip("closed", gait(40, 40), loop=True)  # frame 39 leads back to frame 0
    cut = clip("cut", gait(50, 40), loop=True)  # stops a quarter cycle past its start pose
    straight = clip("straight", gait(50, 40), loop=False)  # not a loop: nothing to meet
    gaps = broken_loops([closed, cut, straight])
    assert list(gaps) == ["cut"] and gaps["cut"] == pytest.approx(0.3, abs=0.01)


def test_still_joints_and_the_gait_cycle() -> None:
    assert still_joints([clip("a", gait(50, 40), False), clip("b", gait(30, 20), False)]) == [2]
    for cycle in (20.0, 37.3, 49.5):  # fractional cycles stay in step over the whole clip
        assert estimate_cycle(gait(600, cycle, offset=3.0)) == pytest.approx(cycle, abs=0.15)
    assert estimate_cycle(np.random.default_rng(0).normal(size=(300, 3))) == 0.0  # noise has no cycle
    assert estimate_cycle(gait(20, 5)) == 0.0  # too short to tell


def write_gait_clips(path: Path, train_loop: bool) -> Path:
    write_reference_clip(path / "straight.npy", gait(80, 30), NAMES, 60.0, train_loop)  # 2 2/3 cycles
    write_reference_clip(path / "loop.npy", gait(60, 30, offset=7), NAMES, 60.0, False, cycle_frames=30)
    for name in ("v", "t"):
        write_reference_clip(path / f"{name}.npy", gait(90, 30, offset=11), NAMES, 60.0, False)
    return path


def test_the_report_warns_freezes_and_says_where_each_clip_came_from(tmp_path: Path) -> None:
    datamodule = make_datamodule(write_gait_clips(tmp_path, train_loop=True), target="delta")
    warnings = datamodule.report.warnings
    assert any(
        "marked as loops but their last frame does not lead back" in w and "straight (" in w for w in warnings
    )
    assert any("joint(s) ['antenna'] never move in the training clips; frozen" in w for w in warnings)
    assert datamodule.spec.extras["frozen_joints"] == ["antenna"]
    listed = {row["name"]: row for split in datamodule.report.extras["clip_files"].values() for row in split}
    assert listed["straight"]["fps"] == 60.0 and listed["straight"]["loop"] is True
    assert listed["straight"]["described_by"] == str(tmp_path / "straight.json")
    assert listed["straight"]["joint_names"] == list(NAMES)
    report = datamodule.report.to_dict()
    assert report["clip_files"]["test"][0]["name"] == "t" and report["pairs"]["frozen_joints"] == ["antenna"]


def test_loop_override_cycle_and_command_shape_the_states(tmp_path: Path) -> None:
    path = write_gait_clips(tmp_path, train_loop=True)
    for name in ("straight", "loop", "v", "t"):  # a command key in each clip's sidecar
        sidecar = path / f"{name}.json"
        sidecar.write_text(sidecar.read_text().replace('"loop"', '"speed": 0.5, "loop"'))
    datamodule = make_datamodule(
        path,
        loop_override=False,
        still_joints="keep",
        state={"velocities": False, "phase": "auto", "cycle": "estimate", "command": ["speed"]},
    )
    assert not any("marked as loops" in w for w in datamodule.report.warnings)
    assert any("never move" in w and "kept" in w for w in datamodule.report.warnings)
    assert datamodule.spec.extras["frozen_joints"] == []
    cycles = {c["name"]: c["cycle"] for c in datamodule.spec.extras["train_clips"]}
    assert cycles["loop"] == 30.0 and cycles["straight"] == pytest.approx(30.0, abs=0.15)  # sidecar, estimate
    assert datamodule.layout.feature_names[-3:] == ["phase_sin", "phase_cos", "command/speed"]
    states = datamodule.windows["train"].frames
    assert np.allclose(states[:, -1], 0.5)
    with pytest.raises(DataFormatError, match=r"loop.json: command key 'missing' .* is None for clip 'loop'"):
        make_datamodule(
            path, state={"velocities": False, "phase": "auto", "cycle": False, "command": ["missing"]}
        )
