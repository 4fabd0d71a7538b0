"""Deterministic synthetic tracking sessions: head and hip rotations and arm positions of a person
moving in front of a tracker, as seed 000's app would record them.

Conventions of the sample (the format itself leaves them to the app): rotations in degrees, x =
pitch (nodding, > 0 down), y = yaw (turning, > 0 left), z = roll (tilting); arm positions are the
hands relative to the hips centre in metres, x = lateral (> 0 right), y = up, z = forward.

A session (40-120 s by default) is a sequence of 4-15 s activities joined by 0.5-1.5 s cross-fades:

* periodic: arm raises (front or side, one or both arms, along an arc), arm circles, torso twists
  (hips yaw with the arms and head following), marching on the spot (hip roll, arm swing), bending
  forward from the hips, head nods and head turns — each with its own amplitude and a tempo that
  drifts by about ±10 %;
* aperiodic: reaching for random points with one arm while the head looks that way, and idle
  standing;
* always on: the head looking around (smooth moves between random targets every 1.5-4 s), slow
  body sway.

On top come the tracker's faults: Gaussian jitter (per-person level), rare single-frame glitches
(8-20 degrees or 0.1-0.3 m on one joint) and a jittery clock: frames are captured every ``1 / fps``
seconds ± ``clock_jitter_ms`` and occasionally 1-3 frames are lost (their timestamps are missing).
The motion is evaluated at the actual capture times, so the timestamps are truthful.

User ``u`` draws its traits from ``default_rng([seed, u])`` and its session ``k`` from
``default_rng([seed, u, k])``, so adding users or sessions leaves the existing ones unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.sample_cache import ensure_sample
from motionlab.data.tracking.format import FEATURE_NAMES, write_tracking_file

# Bump whenever the generator's output changes: it is part of the cache key of `ensure_tracking_sample`.
SAMPLE_VERSION = "1"

_F = len(FEATURE_NAMES)
HEAD, HIPS, LEFT, RIGHT = 0, 3, 6, 9  # first column of each joint; + 0/1/2 for x/y/z
_START = datetime(2025, 3, 1, 9, 0, 0)
SESSIONS_DIR = "sessions"


@dataclass(frozen=True)
class _User:
    """One person and their tracker: rest pose, amplitude and tempo habits, jitter level."""

    rest: np.ndarray  # [12] pose when standing still
    amplitude: float
    tempo: float
    jitter: np.ndarray  # [12] tracking noise sd per feature


def generate_tracking_dataset(
    out_dir: str | Path,
    num_users: int = 8,
    sessions_per_user: int = 6,
    seconds: tuple[float, float] = (40.0, 120.0),
    seed: int = 0,
    fps: float = 30.0,
    glitches_per_minute: float = 2.0,
    drops_per_minute: float = 1.0,
    clock_jitter_ms: float = 2.0,
) -> list[Path]:
    """Write ``<out_dir>/user<u>.json`` (all sessions of user ``u``, like one collector file each).

    Same arguments, same files. Returns the paths.
    """
    low, high = (float(s) for s in seconds)
    if num_users < 1 or sessions_per_user < 1 or not 2 <= low <= high or fps <= 0:
        raise ValueError(
            "need num_users >= 1, sessions_per_user >= 1, 2 <= seconds[0] <= seconds[1], fps > 0"
        )
    if min(glitches_per_minute, drops_per_minute, clock_jitter_ms) < 0 or seed < 0:
        raise ValueError("seed, glitches_per_minute, drops_per_minute and clock_jitter_ms must be >= 0")
    paths = []
    for u in range(num_users):
        user = _user(np.random.default_rng([seed, u]))
        sessions, stamps = [], []
        for k in range(sessions_per_user):
            rng = np.random.default_rng([seed, u, k])
            t = _capture_times(rng.uniform(low, high), fps, rng, clock_jitter_ms, drops_per_minute)
            frames = _sensor(_motion(user, t, rng), user, rng, glitches_per_minute, fps)
            start = _START + timedelta(days=u, hours=k)
            sessions.append(frames)
            stamps.append([(start + timedelta(seconds=float(s))).isoformat() for s in t])
        paths.append(write_tracking_file(Path(out_dir) / f"user{u:02d}.json", sessions, stamps, decimals=4))
    return paths


# Taken once, so that the cache key does not depend on what the name is bound to later (test doubles).
_GENERATOR_PARAMETERS = inspect.signature(generate_tracking_dataset)


def ensure_tracking_sample(cache_dir: str | Path, **params: Any) -> Path:
    """The sample dataset for ``params`` (of `generate_tracking_dataset`), generated on first use.

    Returns ``<cache_dir>/tracking-<hash of SAMPLE_VERSION and all parameters>/sessions`` (see
    `ensure_sample`); the cache's ``sample.json`` manifest sits one level up, out of the reader's way.
    """
    if "seconds" in params:  # a YAML list and a tuple are the same setting (and the same cache key)
        params = {**params, "seconds": tuple(float(s) for s in params["seconds"])}
    root = ensure_sample(
        cache_dir, "tracking", SAMPLE_VERSION, _GENERATOR_PARAMETERS, _generate_sessions, params
    )
    return root / SESSIONS_DIR


def _generate_sessions(out_dir: Path, **params: Any) -> list[Path]:
    return generate_tracking_dataset(Path(out_dir) / SESSIONS_DIR, **params)


def _user(rng: np.random.Generator) -> _User:
    shoulder = rng.uniform(0.2, 0.26)
    rest = np.zeros(_F)
    rest[HEAD : HEAD + 3] = rng.normal(0, [4, 3, 2])
    rest[HIPS : HIPS + 3] = rng.normal(0, [2, 2, 1])
    rest[LEFT : LEFT + 3] = [-shoulder, rng.uniform(0.0, 0.08), rng.uniform(0.05, 0.15)]
    rest[RIGHT : RIGHT + 3] = [shoulder, rng.uniform(0.0, 0.08), rng.uniform(0.05, 0.15)]
    level = rng.uniform(0.5, 1.5)
    jitter = level * np.array([0.3, 0.3, 0.2, 0.2, 0.2, 0.15] + [0.004] * 6)
    return _User(rest, rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.25), jitter)


def _capture_times(
    seconds: float, fps: float, rng: np.random.Generator, jitter_ms: float, drops_per_minute: float
) -> np.ndarray:
    """Capture times of the frames that reached the file: a jittery clock, lost runs of 1-3 frames."""
    count = round(seconds * fps)
    t = np.arange(count) / fps + rng.normal(0, jitter_ms / 1000, count).clip(-0.3 / fps, 0.3 / fps)
    drops = rng.poisson(drops_per_minute * seconds / 60)
    starts = rng.integers(5, count - 8, drops)
    lengths = rng.integers(1, 4, drops)
    lost = (
        np.repeat(starts, lengths)
        + np.arange(lengths.sum())
        - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    keep = np.ones(count, dtype=bool)
    keep[lost] = False
    return t[keep] - t[0]


def _sensor(
    clean: np.ndarray, user: _User, rng: np.random.Generator, glitches_per_minute: float, fps: float
) -> np.ndarray:
    """Tracker output: jitter on every value, and single-frame glitches on one joint."""
    frames = clean + rng.normal(0, 1, clean.shape) * user.jitter
    count = rng.poisson(glitches_per_minute * len(frames) / fps / 60)
    rows = rng.integers(0, len(frames), count)
    joints = rng.integers(0, 4, count)
    size = np.where(joints < 2, rng.uniform(8, 20, count), rng.uniform(0.1, 0.3, count))
    columns = 3 * joints + rng.integers(0, 3, count)
    frames[rows, columns] += rng.choice([-1, 1], count) * size
    return frames


def _motion(user: _User, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The true pose ``[T, 12]`` at times ``t``: rest pose, always-on idle moves, and activities."""
    pose = np.broadcast_to(user.rest, (len(t), _F)).copy()
    pose[:, HEAD : HEAD + 3] += _knots(t, rng, (1.5, 4.0), np.array([6.0, 15.0, 3.0]) * user.amplitude)
    pose[:, HIPS : HIPS + 3] += _knots(t, rng, (2.0, 5.0), np.array([1.5, 3.0, 1.0]))
    sway = _knots(t, rng, (2.0, 5.0), np.array([0.015, 0.01, 0.015]))
    pose[:, LEFT : LEFT + 3] += sway
    pose[:, RIGHT : RIGHT + 3] += sway
    start, end = 0.0, float(t[-1])
    while start < end:
        length = rng.uniform(4.0, 15.0)
        fade = rng.uniform(0.5, 1.5)
        activity = _ACTIVITIES[int(rng.integers(len(_ACTIVITIES)))]
        inside = (t > start - fade) & (t < start + length + fade)
        local = t[inside]
        envelope = _envelope(local, start, start + length, fade)
        pose[inside] += envelope[:, None] * activity(user, local, rng, pose[inside])
        start += length
    return pose


