"""Built-in gait sample: synthetic running videos as pose landmarks, with gait labels.

Each runner has a body (height, proportions) and a habitual running style: cadence, ground-contact
share, how far in front of the hip the foot lands, vertical bounce, left/right asymmetry, trunk lean,
arm swing and heel kick. Each of their videos varies that style a little (another day, another
pace); half of the videos have the runner tire midway, landing further ahead and bouncing more. A
kinematic skeleton (`motionlab.data.gait.kinematics`) turns the style into the 33 MediaPipe landmarks,
seen by a camera from the side (±35° yaw, runner facing left or right, 0.45-0.85 of the picture's
height, landscape), with detector jitter, lower visibility on the far side of the body,
and frames without a pose: short dropouts and, in some videos, a long one (the runner occluded).

Labels come from the generated style, the way a coach would judge it:

* phase per frame: the phase of the foot on the ground (`kinematics.PHASE_EDGES`), swing in flight;
* issues: ``overstriding`` when the foot lands more than 0.3 leg lengths in front of the hip,
  ``vertical_bounce`` when the hip rises and falls by more than 0.1 leg lengths, ``asymmetry`` when
  the legs' timing differs by more than 3 % of a cycle;
* form score 0-10: 10 minus penalties for landing distance, bounce, asymmetry and trunk lean beyond
  their ideal ranges, plus rater noise (σ 0.3), per segment of constant style.

Files are written in the documented formats (landmarks ``.npz`` + ``.gait.json`` annotation), so the
sample goes through the same reader as user data.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.gait.annotations import (
    GAIT_ISSUES,
    FormSegment,
    GaitAnnotation,
    annotation_path,
    write_annotation,
)
from motionlab.data.gait.kinematics import Body, Stride, leg_cycles, phase_labels, running_skeleton
from motionlab.data.sample_cache import ensure_sample
from motionlab.pose.files import write_landmarks
from motionlab.pose.landmarks import POSE_LANDMARKS, mirror_landmarks

# Bump whenever the generator's output changes: it is part of the cache key of `ensure_gait_sample`.
SAMPLE_VERSION = "1"
OVERSTRIDE_LANDING = 0.30
BOUNCE_LIMIT = 0.10
ASYMMETRY_LIMIT = 0.03
_LEFT_SIDE = np.array(["left" in name for name in POSE_LANDMARKS])
_STYLE_FIELDS = tuple(Stride.__dataclass_fields__)


@dataclass(frozen=True)
class _Runner:
    name: str
    body: Body
    style: Stride  # habitual style, scalars
    jitter: float  # detector noise, in body heights


def generate_gait_dataset(
    out_dir: str | Path,
    num_runners: int = 60,
    videos_per_runner: int = 2,
    seconds: float = 12.0,
    seed: int = 0,
    fps: float = 30.0,
    dropout_rate: float = 0.01,
    long_gap_share: float = 0.25,
) -> list[Path]:
    """Write ``<runner>_v<k>.npz`` landmarks and ``<runner>_v<k>.gait.json`` annotations; return the
    landmark paths.

    ``dropout_rate`` is the chance per frame that a short run (1-4 frames) without a pose starts;
    ``long_gap_share`` the share of videos with one long gap (1-1.5 s). Same arguments, same files.
    """
    if num_runners < 1 or videos_per_runner < 1 or seconds * fps < 60:
        raise ValueError("need at least 1 runner, 1 video per runner and 60 frames per video")
    if seed < 0 or fps <= 0 or not 0 <= dropout_rate <= 0.1 or not 0 <= long_gap_share <= 1:
        raise ValueError("seed must be >= 0, fps > 0, dropout_rate in [0, 0.1], long_gap_share in [0, 1]")
    out_dir = Path(out_dir)
    paths = []
    for i in range(num_runners):
        runner = _runner(f"runner{i:02d}", np.random.default_rng([seed, i]))
        for k in range(videos_per_runner):
            rng = np.random.default_rng([seed, i, k, 1])
            landmarks, annotation = simulate_video(
                runner, rng, fps, round(seconds * fps), dropout_rate, long_gap_share
            )
            path = write_landmarks(out_dir / f"{runner.name}_v{k}.npz", landmarks, fps)
            write_annotation(annotation_path(path), annotation)
            paths.append(path)
    return paths


_GENERATOR_PARAMETERS = inspect.signature(generate_gait_dataset)


def ensure_gait_sample(cache_dir: str | Path, **params: Any) -> Path:
    """The sample for ``params`` (of `generate_gait_dataset`), generated on first use into
    ``<cache_dir>/gait-<hash of SAMPLE_VERSION and all parameters>`` (see `ensure_sample`)."""
    return ensure_sample(
        cache_dir,
        "gait",
        SAMPLE_VERSION,
        _GENERATOR_PARAMETERS,
        lambda out_dir, **settings: generate_gait_dataset(out_dir, **settings),
        params,
    )


def _runner(name: str, rng: np.random.Generator) -> _Runner:
    """A person and their habitual style; issues are drawn so that each is present in about 40 %."""
    body = Body.from_height(rng.uniform(1.55, 1.95), rng)
    asymmetric = rng.random() < 0.35
    style = Stride(
        cadence=rng.uniform(152, 190),
        duty=rng.uniform(0.30, 0.40),
        landing=rng.uniform(0.08, 0.45),
        push=rng.uniform(0.35, 0.5),
        bounce=rng.uniform(0.045, 0.15),
        asymmetry=rng.choice([-1, 1]) * (rng.uniform(0.05, 0.1) if asymmetric else rng.uniform(0, 0.012)),
        lean=rng.uniform(0, 16),
        arm_swing=rng.uniform(20, 45),
        lift=rng.uniform(0.25, 0.45),
    )
    return _Runner(name, body, style, jitter=rng.uniform(0.002, 0.006))


def simulate_video(
    runner: _Runner,
    rng: np.random.Generator,
    fps: float,
    frames: int,
    dropout_rate: float,
    long_gap_share: float,
) -> tuple[np.ndarray, GaitAnnotation]:
    """Landmarks ``[T, 33, 4]`` (NaN rows without a pose) and the annotation of one video."""
    day = _vary(runner.style, rng)
    tired = rng.random() < 0.5
    change = int(frames * rng.uniform(0.4, 0.7)) if tired else frames
    late = _tire(day, rng) if tired else day
    blend = np.clip((np.arange(frames) - change) / (1.5 * fps) + 0.5, 0, 1)  # 1.5 s transition
    stride = Stride(
        **{
            name: getattr(day, name) + blend * (getattr(late, name) - getattr(day, name))
            for name in _STYLE_FIELDS
        }
    )
    right, left = leg_cycles(stride, frames, fps, start=rng.uniform())
    phases = phase_labels(right, left, stride.duty)
    points = running_skeleton(runner.body, stride, right, left)
    landmarks = _camera(points, runner, rng)
    landmarks[_dropouts(frames, fps, dropout_rate, long_gap_share, rng)] = np.nan
    segments = [(0, change, day)] + ([(change, frames, late)] if tired else [])
    form = []
    for start, end, style in segments:
        score, issues = form_label(style)
        score = float(np.clip(np.round(score + rng.normal(0, 0.3), 1), 0, 10))
        form.append(FormSegment(start, end, score, issues))
    change_points = np.flatnonzero(np.diff(phases, prepend=-1))
    annotation = GaitAnnotation(
        runner=runner.name,
        phases=[(int(f), _PHASE_NAMES[phases[f]]) for f in change_points],
        form=form,
        fps=fps,
    )
    return landmarks, annotation


_PHASE_NAMES = ("initial_contact", "mid_stance", "toe_off", "swing")


def form_label(style: Stride) -> tuple[float, tuple[str, ...]]:
    """Form score (before rater noise) and issues of a constant style."""
    asymmetry = abs(float(style.asymmetry))
    penalty = (
        14 * max(0.0, float(style.landing) - 0.15)
        + 40 * max(0.0, float(style.bounce) - 0.06)
        + 45 * max(0.0, asymmetry - 0.01)
        + 0.15 * max(0.0, abs(float(style.lean) - 7) - 3)
    )
    flags = {
        "overstriding": float(style.landing) > OVERSTRIDE_LANDING,
        "vertical_bounce": float(style.bounce) > BOUNCE_LIMIT,
        "asymmetry": asymmetry > ASYMMETRY_LIMIT,
    }
    return 10.0 - penalty, tuple(name for name in GAIT_ISSUES if flags[name])


def _vary(style: Stride, rng: np.random.Generator) -> Stride:
    """The same runner on another day: a little faster or slower, a little different."""
    return replace(
        style,
        cadence=style.cadence * rng.uniform(0.95, 1.05),
        duty=np.clip(style.duty + rng.normal(0, 0.015), 0.28, 0.42),
        landing=np.clip(style.landing + rng.normal(0, 0.03), 0.05, 0.5),
        bounce=np.clip(style.bounce + rng.normal(0, 0.008), 0.04, 0.17),
        lean=np.clip(style.lean + rng.normal(0, 1.5), 0, 20),
        lift=np.clip(style.lift + rng.normal(0, 0.03), 0.2, 0.5),
    )


def _tire(style: Stride, rng: np.random.Generator) -> Stride:
    """Fatigue: landing further ahead, more bounce, more lean, slightly lower cadence."""
    return replace(
        style,
        cadence=style.cadence * rng.uniform(0.93, 0.99),
        landing=min(style.landing + rng.uniform(0.04, 0.14), 0.55),
        bounce=min(style.bounce + rng.uniform(0.01, 0.04), 0.19),
        lean=style.lean + rng.uniform(1, 6),
    )


def _camera(points: np.ndarray, runner: _Runner, rng: np.random.Generator) -> np.ndarray:
    """Project body-frame points ``[T, 33, 3]`` to MediaPipe landmarks ``[T, 33, 4]``."""
    frames = len(points)
    yaw = np.radians(rng.uniform(-35, 35))
    aspect = rng.choice([16 / 9, 4 / 3])  # width / height: landscape videos
    scale = rng.uniform(0.45, 0.85) / runner.body.height  # picture heights per metre
    forward, up, lateral = points[..., 0], points[..., 1], points[..., 2]
    # The camera looks at the runner's left side; yaw turns the runner towards or away from it.
    across = forward * np.cos(yaw) + lateral * np.sin(yaw)
    depth = -lateral * np.cos(yaw) + forward * np.sin(yaw)
    hip_depth = depth[:, [23, 24]].mean(axis=1, keepdims=True)
    drift = np.cumsum(rng.normal(0, 0.0008, (frames, 2)), axis=0)  # the runner wanders on the treadmill
    centre_x = rng.uniform(0.35, 0.65) + drift[:, :1]
    ground = rng.uniform(0.86, 0.95) + 0.3 * drift[:, 1:]
    roll = np.radians(rng.normal(0, 1.5))
    x = across * scale / aspect
    y = -up * scale
    x, y = x * np.cos(roll) - y * np.sin(roll), x * np.sin(roll) + y * np.cos(roll)
    jitter = runner.jitter * runner.body.height * scale
    landmarks = np.empty((frames, points.shape[1], 4), dtype=np.float64)
    landmarks[..., 0] = centre_x + x + rng.normal(0, jitter / aspect, x.shape)
    landmarks[..., 1] = ground + y + rng.normal(0, jitter, y.shape)
    landmarks[..., 2] = (depth - hip_depth) * scale / aspect + rng.normal(0, 3 * jitter, y.shape)
    near = _LEFT_SIDE if np.cos(yaw) > 0 else ~_LEFT_SIDE
    visible = np.where(near, rng.uniform(0.93, 1.0), rng.uniform(0.45, 0.85))
    landmarks[..., 3] = np.clip(visible + rng.normal(0, 0.03, (frames, points.shape[1])), 0, 1)
    if rng.random() < 0.5:  # running to the left: the mirror image of running to the right
        landmarks = mirror_landmarks(landmarks)
    return landmarks.astype(np.float32)


def _dropouts(
    frames: int, fps: float, rate: float, long_gap_share: float, rng: np.random.Generator
) -> np.ndarray:
    """``[T]`` bool: frames without a pose (short runs, and sometimes one long gap)."""
    missing = np.zeros(frames, dtype=bool)
    starts = np.flatnonzero(rng.random(frames) < rate)
    for start, length in zip(starts, rng.integers(1, 5, len(starts)), strict=True):
        missing[start : start + length] = True
    if rng.random() < long_gap_share:
        length = round(rng.uniform(1.0, 1.5) * fps)
        start = int(rng.integers(frames // 5, frames - frames // 5 - length))
        missing[start : start + length] = True
    missing[:3] = missing[-3:] = False
    return missing
