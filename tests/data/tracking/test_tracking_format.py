"""The tracking JSON format: round trips, and one clear error per broken invariant."""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from motionlab.data.tracking.format import (
    FEATURE_NAMES,
    JOINTS,
    joint_groups,
    read_tracking_file,
    read_tracking_path,
    write_tracking_file,
)
from motionlab.errors import DataFormatError


def frame(value: float = 0.0, **overrides: Any) -> dict[str, Any]:
    """A valid frame whose 12 values are ``value + 0.0, value + 0.1, ...``; ``None`` drops a key."""
    out: dict[str, Any] = {
        joint: [value + 0.3 * j + 0.1 * a for a in range(3)] for j, joint in enumerate(JOINTS)
    }
    out.update(overrides)
    return {key: v for key, v in out.items() if v is not None}


def write_json(tmp_path: Path, document: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def raises(path: Path, pattern: str) -> AbstractContextManager[Any]:
    """Expect a DataFormatError whose message starts with the file and then matches ``pattern``."""
    return pytest.raises(DataFormatError, match=f"^{re.escape(str(path))}: .*{pattern}")


def test_round_trip_keeps_values_order_and_timestamps(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    sessions = [rng.normal(size=(5, 12)), rng.normal(size=(3, 12))]
    stamps = [[f"2025-03-01T10:00:00.{k * 33000:06d}" for k in range(5)], None]
    path = write_tracking_file(tmp_path / "rec.json", sessions, stamps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.json"]  # no temp file left
    first, second = read_tracking_file(path, fps=30.0)
    np.testing.assert_allclose(first.frames, sessions[0], rtol=1e-6)
    np.testing.assert_allclose(second.frames, sessions[1], rtol=1e-6)
    assert first.frames.dtype == np.float32 and first.feature_names == list(FEATURE_NAMES)
    assert (first.name, first.group, first.fps) == ("rec#0", "rec#0", 30.0)
    assert first.source == f"{path} (session 0)"
    np.testing.assert_allclose(first.meta["time"], [0, 0.033, 0.066, 0.099, 0.132])
    assert second.meta["time"] is None and second.meta["session"] == 1 and second.meta["file"] == "rec"


def test_features_are_the_four_joints_as_xyz_in_order(tmp_path: Path) -> None:
    path = write_json(tmp_path, [[frame(extra_key="ignored")]])
    (recording,) = read_tracking_file(path, fps=30.0)
    np.testing.assert_allclose(
        recording.frames[0], [0.3 * (i // 3) + 0.1 * (i % 3) for i in range(12)], atol=1e-6
    )
    assert joint_groups() == {joint: [3 * j, 3 * j + 1, 3 * j + 2] for j, joint in enumerate(JOINTS)}


def test_directory_is_read_recursively_in_path_order_with_unique_names(tmp_path: Path) -> None:
    for folder, sessions in (("b", 2), ("a", 1)):
        (tmp_path / folder).mkdir()
        write_json(tmp_path / folder, [[frame()]] * sessions, "day.json")
    (tmp_path / "notes.txt").write_text("not data")
    names = [(r.name, r.meta["file"]) for r in read_tracking_path(tmp_path, fps=30.0)]
    assert names == [("a/day#0", "a/day"), ("b/day#0", "b/day"), ("b/day#1", "b/day")]


def test_missing_path_and_empty_directory_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such tracking JSON file"):
        read_tracking_path(tmp_path / "nope.json", fps=30.0)
    with raises(tmp_path, "no .json tracking files found"):
        read_tracking_path(tmp_path, fps=30.0)


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  [\n    {"head": [1, 2, 3],\n     "hips": [1, 2 3]}\n')
    with raises(path, r"malformed JSON at line 4, column 20: Expecting ',' delimiter"):
        read_tracking_file(path, fps=30.0)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps([[frame(), frame()]])[:-20])
    with raises(truncated, r"malformed JSON at line 1, column \d+"):
        read_tracking_file(truncated, fps=30.0)


@pytest.mark.parametrize(
    ("document", "pattern"),
    [
        ({"sessions": []}, "the top level is a JSON object, not a list of sessions"),
        ([frame(), frame()], "the top level is a list of frames, not a list of sessions — wrap it"),
        ([[frame()], "oops"], "session 1 is a JSON string, not a list of frames"),
        ([[frame(), frame(), [1, 2]]], "session 0, frame 2 is a JSON list, not an object"),
        (
            [[frame()], [frame(), frame(hips=None)]],
            r"session 1, frame 1: missing key 'hips' \(the frame has keys",
        ),
        (
            [[frame(), frame(), frame(left_arm=[1.0, 2.0])]],
            "session 0, frame 2: 'left_arm' must be a list of 3 numbers, got list",
        ),
        ([[frame(head=[1, 2, 3, 4])]], "session 0, frame 0: 'head' must be a list of 3 numbers"),
        ([[frame(right_arm=[1, "2", 3])]], "session 0, frame 0: 'right_arm' must be a list of 3 numbers"),
        ([[frame(), frame(hips=[1, None, 3])]], "session 0, frame 1: 'hips' must be a list of 3 numbers"),
        ([[frame(), frame(hips=[True, 0, 1])]], "session 0, frame 1: 'hips' must be a list of 3 numbers"),
        ([[frame(head=7)]], "session 0, frame 0: 'head' must be a list of 3 numbers, got number 7"),
    ],
)
def test_structure_errors_name_session_frame_and_key(tmp_path: Path, document: Any, pattern: str) -> None:
    path = write_json(tmp_path, document)
    with raises(path, pattern):
        read_tracking_file(path, fps=30.0)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_values_name_session_frame_and_feature(tmp_path: Path, token: str) -> None:
    path = tmp_path / "nan.json"
    good = json.dumps(frame())
    path.write_text(
        f'[[{good}], [{good}, {good}, {{"head": [0, 0, 0], "hips": [0, 0, 0], '
        f'"left_arm": [0, {token}, 0], "right_arm": [0, 0, 0]}}]]'
    )
    with raises(path, rf"session 1, frame 2: 'left_arm_y' is {token.lower().replace('infinity', 'inf')}"):
        read_tracking_file(path, fps=30.0)


@pytest.mark.parametrize(
    ("stamps", "pattern"),
    [
        (
            ["2025-03-01T10:00:00", "yesterday"],
            "session 0, frame 1: timestamp 'yesterday' is not an ISO 8601",
        ),
        (["2025-03-01T10:00:00", 17], "session 0, frame 1: timestamp 17 is not an ISO 8601"),
        (["2025-03-01T10:00:01", "2025-03-01T10:00:00"], r"session 0, frame 1: timestamp .* is not after"),
        (["2025-03-01T10:00:00", "2025-03-01T10:00:00"], r"session 0, frame 1: timestamp .* is not after"),
        (["2025-03-01T10:00:00", None], "session 0, frame 1 has no 'timestamp' but frame 0 does"),
        ([None, "2025-03-01T10:00:00"], "session 0, frame 1 has a 'timestamp' but frame 0 does not"),
        (
            ["2025-03-01T10:00:00", "2025-03-01T10:00:01+00:00"],
            "mixes timestamps with and without a timezone",
        ),
    ],
)
def test_timestamp_errors_name_session_and_frame(tmp_path: Path, stamps: list[Any], pattern: str) -> None:
    path = write_json(tmp_path, [[frame(timestamp=s) for s in stamps]])
    with raises(path, pattern):
        read_tracking_file(path, fps=30.0)


def test_empty_sessions_are_read_as_empty_recordings(tmp_path: Path) -> None:
    """The engine then skips and counts them like any session shorter than a window."""
    path = write_json(tmp_path, [[], [frame()]])
    empty, one = read_tracking_file(path, fps=30.0)
    assert empty.frames.shape == (0, 12) and len(one) == 1


def test_writer_rejects_what_the_reader_would(tmp_path: Path) -> None:
    bad = np.zeros((3, 12))
    bad[1, 4] = np.nan
    with raises(tmp_path / "w.json", "session 0, frame 1: 'hips_y' is nan"):
        write_tracking_file(tmp_path / "w.json", [bad])
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match=r"must be \[T, 12\]"):
        write_tracking_file(tmp_path / "w.json", [np.zeros((3, 11))])
