"""Put frames recorded at one frame rate onto the time grid of another (linear interpolation).

Phone videos come at 24, 25, 29.97, 30 or 60 fps; a model and a training set have one rate. A value
next to a missing one (NaN) stays missing rather than being half invented.
"""

from __future__ import annotations

import numpy as np

# Rates closer than this (relative) are taken as the same: NTSC's 29.97 fps for 30 fps (0.1 %, under
# 2 frames a minute) is not worth interpolating every frame for.
SAME_RATE = 2e-3


def resample_frames(values: np.ndarray, fps: float, target_fps: float) -> np.ndarray:
    """``values [T, ...]`` sampled at ``fps`` → ``[round(T · target_fps / fps), ...]`` at ``target_fps``.

    Frame ``k`` of the result is at time ``k / target_fps``, interpolated between the two source
    frames around it. Returns ``values`` itself when the rates agree within `SAME_RATE`.
    """
    if fps <= 0 or target_fps <= 0:
        raise ValueError(f"frame rates must be positive, got {fps} and {target_fps}")
    if abs(fps - target_fps) <= SAME_RATE * target_fps or len(values) == 0:
        return values
    count = max(1, round(len(values) * target_fps / fps))
    position = np.minimum(np.arange(count) * (fps / target_fps), len(values) - 1)
    before = np.floor(position).astype(np.int64)
    after = np.minimum(before + 1, len(values) - 1)
    weight = (position - before).reshape(-1, *([1] * (values.ndim - 1)))
    low, high = values[before], values[after]
    blended = np.where(weight == 0, low, (1 - weight) * low + weight * high)
    return blended.astype(values.dtype, copy=False)