def _envelope(t: np.ndarray, start: float, end: float, fade: float) -> np.ndarray:
    """1 inside ``[start, end]``, raised-cosine fades of ``fade`` seconds outside it, 0 beyond."""
    before = np.clip((t - (start - fade)) / fade, 0, 1)
    after = np.clip(((end + fade) - t) / fade, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(before, after))


def _knots(
    t: np.ndarray, rng: np.random.Generator, spacing: tuple[float, float], sd: np.ndarray
) -> np.ndarray:
    """Smooth aperiodic movement ``[T, len(sd)]``: random targets at random spacing joined by raised
    cosines (a move, then a stop at each target)."""
    steps = rng.uniform(*spacing, int(t[-1] / spacing[0]) + 3)
    times = np.concatenate([[-steps[0]], np.cumsum(steps) - steps[0]])
    values = rng.normal(0, 1, (len(times), len(sd))) * sd
    k = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    w = (0.5 - 0.5 * np.cos(np.pi * (t - times[k]) / (times[k + 1] - times[k])))[:, None]
    return values[k] * (1 - w) + values[k + 1] * w


def _phase(user: _User, t: np.ndarray, rng: np.random.Generator, period: tuple[float, float]) -> np.ndarray:
    """Phase in radians of a periodic movement whose tempo drifts by about ±10 %."""
    speed = 1 + _knots(t, rng, (2.0, 4.0), np.array([0.1]))[:, 0]
    elapsed = np.concatenate([[0.0], np.cumsum(np.diff(t) * speed[1:])])
    return 2 * np.pi * elapsed * user.tempo / rng.uniform(*period) + rng.uniform(0, 2 * np.pi)


