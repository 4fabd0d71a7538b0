"""Sliding-window inference over a whole recording, and overlap-averaging of per-frame outputs."""

from __future__ import annotations

import numpy as np


def sliding_starts(length: int, window: int, stride: int) -> np.ndarray:
    """Window starts covering ``length`` frames: every ``stride`` frames, plus a last window flush
    with the end so the final frames are covered too. Empty when the recording is shorter than a window.
    """
    if length < window:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(0, length - window + 1, stride, dtype=np.int64)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def sliding_windows(frames: np.ndarray, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """``frames [T, F]`` → ``(starts [N], windows [N, window, F])`` (a strided view, no copy)."""
    starts = sliding_starts(len(frames), window, stride)
    view = np.lib.stride_tricks.sliding_window_view(frames, window, axis=0)  # [T-W+1, F, W]
    return starts, view[starts].transpose(0, 2, 1)


def overlap_average(values: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Average per-frame window outputs ``values [N, W, ...]`` back onto ``length`` frames.

    Each frame gets the mean of every window that covered it (frames no window covered are NaN).
    """
    window = values.shape[1]
    frames = (starts[:, None] + np.arange(window)).ravel()
    flat = values.reshape(len(starts) * window, *values.shape[2:]).astype(np.float64)
    total = np.zeros((length, *values.shape[2:]))
    np.add.at(total, frames, flat)
    count = np.bincount(frames, minlength=length).reshape(length, *([1] * (values.ndim - 2)))
    with np.errstate(invalid="ignore"):
        return total / count
