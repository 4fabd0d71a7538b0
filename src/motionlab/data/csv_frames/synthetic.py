"""Deterministic synthetic pose-feature CSVs: seed 001's activities filmed by a few fixed cameras.

The sample mimics seed 001's data: one CSV per camera (``source1.csv``, ...), one row per frame,
several videos per file, each video one person doing a short scripted sequence of activities,
labelled per frame. Columns: ``video``, ``subject``, ``frame``, the features of `POSE_FEATURES`,
``label``.

Activities (`ACTIVITIES`): ``standing_still``, ``sitting_down``, ``standing_up``,
``sitting_still``, ``walking_towards`` / ``walking_away`` (the camera), ``walking_across`` (the field
of view, in profile). Scripts (`_video`): walk up to a chair, maybe pause, sit down, sit, stand up,
maybe pause, walk away (most videos); cross the view, maybe pause, cross back; or start seated.
Like the real data, classes are imbalanced: pauses (``standing_still``) are rare and short, the
transitions short, walking and sitting long.

Features are what a 2-D pose pipeline computes from keypoints in one camera image:

=============================  ==========================================================  ===========
feature                        meaning                                                     typical
=============================  ==========================================================  ===========
left/right_knee_angle          interior hip-knee-ankle angle, degrees (180 = straight)     95 .. 178
left/right_hip_angle           interior shoulder-hip-knee angle, degrees (180 = upright)   75 .. 180
left/right_elbow_angle         interior shoulder-elbow-wrist angle, degrees                100 .. 175
trunk_lean                     hip-to-shoulder line vs vertical, degrees, > 0 forward      0 .. 40
hip_y                          hip midpoint height in the image, from the top, / height    0.5 .. 0.8
body_height                    shoulder-to-ankle vertical distance in the image / height   0.1 .. 0.7
shoulder_width                 shoulder-to-shoulder distance in the image / width          0.02 .. 0.3
=============================  ==========================================================  ===========

They come from a small body model: a person of some stature at some distance from a pinhole camera
(image sizes scale as 1 / distance, so walking towards the camera grows ``body_height``), facing it,
turned away or in profile (``shoulder_width`` shrinks), sitting or standing (knee and hip angles,
``hip_y``), with gait cycles (knees flex in antiphase, hips swing, arms swing) while walking. On top:
per-camera tracker noise, per-subject measurement bias, sway, fidgeting while seated, and missing
keypoints: short runs of frames without a detection (every feature empty) or without one elbow.
Not biomechanically exact; realistic in kind and scale.

Subject ``i`` draws its traits from ``default_rng([seed, 0, i])``, camera ``k`` from
``default_rng([seed, 1, k])`` and video ``v`` of camera ``k`` from ``default_rng([seed, 2, k, v])``.
"""

from __future__ import annotations

import csv
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.sample_cache import ensure_sample

# Bump whenever the generator's output changes: it is part of the cache key of `ensure_pose_sample`.
SAMPLE_VERSION = "1"

ACTIVITIES: tuple[str, ...] = (
    "standing_still",
    "sitting_down",
    "standing_up",
    "sitting_still",
    "walking_towards",
    "walking_away",
    "walking_across",
)
POSE_FEATURES: tuple[str, ...] = (
    "left_knee_angle",
    "right_knee_angle",
    "left_hip_angle",
    "right_hip_angle",
    "left_elbow_angle",
    "right_elbow_angle",
    "trunk_lean",
    "hip_y",
    "body_height",
    "shoulder_width",
)
CSV_COLUMNS: tuple[str, ...] = ("video", "subject", "frame", *POSE_FEATURES, "label")

_ANGLES = 7  # the first seven features are in degrees, the rest are image fractions
_ELBOWS = (POSE_FEATURES.index("left_elbow_angle"), POSE_FEATURES.index("right_elbow_angle"))
_FAR, _NEAR = (6.0, 8.5), (2.2, 3.2)  # metres from the camera where walks start / end


@dataclass(frozen=True)
class _Subject:
    name: str
    stature: float  # metres
    speed: float  # walking speed, m/s
    cadence: float  # gait cycles per second
    knee_sit: float  # knee angle when seated
    bias: np.ndarray  # per-feature measurement bias (limb proportions, clothing)


@dataclass(frozen=True)
class _Camera:
    focal: float  # image heights per metre at 1 m
    height: float  # metres above the floor
    angle_noise: float  # degrees
    position_noise: float  # image fractions


