"""Deterministic synthetic reference motions: looping gait cycles of a small biped robot.

The biped has 12 joints (`BIPED_JOINTS`, radians): per leg hip roll and pitch, knee, ankle pitch
and roll, plus neck and head pitch. Sign conventions are the same on both sides (positive roll =
outwards, positive pitch = forwards/up, positive knee = flexed), so mirroring is a plain left/right
swap. A clip is exactly one gait cycle (``loop: true``): the cycle starts at the left heel strike,
the right leg runs half a cycle behind, and every joint curve is built from periodic raised-cosine
bumps and harmonics, so the loop is seamless and smooth.

Gaits (`GAITS`) differ in duty factor (share of the cycle a foot is on the ground), step size,
knee lift, push-off, lateral sway and head bob: ``walk``, ``march`` (high knees, slow), ``jog``
(short stance, forward lean, fast) and ``shuffle`` (small, quick, flat-footed steps). Speed levels
raise the cadence across each gait's range and lengthen the stride with it. Each variant of a
(gait, speed) pair is a different "performer": posture offsets, per-joint amplitudes, a slight
left/right asymmetry and higher harmonics drawn from ``default_rng([seed, gait, speed, variant])``,
so adding clips leaves the existing ones unchanged.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.reference.format import write_reference_clip
from motionlab.data.sample_cache import ensure_sample

# Bump whenever the generator's output changes: it is part of the cache key of `ensure_reference_sample`.
SAMPLE_VERSION = "1"

_LEG = ("hip_roll", "hip_pitch", "knee", "ankle_pitch", "ankle_roll")
BIPED_JOINTS: tuple[str, ...] = (
    *(f"left_{joint}" for joint in _LEG),
    *(f"right_{joint}" for joint in _LEG),
    "neck_pitch",
    "head_pitch",
)


@dataclass(frozen=True)
class Gait:
    """One gait's joint curves at its slowest speed (radians) and its cadence range (cycles/s)."""

    duty: float  # share of the cycle the foot is on the ground
    cadence: tuple[float, float]
    hip_swing: float  # hip pitch amplitude
    hip_offset: float  # mean hip pitch (forward lean / high knees)
    knee_base: float
    knee_loading: float  # knee flexion just after heel strike
    knee_swing: float  # knee flexion peak in swing
    ankle_dorsi: float  # dorsiflexion in late stance
    ankle_push: float  # plantarflexion at push-off
    sway: float  # hip roll amplitude (weight shift)
    head_bob: float  # neck pitch amplitude, twice per cycle


GAITS: dict[str, Gait] = {
    "walk": Gait(0.60, (0.9, 1.3), 0.35, 0.05, 0.08, 0.25, 0.95, 0.15, 0.30, 0.06, 0.04),
    "march": Gait(0.62, (0.7, 1.0), 0.50, 0.25, 0.06, 0.10, 1.50, 0.10, 0.15, 0.08, 0.03),
    "jog": Gait(0.42, (1.2, 1.5), 0.40, 0.15, 0.20, 0.40, 1.20, 0.20, 0.40, 0.04, 0.07),
    "shuffle": Gait(0.70, (1.2, 1.8), 0.15, 0.02, 0.15, 0.10, 0.35, 0.08, 0.08, 0.10, 0.02),
}


def generate_reference_dataset(
    out_dir: str | Path,
    gaits: Sequence[str] = tuple(GAITS),
    speeds: int = 5,
    variants: int = 6,
    fps: float = 50.0,
    seed: int = 0,
) -> list[Path]:
    """Write ``<out_dir>/<gait>_s<speed>_v<variant>.npy`` (+ ``.json`` sidecar) for every combination.

    Speed level ``i`` of ``speeds`` sets the cadence to ``i / (speeds - 1)`` of the way through the
    gait's cadence range. Same arguments, same arrays.
    """
    unknown = [gait for gait in gaits if gait not in GAITS]
    if unknown or not gaits:
        raise ValueError(f"unknown gait(s) {unknown}; choose from {list(GAITS)}")
    if speeds < 1 or variants < 1 or fps <= 0 or seed < 0:
        raise ValueError("speeds and variants must be at least 1, fps > 0 and seed >= 0")
    out_dir = Path(out_dir)
    paths = []
    for gait_name in gaits:
        gait_index = list(GAITS).index(gait_name)
        for s in range(speeds):
            level = s / (speeds - 1) if speeds > 1 else 0.5
            for v in range(variants):
                rng = np.random.default_rng([seed, gait_index, s, v])
                joints, cadence = gait_cycle(GAITS[gait_name], level, fps, rng)
                path = out_dir / f"{gait_name}_s{s}_v{v}.npy"
                meta = {"gait": gait_name, "speed_level": s, "variant": v, "cadence_hz": round(cadence, 4)}
                paths.append(write_reference_clip(path, joints, BIPED_JOINTS, fps, True, **meta))
    return paths


