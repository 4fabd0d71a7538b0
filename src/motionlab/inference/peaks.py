"""Counting repetitions as peaks of a per-frame rep-start probability."""

from __future__ import annotations

import numpy as np


def find_peaks(signal: np.ndarray, threshold: float, min_distance: int) -> np.ndarray:
    """Indices of local maxima ``>= threshold`` that are at least ``min_distance`` frames apart.

    A flat-topped peak (e.g. a saturated probability) counts once, at its first frame. Among peaks
    closer than ``min_distance`` the highest wins (greedy non-maximum suppression).
    """
    x = np.nan_to_num(np.asarray(signal, dtype=np.float64), nan=-np.inf)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    run_starts = np.concatenate([[0], np.flatnonzero(np.diff(x) != 0) + 1])
    values = x[run_starts]
    before = np.concatenate([[-np.inf], values[:-1]])
    after = np.concatenate([values[1:], [-np.inf]])
    candidates = run_starts[(values > before) & (values > after) & (values >= threshold)]
    kept: list[int] = []
    for index in candidates[np.argsort(-x[candidates], kind="stable")]:
        if all(abs(index - k) >= min_distance for k in kept):
            kept.append(int(index))
    return np.sort(np.array(kept, dtype=np.int64))
