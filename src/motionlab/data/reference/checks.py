"""Checks of what reference clips claim against what their joints do, and the gait cycle estimate.

* A clip marked as a loop (``loop: true``, AWD's ``LoopMode: "Wrap"``) must end where it starts:
  the training pairs include the step last → first, and the rollout continues around the loop.
* A joint that never moves in the training clips cannot be learned (its target scale is 0).
* A clip that repeats a gait cycle without looping gets its cycle length for the phase clock.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from motionlab.data.reference.format import ReferenceClip

#: A loop's last → first step may be at most this many times its largest frame-to-frame step.
LOOP_GAP_FACTOR = 2.0
#: A joint whose range over the training clips is at most this never moves.
STILL_RANGE = 1e-6
# Cycle lengths searched by `estimate_cycle`, in frames.
_MIN_CYCLE = 8


def loop_gap(clip: ReferenceClip) -> tuple[float, float]:
    """``(largest joint change from the last frame to the first, largest frame-to-frame change)``."""
    joints = clip.joints
    gap = float(np.abs(joints[0] - joints[-1]).max())
    step = float(np.abs(np.diff(joints, axis=0)).max())
    return gap, step


def broken_loops(clips: Sequence[ReferenceClip]) -> dict[str, float]:
    """Loop-marked clips whose ends do not meet: clip name → the last → first gap."""
    gaps = {}
    for clip in clips:
        if clip.loop:
            gap, step = loop_gap(clip)
            if gap > LOOP_GAP_FACTOR * step:
                gaps[clip.name] = gap
    return gaps


def still_joints(clips: Sequence[ReferenceClip]) -> list[int]:
    """Columns of the joints that keep one value in every frame of ``clips``."""
    joints = np.concatenate([clip.joints for clip in clips])
    return np.flatnonzero(np.ptp(joints, axis=0) <= STILL_RANGE).tolist()


def estimate_cycle(joints: np.ndarray) -> float:
    """The gait cycle of a motion that repeats one, in (fractional) frames, or 0 when none is found.

    The first half of the clip's autocorrelation (over all joints, mean removed) gives the cycle
    ``c`` as its first local maximum within 15 % of the highest (multiples of the cycle peak too).
    It is then refined to ``L / n``, where ``L`` is the best lag near ``n · c`` for the most whole
    cycles ``n`` that fit, so that the clock stays in step over the whole clip.
    """
    centred = joints - joints.mean(axis=0)
    frames = len(centred)
    if frames < 4 * _MIN_CYCLE:
        return 0.0
    spectrum = np.fft.rfft(centred, n=2 * frames, axis=0)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=0).sum(axis=1)[:frames]
    if correlation[0] <= 0:
        return 0.0
    correlation = correlation / (correlation[0] * (frames - np.arange(frames)) / frames)
    search = correlation[_MIN_CYCLE - 1 : frames // 2 + 1]
    maxima = np.flatnonzero((search[1:-1] > search[:-2]) & (search[1:-1] >= search[2:])) + _MIN_CYCLE
    if not len(maxima) or correlation[maxima].max() < 0.5:
        return 0.0
    peak = int(maxima[correlation[maxima] >= 0.85 * correlation[maxima].max()][0])
    cycles = (frames // 2) // peak
    low, high = cycles * peak - cycles, cycles * peak + cycles + 1
    lag = low + int(np.argmax(correlation[low:high]))
    return lag / cycles
