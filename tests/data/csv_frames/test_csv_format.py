"""Pose CSV reader: column roles, ordering, recordings, and a clear error for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionlab.data.csv_frames.format import PoseColumns, pose_csv_files, read_pose_csvs
from motionlab.errors import ConfigError, DataFormatError

COLUMNS = PoseColumns(label="activity", recording="clip", subject="person", frame="t", features=None)


def write(path: Path, text: str) -> Path:
    path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
    return path


def two_class_csv(path: Path) -> Path:
    # clip c1's rows are out of order in the file; an extra text column is ignored when not a feature
    return write(
        path,
        """
        clip,person,t,kp_a,kp_b,activity
        c1,p1,2,2.0,20.0,walk
        c1,p1,0,0.0,0.0,sit
        c2,p2,0,5.0,50.0,walk
        c1,p1,1,1.0,10.0,sit
        c2,p2,1,6.0,60.0,walk
        """,
    )


def test_roles_order_rows_and_name_recordings(tmp_path):
    table = read_pose_csvs([two_class_csv(tmp_path / "cam.csv")], COLUMNS, fps=25.0)
    assert table.class_names == ["sit", "walk"] and table.feature_names == ["kp_a", "kp_b"]
    first, second = table.recordings
    assert (first.name, first.group, first.meta) == ("cam/c1", "p1", {"file": "cam", "subject": "p1"})
    assert second.name == "cam/c2" and second.group == "p2" and first.fps == 25.0
    np.testing.assert_array_equal(first.frames, [[0, 0], [1, 10], [2, 20]])  # sorted by t
    np.testing.assert_array_equal(first.targets["label"], [0, 0, 1])
    assert first.source == f"{tmp_path / 'cam.csv'} (recording 'c1')"
    assert table.rows == 5 and table.reordered_recordings == 1


def test_features_by_list_pattern_or_every_unassigned_column(tmp_path):
    path = two_class_csv(tmp_path / "cam.csv")
    by_list = PoseColumns("activity", "clip", ["kp_b"], "person", "t")
    assert read_pose_csvs([path], by_list, 30).feature_names == ["kp_b"]
    by_pattern = PoseColumns("activity", "clip", "_a$", "person", "t")
    assert read_pose_csvs([path], by_pattern, 30).feature_names == ["kp_a"]
    # without a subject role, the subject column becomes a feature, and it is not numeric
    loose = PoseColumns("activity", "clip", frame="t")
    with pytest.raises(DataFormatError, match=r"line 2, column 'person': 'p1' is not a number"):
        read_pose_csvs([path], loose, 30)


def test_reordering_is_counted_per_recording_and_unnamed_columns_are_not_features(tmp_path):
    # interleaved recordings, each in frame order in the file, and a trailing comma on every line
    path = write(tmp_path / "cam.csv", "clip,t,x,activity,\na,0,1,u,\nb,5,2,v,\na,1,3,v,\nb,6,4,u,\n")
    table = read_pose_csvs([path], PoseColumns("activity", "clip", frame="t"), 30)
    assert table.feature_names == ["x"] and table.reordered_recordings == 0
    path = write(tmp_path / "cam.csv", "clip,t,x,activity\na,1,1,u\nb,5,2,v\na,0,3,v\nb,6,4,u\n")
    assert read_pose_csvs([path], PoseColumns("activity", "clip", frame="t"), 30).reordered_recordings == 1


def test_without_recording_column_each_file_is_one_recording(tmp_path):
    a = write(tmp_path / "a.csv", "x,label\n1,u\n2,v\n")
    b = write(tmp_path / "b.csv", "x,label\n3,u\n")
    table = read_pose_csvs(pose_csv_files(tmp_path), PoseColumns("label", None), 30)
    assert [r.name for r in table.recordings] == ["a", "b"] and [r.group for r in table.recordings] == [
        "a",
        "b",
    ]
    assert table.files == [str(a), str(b)]


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        (
            "clip,t,x,activity\nc,0,1,a\n",
            COLUMNS,
            r"has no column 'person' \(data\.columns\.subject\); its columns are \['clip', 't', 'x', "
            r"'activity'\]",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,p,1,oops,b\n",
            COLUMNS,
            r"line 3, column 'x': 'oops' is not a number",
        ),
        ("clip,person,t,x,activity\nc,p,0,inf,a\n", COLUMNS, r"line 2, column 'x': 'inf' is infinite"),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,p,0,2,b\n",
            COLUMNS,
            r"lines 2 and 3 of one recording have the same t 0",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,p,1,2\n",
            COLUMNS,
            r"line 3 has 4 fields but the header has 5",
        ),
        ("clip,person,t,x,activity\n", COLUMNS, r"has a header but no data rows \(an empty recording\)"),
        ("", COLUMNS, r"the file is empty"),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,p,1,2, \n",
            COLUMNS,
            r"line 3, column 'activity': empty value",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,q,1,2,b\n",
            COLUMNS,
            r"column 'person' changes within the recording: 'p' on line 2, 'q' on line 3",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nd,p,0,2,a\n",
            COLUMNS,
            r"the label column 'activity' has only one",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\nc,p,,2,b\n",
            COLUMNS,
            r"line 3, column 't': missing value — every row needs its frame",
        ),
        (
            "clip,x,x,activity\nc,1,2,a\n",
            PoseColumns("activity", "clip"),
            r"the header repeats column\(s\) \['x'\]",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\n",
            PoseColumns("activity", "clip", ["x", "y"], "person", "t"),
            r"has no feature column\(s\) \['y'\]",
        ),
        (
            "clip,person,t,x,activity\nc,p,0,1,a\n",
            PoseColumns("activity", "clip", "^kp", "person", "t"),
            r"selects no column",
        ),
    ],
    ids=[
        "missing-role-column",
        "non-numeric",
        "infinite",
        "duplicate-frame",
        "ragged-row",
        "no-rows",
        "empty-file",
        "empty-label",
        "subject-changes",
        "one-class",
        "missing-frame",
        "duplicate-header",
        "unknown-feature",
        "pattern-matches-nothing",
    ],
)
def test_bad_input_names_file_line_and_column(tmp_path, text, columns, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message) as error:
        read_pose_csvs([path], columns, 30)
    assert error.value.path.startswith(str(path))


def test_nan_policy_interpolate_keeps_gaps_error_names_the_cell(tmp_path):
    path = write(
        tmp_path / "gap.csv", "clip,person,t,x,activity\nc,p,0,1,a\nc,p,1,,a\nc,p,2,NaN,b\nc,p,3,4,b\n"
    )
    frames = read_pose_csvs([path], COLUMNS, 30).recordings[0].frames
    assert np.isnan(frames[1:3, 0]).all() and frames[3, 0] == 4
    with pytest.raises(DataFormatError, match=r"gap\.csv: line 3, column 'x': missing value — .*nan_policy"):
        read_pose_csvs([path], COLUMNS, 30, nan_policy="error")


def test_class_vocabulary_orders_classes_and_rejects_unknown_labels(tmp_path):
    path = two_class_csv(tmp_path / "cam.csv")
    table = read_pose_csvs([path], COLUMNS, 30, classes=["walk", "sit", "run"])
    assert table.class_names == ["walk", "sit", "run"]
    np.testing.assert_array_equal(table.recordings[0].targets["label"], [1, 1, 0])
    with pytest.raises(DataFormatError, match=r"line 2, column 'activity': label 'walk' is not one of"):
        read_pose_csvs([path], COLUMNS, 30, classes=["sit", "run"])


def test_config_mistakes_name_the_key(tmp_path):
    path = two_class_csv(tmp_path / "cam.csv")
    with pytest.raises(ConfigError, match=r"data\.columns\.features: \['t'\] also have another role"):
        read_pose_csvs([path], PoseColumns("activity", "clip", ["kp_a", "t"], "person", "t"), 30)
    with pytest.raises(ConfigError, match=r"data\.columns\.features: '\(' is not a valid regular"):
        read_pose_csvs([path], PoseColumns("activity", "clip", "(", "person", "t"), 30)
    with pytest.raises(ConfigError, match=r"data\.nan_policy"):
        read_pose_csvs([path], COLUMNS, 30, nan_policy="drop")
    (tmp_path / "other").mkdir()
    twin = two_class_csv(tmp_path / "other" / "cam.csv")
    with pytest.raises(DataFormatError, match=r"file name 'cam' is also used by"):
        read_pose_csvs([path, twin], COLUMNS, 30)
