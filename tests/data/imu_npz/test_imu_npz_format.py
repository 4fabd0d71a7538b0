"""The IMU .npz reader: features and labels from the file, clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionlab.data.imu_npz.format import FEATURES, read_imu_session
from motionlab.errors import DataFormatError

SESSIONS = Path(__file__).parent / "sessions"


def test_a_session_becomes_a_labelled_recording():
    recording = read_imu_session(SESSIONS / "s0.npz", ["sit", "stand", "walk"])
    assert recording.frames.shape == (600, 6) and recording.feature_names == FEATURES
    assert recording.group == "subject0" and recording.fps == 50.0
    assert np.array_equal(np.bincount(recording.targets["label"]), [200, 200, 200])


def test_bad_sessions_name_the_file_and_the_fix(tmp_path):
    np.savez(tmp_path / "bad.npz", acc=np.zeros((5, 3)))
    with pytest.raises(DataFormatError, match=r"bad\.npz: missing arrays \['gyro'"):
        read_imu_session(tmp_path / "bad.npz", ["sit"])
    with pytest.raises(DataFormatError, match=r"activities \['stand', 'walk'\] are not in data.classes"):
        read_imu_session(SESSIONS / "s0.npz", ["sit"])
