import numpy as np
import pytest

from motionlab.data.recording import Recording, fill_gaps, split_at_gaps
from motionlab.errors import DataFormatError


def make(frames: np.ndarray) -> Recording:
    return Recording("s1", frames.astype(np.float32), ["a", "b"], 30.0, group="p1", source="data/s1.npz")


def test_fill_gaps_interpolates_short_runs_linearly():
    frames = np.array([[0, 0], [np.nan, np.nan], [np.nan, 5], [3, 30], [4, 40]], dtype=np.float32)
    rec = make(frames)
    result = fill_gaps(rec, max_gap=2)
    assert result.interpolated_frames == 2 and result.longest_gap == 2
    # a partly-NaN frame is treated as dropped: both columns interpolated between frames 0 and 3
    np.testing.assert_allclose(rec.frames[:, 0], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(rec.frames[:, 1], [0, 10, 20, 30, 40])


def test_fill_gaps_rejects_long_gaps_naming_frames():
    frames = np.zeros((10, 2))
    frames[3:7] = np.nan
    with pytest.raises(
        DataFormatError, match=r"data/s1\.npz: 4 consecutive NaN frames at frames 3\.\.6.*max_gap"
    ):
        fill_gaps(make(frames), max_gap=3)


def test_fill_gaps_rejects_edges_and_inf():
    frames = np.zeros((6, 2))
    frames[0] = np.nan
    with pytest.raises(DataFormatError, match="start of the recording"):
        fill_gaps(make(frames), max_gap=3)
    frames = np.zeros((6, 2))
    frames[2, 1] = np.inf
    with pytest.raises(DataFormatError, match="infinite value at frame 2, feature 'b'"):
        fill_gaps(make(frames), max_gap=3)


def test_recording_validates_target_lengths():
    with pytest.raises(DataFormatError, match="target 'label' has 3 entries for 4 frames"):
        Recording(
            "s", np.zeros((4, 2), np.float32), ["a", "b"], 30.0, "g", "x.npz", targets={"label": np.zeros(3)}
        )


def test_split_at_gaps_cuts_long_runs_trims_ends_and_slices_targets_and_events():
    frames = np.arange(20, dtype=np.float32).reshape(20, 1)
    frames[[0, 1, 5, 9, 10, 11, 12, 19]] = np.nan
    recording = Recording(
        "a",
        frames,
        ["f"],
        30.0,
        "g",
        "a.npz",
        targets={"t": np.arange(20)},
        events={"e": np.array([2, 6, 10, 14, 18])},
    )
    pieces, dropped = split_at_gaps(recording, max_gap=2)
    assert dropped == 7  # 2 at the start, 4 in the long gap, 1 at the end; frame 5 stays (short gap)
    assert [(p.name, p.meta["first_frame"], len(p)) for p in pieces] == [("a#0", 2, 7), ("a#1", 13, 6)]
    assert pieces[1].targets["t"].tolist() == [13, 14, 15, 16, 17, 18]
    assert pieces[0].events["e"].tolist() == [0, 4] and pieces[1].events["e"].tolist() == [1, 5]
    assert split_at_gaps(pieces[1], max_gap=2) == ([pieces[1]], 0)
    empty = Recording("b", np.full((4, 1), np.nan, dtype=np.float32), ["f"], 30.0, "g", "b.npz")
    assert split_at_gaps(empty, max_gap=2) == ([], 4)