# Taken once, so that the cache key does not depend on what the name is bound to later (test doubles).
_GENERATOR_PARAMETERS = inspect.signature(generate_reference_dataset)


def ensure_reference_sample(cache_dir: str | Path, **params: Any) -> Path:
    """The sample clips for ``params`` (of `generate_reference_dataset`), generated on first use.

    Returns ``<cache_dir>/reference-<hash of SAMPLE_VERSION and all parameters>`` (see `ensure_sample`).
    """
    return ensure_sample(
        cache_dir, "reference", SAMPLE_VERSION, _GENERATOR_PARAMETERS, generate_reference_dataset, params
    )


def gait_cycle(gait: Gait, level: float, fps: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One cycle ``[T, 12]`` of ``gait`` at speed ``level`` in [0, 1], and its exact cadence (Hz).

    ``T`` is a whole number of frames, so the cadence is rounded to ``fps / T``.
    """
    frames = max(4, round(fps / (gait.cadence[0] + level * (gait.cadence[1] - gait.cadence[0]))))
    stride = 0.8 + 0.4 * level  # longer strides at higher cadence
    duty = gait.duty - 0.04 * level
    phase = np.arange(frames) / frames
    amplitude = rng.uniform(0.95, 1.05, size=len(_LEG))
    harmonics = rng.normal(0, 0.01, size=(len(_LEG), 2))
    legs = [
        _leg(phase, gait, stride, duty, amplitude * side, harmonics)
        for side in (1.0, rng.uniform(0.97, 1.03))  # slight left/right asymmetry
    ]
    right = np.roll(legs[1], frames // 2, axis=0)  # half a cycle behind: phase + 0.5 on a whole frame
    neck = gait.head_bob * stride * np.cos(4 * np.pi * phase + rng.uniform(0, 2 * np.pi))
    head = -0.5 * neck + rng.normal(0, 0.01) * np.sin(2 * np.pi * phase)
    joints = np.column_stack([legs[0], right, neck, head])
    posture = rng.normal(0, 0.01, size=joints.shape[1])
    return (joints + posture).astype(np.float32), fps / frames


def _leg(
    phase: np.ndarray, gait: Gait, stride: float, duty: float, amplitude: np.ndarray, harmonics: np.ndarray
) -> np.ndarray:
    """``[T, 5]`` hip roll, hip pitch, knee, ankle pitch, ankle roll of one leg (heel strike at 0)."""
    angle = 2 * np.pi * phase
    hip_pitch = gait.hip_offset + gait.hip_swing * stride * np.cos(angle)
    knee = (
        gait.knee_base
        + gait.knee_loading * stride * _bump(phase, 0.12, 0.15)
        + gait.knee_swing * stride * _bump(phase, duty + 0.4 * (1 - duty), 0.5 * (1 - duty) + 0.08)
    )
    ankle_pitch = (
        gait.ankle_dorsi * stride * _bump(phase, 0.6 * duty, 0.35 * duty)
        - gait.ankle_push * stride * _bump(phase, duty, 0.15)
        + 0.5 * gait.ankle_dorsi * _bump(phase, duty + 0.5 * (1 - duty), 0.5 * (1 - duty))
    )
    hip_roll = 0.03 - gait.sway * np.cos(angle - np.pi * duty)
    ankle_roll = -0.6 * (hip_roll - 0.03)
    curves = np.column_stack([hip_roll, hip_pitch, knee, ankle_pitch, ankle_roll]) * amplitude
    extra = harmonics[:, :1].T * np.sin(3 * angle)[:, None] + harmonics[:, 1:].T * np.cos(3 * angle)[:, None]
    return curves + extra


def _bump(phase: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    """Periodic raised-cosine bump: 1 at ``centre``, 0 beyond ``half_width`` (cycle fractions)."""
    distance = np.abs((phase - centre + 0.5) % 1.0 - 0.5)
    return np.where(distance < half_width, 0.5 + 0.5 * np.cos(math.pi * distance / half_width), 0.0)
