"""A value float32 cannot hold (|x| > 3.4e38) is an input error naming the file, row and column — not
an infinity the file never held, found after the cast."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlab.data.csv_frames.format import read_pose_csvs
from motionlab.data.reference.format import read_reference_clip
from motionlab.data.tracking.format import read_tracking_file
from motionlab.data.workout.format import read_workout_session
from motionlab.errors import DataFormatError
from tests.data.csv_frames.test_csv_format import COLUMNS
from tests.data.reference.test_reference_format import _clip
from tests.data.tracking.test_tracking_format import frame
from tests.data.workout.test_workout_format import _fields, _npz

BEYOND = r"beyond float32's range \(±3\.4e38\) — fix the export"


def test_pose_csv_names_line_and_column(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("clip,person,t,x,activity\nc,p,0,1,a\nc,p,1,-1e39,b\n")
    with pytest.raises(DataFormatError, match=rf"big\.csv: line 3, column 'x': -1e\+39 is {BEYOND}"):
        read_pose_csvs([path], COLUMNS, 30)


def test_tracking_json_names_session_frame_and_feature(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps([[frame(), frame(head=[0, 2e38, 0])], [frame(hips=[0, 0, 1e39])]]))
    with pytest.raises(DataFormatError, match=rf"session 1, frame 0: 'hips_z': 1e\+39 is {BEYOND}"):
        read_tracking_file(path, fps=30.0)


def test_reference_clip_names_frame_and_column(tmp_path):
    array = np.zeros((4, 3))
    array[2, 1] = 3.5e38
    path = _clip(tmp_path, array=array)
    with pytest.raises(DataFormatError, match=rf"walk\.npy: frame 2, column 1: 3\.5e\+38 is {BEYOND}"):
        read_reference_clip(path)


def test_workout_session_names_frame_and_column(tmp_path):
    angles = _fields()["angles"].astype(np.float64)
    angles[7, 3] = 1e300
    path = _npz(tmp_path, angles=angles)
    with pytest.raises(DataFormatError, match=rf"field 'angles', frame 7, column 3: 1e\+300 is {BEYOND}"):
        read_workout_session(path)
