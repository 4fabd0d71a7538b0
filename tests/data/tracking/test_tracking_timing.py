"""Timestamps: gaps and irregular sampling are measured and reported; resampling is exact on lines."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.data.tracking.timing import resample_session, session_timing, timing_summary


def test_regular_clock_has_no_gaps_and_its_rate() -> None:
    times = np.arange(300) / 30 + np.random.default_rng(0).normal(0, 0.001, 300)
    timing = session_timing(times)
    assert timing.fps == pytest.approx(30, rel=0.01)
    assert (timing.gaps, timing.missing_frames, timing.longest_gap) == (0, 0, 0.0)
    assert not timing.irregular


def test_gaps_count_lost_frames() -> None:
    times = np.delete(np.arange(100) / 30, [10, 50, 51, 52])  # 1 lost frame, then 3
    timing = session_timing(times)
    assert (timing.gaps, timing.missing_frames) == (2, 4)
    assert timing.longest_gap == pytest.approx(4 / 30)


def test_irregular_clock_is_flagged() -> None:
    intervals = np.where(np.arange(200) % 4 == 0, 0.045, 1 / 30)  # every 4th interval 35 % long
    timing = session_timing(np.concatenate([[0], np.cumsum(intervals)]))
    assert timing.irregular_share == pytest.approx(0.25, abs=0.01) and timing.irregular
    assert session_timing(np.array([0.0])) is None


def test_resampling_a_line_is_exact_and_fills_short_gaps() -> None:
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 2, 45))
    times = np.concatenate([[0], times[(times > 0.05) & (times < 1.0)], [1.0]])
    frames = np.stack([3 * times, -times + 7], axis=1).astype(np.float32)
    (segment,) = resample_session(frames, times, fps=30, max_gap=10)
    grid = np.arange(31) / 30
    np.testing.assert_allclose(segment, np.stack([3 * grid, -grid + 7], axis=1), atol=1e-5)


def test_resampling_cuts_sessions_at_gaps_longer_than_max_gap() -> None:
    times = np.concatenate([np.arange(30) / 30, 2 + np.arange(30) / 30])  # a 1 s hole: ~29 lost frames
    frames = times[:, None].astype(np.float32)
    first, second = resample_session(frames, times, fps=30, max_gap=5)
    assert len(first) == 30 and len(second) == 30
    assert second[0, 0] == pytest.approx(2.0)
    (whole,) = resample_session(frames, times, fps=30, max_gap=40)
    assert len(whole) == 90


def test_summary_warns_about_rate_mismatch_gaps_and_irregular_sessions_unless_resampling() -> None:
    regular = session_timing(np.arange(300) / 60)
    gappy = session_timing(np.delete(np.arange(300) / 60, np.arange(100, 120)))
    timings = {"a#0": regular, "a#1": gappy, "b#0": None}
    summary, warnings = timing_summary(
        timings, nominal_fps=30, resample_fps=None, max_gap=5, total_frames=580
    )
    assert summary["sessions_with_timestamps"] == 2 and summary["sessions_without_timestamps"] == 1
    assert summary["missing_frames"] == 20 and summary["gaps"] == 1
    assert list(summary["flagged_sessions"]) == ["a#1"]
    assert any("about 60.0 fps but data.fps is 30" in w for w in warnings)
    assert any("1 gap(s) with about 20 lost frame(s)" in w for w in warnings)
    _, resampled = timing_summary(timings, nominal_fps=30, resample_fps=30, max_gap=5, total_frames=580)
    assert resampled == []