class _Track:
    """Per-frame body state of one video, built activity by activity from a starting state.

    State: ``sit`` (0 standing .. 1 seated), ``lean`` (extra forward trunk lean, degrees),
    ``depth`` (metres from the camera), ``yaw`` (0 facing the camera, ±90 profile, 180 back to it),
    ``gait`` (walking intensity 0 .. 1) and ``elbow`` (elbow flexion from using the hands, degrees).
    """

    KEYS = ("sit", "lean", "depth", "yaw", "gait", "elbow")

    def __init__(self, **start: float) -> None:
        self.state = {key: 0.0 for key in self.KEYS} | start
        self.parts: dict[str, list[np.ndarray]] = {key: [] for key in self.KEYS}
        self.labels: list[np.ndarray] = []

    def add(self, label: str, frames: int, **curves: np.ndarray | float) -> None:
        """Append ``frames`` frames of activity ``label``; state not given stays where it is."""
        for key in self.KEYS:
            values = np.broadcast_to(
                np.asarray(curves.get(key, self.state[key]), dtype=np.float64), (frames,)
            )
            self.parts[key].append(values)
            self.state[key] = float(values[-1])
        self.labels.append(np.full(frames, ACTIVITIES.index(label)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {key: np.concatenate(parts) for key, parts in self.parts.items()}


def generate_pose_dataset(
    out_dir: str | Path,
    num_sources: int = 3,
    videos_per_source: int = 24,
    num_subjects: int = 10,
    seed: int = 0,
    fps: float = 30.0,
    missing_fraction: float = 0.005,
) -> list[Path]:
    """Write ``<out_dir>/source<k>.csv`` for ``k = 1..num_sources``; return the paths.

    Videos are assigned to subjects evenly, shuffled across cameras, so every subject appears in
    several files. ``missing_fraction`` is the mean share of frames with missing keypoints. Same
    arguments, same files.
    """
    if num_sources < 1 or videos_per_source < 1 or num_subjects < 1:
        raise ValueError("num_sources, videos_per_source and num_subjects must be at least 1")
    if seed < 0 or fps <= 0 or not 0 <= missing_fraction <= 0.05:
        raise ValueError("seed must be >= 0, fps > 0 and missing_fraction in [0, 0.05]")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    subjects = [_subject(f"subject{i:02d}", np.random.default_rng([seed, 0, i])) for i in range(num_subjects)]
    total = num_sources * videos_per_source
    owner = np.random.default_rng([seed, 3]).permutation(np.resize(np.arange(num_subjects), total))
    paths = []
    for k in range(num_sources):
        camera = _camera(np.random.default_rng([seed, 1, k]))
        path = out_dir / f"source{k + 1}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for v in range(videos_per_source):
                subject = subjects[owner[k * videos_per_source + v]]
                rng = np.random.default_rng([seed, 2, k, v])
                track = _script(subject, rng, fps)
                features = _features(track, subject, camera, rng, fps)
                _drop_keypoints(features, missing_fraction, rng)
                labels = np.concatenate(track.labels)
                writer.writerows(_rows(f"video{v + 1:02d}", subject.name, features, labels))
        paths.append(path)
    return paths


# Taken once, so that the cache key does not depend on what the name is bound to later (test doubles).
_GENERATOR_PARAMETERS = inspect.signature(generate_pose_dataset)


def ensure_pose_sample(cache_dir: str | Path, **params: Any) -> Path:
    """The sample CSVs for ``params`` (of `generate_pose_dataset`), generated on first use into
    ``<cache_dir>/pose-<hash>`` (see `ensure_sample`)."""
    return ensure_sample(
        cache_dir, "pose", SAMPLE_VERSION, _GENERATOR_PARAMETERS, generate_pose_dataset, params
    )


def _subject(name: str, rng: np.random.Generator) -> _Subject:
    bias = np.concatenate([rng.normal(0, 3.0, _ANGLES), np.zeros(len(POSE_FEATURES) - _ANGLES)])
    return _Subject(
        name=name,
        stature=rng.uniform(1.55, 1.92),
        speed=rng.uniform(0.9, 1.4),
        cadence=rng.uniform(0.85, 1.05),
        knee_sit=rng.uniform(88, 105),
        bias=bias,
    )


def _camera(rng: np.random.Generator) -> _Camera:
    return _Camera(
        focal=rng.uniform(0.85, 1.15),
        height=rng.uniform(0.9, 1.5),
        angle_noise=rng.uniform(1.5, 3.5),
        position_noise=rng.uniform(0.002, 0.006),
    )


def _script(subject: _Subject, rng: np.random.Generator, fps: float) -> _Track:
    """One video's activities: mostly a visit to a chair, sometimes a walk across, or seated first."""

    def frames(low: float, high: float) -> int:
        return round(rng.uniform(low, high) * fps)

    chair = rng.uniform(*_NEAR)
    script = rng.choice(3, p=[0.6, 0.25, 0.15])
    if script == 1:
        depth = rng.uniform(3.0, 5.5)
        track = _Track(depth=depth, yaw=90.0)
        _cross(track, frames(3.0, 6.0), 90.0, rng, fps)
        if rng.random() < 0.3:
            _stand(track, frames(0.6, 2.2), rng, fps)
        _cross(track, frames(3.0, 6.0), -90.0, rng, fps)
        return track
    if script == 0:
        track = _Track(depth=rng.uniform(*_FAR))
        _walk(track, "walking_towards", chair, subject, rng, fps)
        if rng.random() < 0.3:
            _stand(track, frames(0.6, 2.2), rng, fps)
        _sit_down(track, frames(1.8, 2.8), rng)
    else:
        track = _Track(depth=chair, sit=1.0)
    _sit(track, frames(2.5, 6.0), rng, fps)
    _stand_up(track, frames(1.8, 2.8), rng)
    if rng.random() < 0.2:
        _stand(track, frames(0.6, 2.2), rng, fps)
    _walk(track, "walking_away", rng.uniform(*_FAR), subject, rng, fps)
    return track


def _ramp(frames: int) -> np.ndarray:
    """Raised cosine from just above 0 to exactly 1 over ``frames`` frames (joins the previous state)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(1, frames + 1) / frames)


def _towards(start: float, end: float, frames: int, turn_frames: int) -> np.ndarray:
    """``start`` → ``end`` over the first ``turn_frames`` frames, then held."""
    s = _ramp(max(1, min(turn_frames, frames)))
    return np.concatenate([start + (end - start) * s, np.full(frames - len(s), end)])


def _fade(frames: int, fade_frames: int) -> np.ndarray:
    """1 in the middle, raised-cosine ramps at both ends (starting and stopping to walk)."""
    t = np.arange(frames)
    edge = np.minimum(t + 1, frames - t) / max(fade_frames, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(edge, 0, 1))


def _stand(track: _Track, frames: int, rng: np.random.Generator, fps: float) -> None:
    t = np.arange(frames) / fps
    sway = rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * rng.uniform(0.2, 0.4) * t + rng.uniform(0, 2 * np.pi))
    track.add(
        "standing_still",
        frames,
        sit=0.0,
        gait=0.0,
        lean=sway,
        elbow=_towards(track.state["elbow"], 0, frames, 10),
    )


def _sit(track: _Track, frames: int, rng: np.random.Generator, fps: float) -> None:
    """Seated, fidgeting: now and then one hand comes up (phone, face) for 1-3 s."""
    elbow = np.zeros(frames)
    for _ in range(rng.poisson(frames / fps / 6)):
        length = min(frames, round(rng.uniform(1.0, 3.0) * fps))
        start = int(rng.integers(0, frames - length + 1))
        elbow[start : start + length] += rng.uniform(20, 45) * np.sin(np.pi * np.arange(length) / length)
    t = np.arange(frames) / fps
    lean = track.state["lean"] + rng.uniform(1, 3) * np.sin(2 * np.pi * t / rng.uniform(3, 8))
    track.add("sitting_still", frames, sit=1.0, gait=0.0, lean=lean, elbow=elbow)


def _sit_down(track: _Track, frames: int, rng: np.random.Generator) -> None:
    """The trunk leans forward (peak half-way) while the hips go down to the seat."""
    s = _ramp(frames)
    track.add("sitting_down", frames, sit=s, yaw=0.0, gait=0.0, lean=rng.uniform(20, 35) * np.sin(np.pi * s))


def _stand_up(track: _Track, frames: int, rng: np.random.Generator) -> None:
    """The trunk leans forward early (momentum), then the legs extend."""
    s = _ramp(frames)
    lean = track.state["lean"] * (1 - s) + rng.uniform(25, 40) * np.sin(np.pi * s**0.6)
    track.add("standing_up", frames, sit=1 - s, yaw=0.0, gait=0.0, lean=lean, elbow=0.0)


def _walk(
    track: _Track, label: str, depth: float, subject: _Subject, rng: np.random.Generator, fps: float
) -> None:
    """Walk straight towards or away from the camera to ``depth``, turning first if needed."""
    frames = max(round(abs(depth - track.state["depth"]) / subject.speed * fps), round(fps))
    yaw = 0.0 if label == "walking_towards" else 180.0
    track.add(
        label,
        frames,
        sit=0.0,
        lean=0.0,
        depth=np.linspace(track.state["depth"], depth, frames + 1)[1:],
        yaw=_towards(track.state["yaw"], yaw, frames, round(0.7 * fps)),
        gait=_fade(frames, round(0.4 * fps)),
        elbow=0.0,
    )


def _cross(track: _Track, frames: int, yaw: float, rng: np.random.Generator, fps: float) -> None:
    """Walk across the field of view, in profile, at a roughly constant distance."""
    depth = track.state["depth"] + np.cumsum(rng.normal(0, 0.004, frames))
    track.add(
        "walking_across",
        frames,
        sit=0.0,
        lean=0.0,
        depth=depth,
        yaw=_towards(track.state["yaw"], yaw, frames, round(0.7 * fps)),
        gait=_fade(frames, round(0.4 * fps)),
    )


def _circular_bump(phase: np.ndarray, centre: float, width: float) -> np.ndarray:
    distance = (phase - centre + 0.5) % 1 - 0.5
    return np.exp(-((distance / width) ** 2))


def _features(
    track: _Track, subject: _Subject, camera: _Camera, rng: np.random.Generator, fps: float
) -> np.ndarray:
    """The `POSE_FEATURES` a pose pipeline would measure for ``track`` through ``camera``: ``[T, F]``."""
    a = track.arrays()
    sit, gait, depth = a["sit"], a["gait"], a["depth"]
    cycles = np.cumsum(gait * subject.cadence / fps)
    sides = [cycles % 1, (cycles + 0.5) % 1]  # left, right leg phase (0 = heel strike)
    knees = [
        (1 - sit) * 176
        + sit * subject.knee_sit
        - gait * (15 * _circular_bump(p, 0.12, 0.07) + 55 * _circular_bump(p, 0.72, 0.12))
        for p in sides
    ]
    trunk = 3 + 7 * sit + a["lean"] + 4 * gait
    hips = [
        (1 - sit) * 176 + sit * 100 - a["lean"] - gait * (7.5 + 17.5 * np.cos(2 * np.pi * p)) for p in sides
    ]
    # each arm swings with the opposite leg
    elbows = [
        (1 - sit) * 165 + sit * 125 - a["elbow"] - gait * 8 * np.sin(2 * np.pi * p) for p in sides[::-1]
    ]
    stature = subject.stature
    hip_height = (1 - sit) * 0.53 * stature + sit * 0.47 + gait * 0.02 * np.cos(4 * np.pi * cycles)
    shoulder_height = hip_height + 0.30 * stature * np.cos(np.radians(trunk))
    yaw = np.radians(a["yaw"])
    width = 0.24 * stature * np.abs(np.cos(yaw)) + 0.10 * stature * np.abs(np.sin(yaw))
    features = np.stack(
        [
            *knees,
            *hips,
            *elbows,
            trunk,
            0.5 + camera.focal * (camera.height - hip_height) / depth,
            camera.focal * (shoulder_height - 0.08) / depth,
            camera.focal * 9 / 16 * width / depth,  # 16:9 image: widths are fractions of the width
        ],
        axis=1,
    )
    noise = np.concatenate(
        [np.full(_ANGLES, camera.angle_noise), np.full(len(POSE_FEATURES) - _ANGLES, camera.position_noise)]
    )
    features += subject.bias + rng.normal(0, 1, features.shape) * noise
    features[:, :6] = np.minimum(features[:, :6], 180.0)  # interior angles
    return features


def _drop_keypoints(features: np.ndarray, fraction: float, rng: np.random.Generator) -> None:
    """Blank runs of 1-3 frames (never within 5 frames of either end, never touching each other):
    two thirds lose every feature (no detection), one third one elbow (occluded hand)."""
    frames = len(features)
    starts = np.flatnonzero(rng.random(frames) < fraction / 2)
    starts = starts[(starts >= 5) & (starts < frames - 8)]
    starts = starts[np.diff(starts, prepend=-10) > 4]
    lengths = rng.integers(1, 4, len(starts))
    elbow_only = rng.random(len(starts)) < 1 / 3
    for start, length, partial in zip(starts, lengths, elbow_only, strict=True):
        columns = _ELBOWS[int(rng.integers(2))] if partial else slice(None)
        features[start : start + length, columns] = np.nan


def _rows(video: str, subject: str, features: np.ndarray, labels: np.ndarray) -> list[list[str]]:
    """CSV rows: angles with 2 decimals, image fractions with 4, missing values as empty cells."""
    columns = [np.char.mod("%.2f", features[:, j]) for j in range(_ANGLES)]
    columns += [np.char.mod("%.4f", features[:, j]) for j in range(_ANGLES, features.shape[1])]
    cells = np.stack(columns, axis=1)
    cells[np.isnan(features)] = ""
    names = np.asarray(ACTIVITIES)[labels]
    return [
        [video, subject, str(i), *row, name]
        for i, (row, name) in enumerate(zip(cells.tolist(), names, strict=True))
    ]