def _arm_raise(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """One or both arms swing up along an arc (radius 0.6 m) to the front or the side, and back."""
    angle = np.radians(rng.uniform(60, 160) * user.amplitude) * (
        0.5 - 0.5 * np.cos(_phase(user, t, rng, (2, 4)))
    )
    reach, lift = 0.6 * np.sin(angle), 0.6 * (1 - np.cos(angle))
    delta = np.zeros((len(t), _F))
    sideways = rng.random() < 0.5
    arms = [[(LEFT, -1)], [(RIGHT, 1)], [(LEFT, -1), (RIGHT, 1)]][int(rng.integers(3))]
    for arm, side in arms:
        delta[:, arm + 1] = lift
        if sideways:
            delta[:, arm] = side * reach
        else:
            delta[:, arm + 2] = reach
    return delta


def _arm_circles(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Both arms held out to the side drawing circles (radius 0.1-0.2 m)."""
    phase = _phase(user, t, rng, (1.5, 3.0))
    radius = rng.uniform(0.1, 0.2) * user.amplitude
    delta = np.zeros((len(t), _F))
    for arm, side in ((LEFT, -1), (RIGHT, 1)):
        delta[:, arm] = side * (0.4 + radius * np.cos(phase))
        delta[:, arm + 1] = 0.45 + radius * np.sin(phase)
    return delta


def _twist(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Torso twists: hips yaw ±15-35 degrees, the head follows partly, the hands rotate with the hips."""
    yaw = rng.uniform(15, 35) * user.amplitude * np.sin(_phase(user, t, rng, (2, 4)))
    delta = np.zeros((len(t), _F))
    delta[:, HIPS + 1] = yaw
    delta[:, HEAD + 1] = rng.uniform(0.3, 0.8) * yaw
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    for arm in (LEFT, RIGHT):
        x, z = pose[:, arm], pose[:, arm + 2]
        delta[:, arm] = c * x + s * z - x
        delta[:, arm + 2] = -s * x + c * z - z
    return delta


def _march(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Marching on the spot: hip roll and pitch, head bob, arms swinging forward and back in turn."""
    phase = _phase(user, t, rng, (0.9, 1.3))
    swing = rng.uniform(0.1, 0.25) * user.amplitude
    delta = np.zeros((len(t), _F))
    delta[:, HIPS + 2] = rng.uniform(2, 5) * np.sin(phase)
    delta[:, HIPS] = 1.5 * np.sin(2 * phase)
    delta[:, HEAD] = 1.0 * np.sin(2 * phase + 0.5)
    delta[:, LEFT + 2] = swing * np.sin(phase)
    delta[:, RIGHT + 2] = -swing * np.sin(phase)
    delta[:, LEFT + 1] = 0.3 * swing * np.abs(np.sin(phase))
    delta[:, RIGHT + 1] = 0.3 * swing * np.abs(np.sin(phase))
    return delta


def _bend(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Bending forward from the hips (pitch 15-45 degrees) and back up; the hands go down and forward."""
    depth = rng.uniform(15, 45) * user.amplitude * (0.5 - 0.5 * np.cos(_phase(user, t, rng, (3, 5))))
    delta = np.zeros((len(t), _F))
    delta[:, HIPS] = depth
    delta[:, HEAD] = -0.4 * depth
    for arm in (LEFT, RIGHT):
        delta[:, arm + 1] = -0.012 * depth
        delta[:, arm + 2] = 0.008 * depth
    return delta


def _head(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Head exercise: nodding (pitch ±10-25 degrees) or turning (yaw ±30-60 degrees)."""
    nod = rng.random() < 0.5
    amplitude = rng.uniform(10, 25) if nod else rng.uniform(30, 60)
    delta = np.zeros((len(t), _F))
    delta[:, HEAD + (0 if nod else 1)] = amplitude * user.amplitude * np.sin(_phase(user, t, rng, (2, 4)))
    return delta


def _reach(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Reaching for random points with one arm (a new target every 1-2.5 s); the head looks that way."""
    arm, side = [(LEFT, -1), (RIGHT, 1)][int(rng.integers(2))]
    target = _knots(t, rng, (1.0, 2.5), np.array([0.12, 0.25, 0.2])) + np.array([0.05 * side, 0.35, 0.3])
    delta = np.zeros((len(t), _F))
    delta[:, arm : arm + 3] = target
    delta[:, HEAD + 1] = -side * 40 * target[:, 0]
    delta[:, HEAD] = -15 * (target[:, 1] - 0.35)
    return delta


def _idle(user: _User, t: np.ndarray, rng: np.random.Generator, pose: np.ndarray) -> np.ndarray:
    """Standing: only the always-on head and body moves."""
    return np.zeros((len(t), _F))


_Activity = Callable[[_User, np.ndarray, np.random.Generator, np.ndarray], np.ndarray]
_ACTIVITIES: tuple[_Activity, ...] = (_arm_raise, _arm_circles, _twist, _march, _bend, _head, _reach, _idle)
