"""AMP/AWD motion JSON clips: the reader, its errors, the sidecar trap, and the shipped Go-BDX clips."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from motionlab.data.reference.format import read_reference_clip, read_reference_dir, write_reference_clip
from motionlab.errors import DataFormatError

REPO = Path(__file__).resolve().parents[3]
AWD = REPO / "datasets" / "awd_go_bdx"
NAMES = ["left_knee", "right_knee"]


def amp_clip(joints: np.ndarray, **changes: Any) -> dict[str, Any]:
    """An AMP motion document: 3 root values, the joints, then their velocities, as AWD lays frames out."""
    frames = np.concatenate([np.full((len(joints), 3), 0.25), joints, np.gradient(joints, axis=0)], axis=1)
    size = joints.shape[1]
    content = {
        "LoopMode": "Clamp",
        "FPS": 60,
        "Joints": NAMES[:size],
        "Vel_x": 0.2,
        "Placo": {"dx": 0.1},
        "Frame_offset": [{"root_pos": 0, "joints_pos": 3, "joints_vel": 3 + size}],
        "Frame_size": [{"root_pos": 3, "joints_pos": size, "joints_vel": size}],
        "Frames": frames.tolist(),
    }
    content.update(changes)
    return content


def write_json(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return path


JOINTS = np.stack([np.linspace(0.0, 1.0, 12), np.linspace(0.5, -0.5, 12)], axis=1)


def test_an_amp_clip_reads_its_joint_positions_rate_loop_and_metadata(tmp_path: Path) -> None:
    path = write_json(tmp_path / "walk.json", amp_clip(JOINTS, LoopMode="Wrap"))
    clip = read_reference_clip(path)
    np.testing.assert_allclose(clip.joints, JOINTS, atol=1e-7)
    assert clip.name == "walk" and clip.joint_names == tuple(NAMES)
    assert clip.fps == 60.0 and clip.loop is True and clip.described_by == str(path)
    assert clip.meta == {"Vel_x": 0.2, "Placo": {"dx": 0.1}}
    # FrameDuration stands in for FPS (AWD writes 0.0167 for 60 fps); a dict works like AWD's [dict]
    content = amp_clip(
        JOINTS, Frame_offset={"joints_pos": 3}, Frame_size={"joints_pos": 2}, FrameDuration=0.0167
    )
    del content["FPS"]
    clip = read_reference_clip(write_json(tmp_path / "dur.json", content))
    assert clip.fps == 60.0 and clip.loop is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"Frame_offset": [{"root_pos": 0}]},
            "'Frame_offset' has no 'joints_pos' entry (it has ['root_pos'])",
        ),
        ({"Frame_size": "16"}, "'Frame_size' must map part names to columns"),
        (
            {"Joints": ["only_one"]},
            "'Joints' must list the 2 joint names of Frame_size['joints_pos'], got 1 names",
        ),
        ({"Frame_offset": [{"joints_pos": 6}]}, "'joints_pos' spans columns 6..7 but frames have 7 values"),
        ({"LoopMode": "Loop"}, "'LoopMode' must be one of ['Clamp', 'Wrap'], got 'Loop'"),
        ({"FPS": 0}, "'fps' must be a positive number, got 0"),
        ({"Frames": []}, "'Frames' must be a non-empty list of frames"),
        ({"Frames": [[0.0] * 7, [0.0] * 6]}, "'Frames' row 1 has 6 values but row 0 has 7"),
        ({"Frames": [[0.0] * 7, [0.0] * 6 + ["x"]]}, "'Frames' holds a value that is not a number"),
        ({"Frames": [[0.0] * 7]}, "has 1 frame(s); a clip needs at least 2"),
    ],
)
def test_a_malformed_amp_clip_names_the_file_the_field_and_the_fix(tmp_path: Path, changes, message) -> None:
    path = write_json(tmp_path / "bad.json", amp_clip(JOINTS, **changes))
    with pytest.raises(DataFormatError, match=f"^{re.escape(str(path))}: .*{re.escape(message)}.* — "):
        read_reference_clip(path)


def test_json_that_is_neither_clip_nor_sidecar_is_an_error_alone_and_ignored_in_a_folder(
    tmp_path: Path,
) -> None:
    notes = write_json(tmp_path / "notes.json", {"author": "me"})
    with pytest.raises(
        DataFormatError, match=r"notes.json: has no 'Frames' array: .*no notes.npy next to it"
    ):
        read_reference_clip(notes)
    write_json(tmp_path / "walk.json", amp_clip(JOINTS))
    write_reference_clip(tmp_path / "npy_clip.npy", JOINTS, NAMES, 60.0, False)  # .npy + its .json sidecar
    assert [clip.name for clip in read_reference_dir(tmp_path)] == ["npy_clip", "walk"]


def test_a_motion_json_next_to_a_npy_of_the_same_name_is_never_its_sidecar(tmp_path: Path) -> None:
    """The trap of issue 22: walk.npy (converted joints) saved next to AWD's walk.json silently took
    the AWD file as its sidecar (fps 30 instead of 60, joints joint_0...)."""
    np.save(tmp_path / "walk.npy", JOINTS.astype(np.float32))
    write_json(tmp_path / "walk.json", amp_clip(JOINTS))
    with pytest.raises(
        DataFormatError, match=r"walk.json: is a motion clip \(it has 'Frames'\), not the sidecar of walk.npy"
    ):
        read_reference_clip(tmp_path / "walk.npy")
    with pytest.raises(DataFormatError, match=r"clip id 'walk' is also used by"):
        read_reference_dir(tmp_path)


def test_the_shipped_go_bdx_clips_read_as_awd_wrote_them() -> None:
    clips = read_reference_dir(AWD)
    assert len(clips) == 18 and {clip.name for clip in clips} >= {"forward_slow", "ang_right_medium"}
    assert all(clip.joints.shape == (600, 16) and clip.fps == 60.0 and clip.loop for clip in clips)
    assert clips[0].joint_names[:3] == ("left_hip_yaw", "left_hip_roll", "left_hip_pitch")
    forward = next(clip for clip in clips if clip.name == "forward_medium")
    assert forward.meta["Placo"]["dx"] == 0.1 and forward.meta["Placo"]["single_support_duration"] == 0.35
    assert (AWD / "LICENSE.txt").read_text().startswith("NVIDIA License")
