"""Frame timing from timestamps: gaps, irregular sampling, and resampling to a fixed rate.

A tracking app rarely delivers frames at an exact rate: the clock jitters, and frames the tracker
lost leave gaps. A forecaster trained on "the next frame" then sometimes learns a step of two or
three frames. These functions measure that per session (for the data report) and, on request,
resample every session onto a fixed-rate grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

# An interval longer than this many median intervals means at least one frame was lost.
GAP_FACTOR = 1.5
# A non-gap interval further than this fraction from the median interval is irregular ...
IRREGULAR_TOLERANCE = 0.25
# ... and a session with more than this share of irregular intervals is reported as irregular.
IRREGULAR_SHARE = 0.1
# The measured rate may differ this much (relative) from the configured data.fps before a warning.
FPS_TOLERANCE = 0.1
# Missing frames (estimated from gaps) above this share of all frames trigger a warning.
MISSING_SHARE = 0.01


@dataclass(frozen=True)
class SessionTiming:
    """What the timestamps of one session say (times in seconds).

    Attributes:
        median_interval: the typical time between frames (1 / the session's frame rate).
        gaps: intervals longer than ``GAP_FACTOR`` median intervals.
        missing_frames: frames lost in those gaps, estimated as ``round(interval / median) - 1``.
        longest_gap: the longest interval, in seconds, when it is a gap (else 0).
        irregular_share: share of the other intervals further than ``IRREGULAR_TOLERANCE`` from the median.
    """

    median_interval: float
    gaps: int
    missing_frames: int
    longest_gap: float
    irregular_share: float

    @property
    def fps(self) -> float:
        return 1.0 / self.median_interval

    @property
    def irregular(self) -> bool:
        return self.irregular_share > IRREGULAR_SHARE


def session_timing(times: np.ndarray) -> SessionTiming | None:
    """Timing of one session from its strictly increasing ``times``; ``None`` below two frames."""
    if len(times) < 2:
        return None
    intervals = np.diff(np.asarray(times, dtype=np.float64))
    median = float(np.median(intervals))
    gap = intervals > GAP_FACTOR * median
    regular = intervals[~gap]
    deviating = np.abs(regular - median) > IRREGULAR_TOLERANCE * median
    return SessionTiming(
        median_interval=median,
        gaps=int(gap.sum()),
        missing_frames=int((np.round(intervals[gap] / median) - 1).sum()),
        longest_gap=float(intervals[gap].max()) if gap.any() else 0.0,
        irregular_share=float(deviating.mean()) if len(regular) else 0.0,
    )


def resample_session(frames: np.ndarray, times: np.ndarray, fps: float, max_gap: int) -> list[np.ndarray]:
    """``frames [T, F]`` at ``times`` → segments sampled every ``1 / fps`` seconds (linear interpolation).

    Gaps of up to ``max_gap`` missing frames (at ``fps``) are interpolated; at a longer gap the
    session is cut, because interpolating across it would invent motion that never happened.
    Each segment starts at its first original frame. Vectorised over frames and features.
    """
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 2:
        return [frames.astype(np.float32)]
    cuts = np.flatnonzero(np.diff(times) > (max_gap + 1) / fps) + 1
    segments = []
    for index in np.split(np.arange(len(times)), cuts):
        t, x = times[index], frames[index].astype(np.float64)
        grid = t[0] + np.arange(int(np.floor((t[-1] - t[0]) * fps + 1e-6)) + 1) / fps
        if len(t) == 1:
            segments.append(x.astype(np.float32))
            continue
        left = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 2)
        weight = ((grid - t[left]) / (t[left + 1] - t[left]))[:, None]
        segments.append((x[left] * (1 - weight) + x[left + 1] * weight).astype(np.float32))
    return segments


def timing_summary(
    timings: Mapping[str, SessionTiming | None],
    nominal_fps: float,
    resample_fps: float | None,
    max_gap: int,
    total_frames: int,
) -> tuple[dict[str, Any], list[str]]:
    """The report's ``timing`` section over all sessions, and the warnings it calls for.

    ``timings`` maps each session name to its timing (``None`` when it has no timestamps).
    """
    measured = {name: t for name, t in timings.items() if t is not None}
    summary: dict[str, Any] = {
        "sessions_with_timestamps": len(measured),
        "sessions_without_timestamps": len(timings) - len(measured),
        "nominal_fps": nominal_fps,
        "resample_fps": resample_fps,
    }
    if not measured:
        return summary, []
    rates = np.array([t.fps for t in measured.values()])
    gaps = sum(t.gaps for t in measured.values())
    missing = sum(t.missing_frames for t in measured.values())
    longest = max(t.longest_gap for t in measured.values())
    irregular = sorted(name for name, t in measured.items() if t.irregular)
    summary.update(
        measured_fps={
            "min": float(rates.min()),
            "median": float(np.median(rates)),
            "max": float(rates.max()),
        },
        gaps=gaps,
        missing_frames=missing,
        longest_gap_seconds=longest,
        irregular_sessions=irregular,
        flagged_sessions={name: asdict(t) for name, t in measured.items() if t.gaps or t.irregular},
    )
    if resample_fps is not None:
        return summary, []
    warnings = []
    median_rate = float(np.median(rates))
    if abs(median_rate - nominal_fps) > FPS_TOLERANCE * nominal_fps:
        warnings.append(
            f"the timestamps say the sessions run at about {median_rate:.1f} fps but data.fps is "
            f"{nominal_fps:g}: set data.fps={median_rate:.0f}, or data.resample_fps to resample"
        )
    if irregular:
        warnings.append(
            f"{len(irregular)} session(s) have irregular frame timing (more than {IRREGULAR_SHARE:.0%} of "
            f"intervals off the median by over {IRREGULAR_TOLERANCE:.0%}; e.g. {irregular[:3]}): set "
            "data.resample_fps to resample them to a fixed rate"
        )
    if missing > MISSING_SHARE * total_frames or longest * median_rate > max_gap + 1:
        warnings.append(
            f"timestamps show {gaps} gap(s) with about {missing} lost frame(s) (longest {longest:.2f} s): "
            "windows across a gap see a jump; set data.resample_fps to interpolate gaps up to data.max_gap "
            "frames and cut sessions at longer ones"
        )
    return summary, warnings
