"""Deterministic synthetic workout sessions that look like the output of a joint-angle tracker.

A session is: idle warm-up (8-20 s), 4-8 sets of 5-15 reps (each set one exercise, all four
exercises in every session), 8-40 s rests between sets, idle cool-down; it lasts 2.5-4.5 minutes
(`_plan` shortens sets and rests to fit). Every piece is built from postures (25-angle vectors,
see `motionlab.data.workout.format`) joined by raised-cosine blends, so the trajectory is smooth
and continuous:

* a rep moves ``start`` -> ``turn`` -> ``start`` of its exercise's profile (`_EXERCISES`), the two
  phases with different durations, sometimes with a pause at the turning point or after the rep;
  reps slow down and shorten through a set (fatigue) and vary in range of motion;
* getting into and out of position (plank, hang, dip support) passes through waypoints and is
  labelled ``no_exercise``;
* idle time is standing with walking bouts and everyday moves (`_IDLE_MOVES`), some of which look
  like the onset of an exercise (bending down, reaching overhead, flexing the elbows);
* on top: slow per-joint drift, per-subject Gaussian noise (0.5-2 degrees), rare single-frame
  tracking glitches (10-30 degrees on one angle) and short runs (1-3 frames) of dropped frames (NaN
  rows) away from the first and last 5 frames.

Subject ``i`` draws its traits from ``default_rng([seed, i])`` and its session ``k`` from
``default_rng([seed, i, k])``, so adding subjects or sessions leaves the existing ones unchanged.
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.sample_cache import ensure_sample
from motionlab.data.workout.format import JOINT_ANGLES, WORKOUT_CLASSES, write_workout_session

# Bump whenever the generator's output changes: it is part of the cache key of `ensure_workout_sample`.
SAMPLE_VERSION = "1"

_COLUMN = {name: i for i, name in enumerate(JOINT_ANGLES)}
_NUM_ANGLES = len(JOINT_ANGLES)
_NO_EXERCISE = WORKOUT_CLASSES.index("no_exercise")
_LABELS = np.asarray(WORKOUT_CLASSES)
_SIGNED = np.array([name.endswith(("_tilt", "_rotation")) for name in JOINT_ANGLES])
# Angles between three joints come out of an arccos: a tracker never reports them above 180.
_INTERIOR = np.array(
    [name.endswith(("elbow", "hip_flexion", "knee", "ankle", "body_line")) for name in JOINT_ANGLES]
)


def _swap_side(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name.removeprefix("left_")
    if name.startswith("right_"):
        return "left_" + name.removeprefix("right_")
    return name


_MIRROR = np.array([_COLUMN[_swap_side(name)] for name in JOINT_ANGLES])


def _angles(base: np.ndarray | None = None, **values: float) -> np.ndarray:
    """A 25-angle vector: ``base`` (zeros when omitted) with ``values`` set.

    A name without a ``left_``/``right_`` prefix sets both sides: ``_angles(elbow=170)``.
    """
    out = np.zeros(_NUM_ANGLES) if base is None else base.copy()
    for name, value in values.items():
        for column in (name,) if name in _COLUMN else (f"left_{name}", f"right_{name}"):
            out[_COLUMN[column]] = value
    return out


def _mirror(delta: np.ndarray) -> np.ndarray:
    """The same movement done with the other side of the body."""
    return delta[..., _MIRROR] * np.where(_SIGNED, -1.0, 1.0)


# The posture tables below are laid out by hand, a few angles per line.
# fmt: off
_STANDING = _angles(
    elbow=165, shoulder_flexion=5, shoulder_abduction=8, wrist=5, hip_flexion=174, hip_abduction=5,
    knee=172, ankle=90, trunk_inclination=3, neck_flexion=8, body_line=174,
)


@dataclass(frozen=True)
class _Exercise:
    """How one exercise moves: every rep goes ``start`` -> ``turn`` -> ``start``.

    Subjects mix ``start`` with ``alt_start`` (a second style, e.g. dips with bent or straight
    knees); ``entry`` are the waypoints from standing into ``start`` (walked backwards to leave).
    """

    start: np.ndarray
    turn: np.ndarray
    alt_start: np.ndarray
    entry: tuple[np.ndarray, ...]
    first_phase: float  # share of the movement time before the turning point
    tempo: float  # rep duration relative to the subject's habitual one


_PUSH_UP = _angles(
    _STANDING, elbow=168, shoulder_flexion=80, shoulder_abduction=30, wrist=80, hip_flexion=172,
    knee=172, ankle=100, trunk_inclination=78, neck_flexion=0, body_line=173,
)
_SQUAT = _angles(
    _STANDING, elbow=168, shoulder_flexion=70, shoulder_abduction=10, wrist=10, hip_flexion=172,
    hip_abduction=8, knee=172, trunk_inclination=5, neck_flexion=5, body_line=174,
)
_PULL_UP = _angles(
    _STANDING, elbow=168, shoulder_flexion=170, shoulder_abduction=25, hip_flexion=172, knee=170,
    ankle=115, trunk_inclination=4, neck_flexion=0, body_line=174,
)
_DIP = _angles(
    _STANDING, elbow=168, shoulder_flexion=-10, shoulder_abduction=15, wrist=60, hip_flexion=165,
    knee=165, ankle=110, trunk_inclination=8, neck_flexion=5, body_line=168,
)

# In `WORKOUT_CLASSES` order.
_EXERCISES: tuple[_Exercise, ...] = (
    _Exercise(  # push_up: elbows 170 -> 80 with the trunk near horizontal and the body straight
        start=_PUSH_UP,
        turn=_angles(
            _PUSH_UP, elbow=80, shoulder_flexion=35, shoulder_abduction=45, wrist=88, hip_flexion=172,
            ankle=105, trunk_inclination=88, neck_flexion=-8, body_line=170,
        ),
        alt_start=_angles(_PUSH_UP, shoulder_abduction=15, hip_flexion=168, body_line=168),
        entry=(
            _angles(
                _STANDING, elbow=165, shoulder_flexion=75, shoulder_abduction=20, wrist=70, hip_flexion=55,
                knee=55, ankle=65, trunk_inclination=65, neck_flexion=15, body_line=75,
            ),
        ),
        first_phase=0.55,
        tempo=1.0,
    ),
    _Exercise(  # squat: knees and hips 175 -> 70, ankles dorsiflex, trunk leans forward, arms forward
        start=_SQUAT,
        turn=_angles(
            _SQUAT, elbow=160, shoulder_flexion=95, hip_flexion=70, hip_abduction=20, knee=70, ankle=65,
            trunk_inclination=40, neck_flexion=-10, body_line=115,
        ),
        alt_start=_angles(_SQUAT, shoulder_flexion=80, shoulder_abduction=20, elbow=60),
        entry=(),
        first_phase=0.55,
        tempo=1.05,
    ),
    _Exercise(  # pull_up: from a hang, elbows 170 -> 50 and shoulders 170 -> 60, trunk near vertical
        start=_PULL_UP,
        turn=_angles(
            _PULL_UP, elbow=50, shoulder_flexion=60, shoulder_abduction=15, hip_flexion=158, knee=155,
            trunk_inclination=12, neck_flexion=-15, body_line=165,
        ),
        alt_start=_angles(_PULL_UP, knee=100, hip_flexion=160, body_line=150, ankle=120),
        entry=(
            _angles(
                _STANDING, elbow=168, shoulder_flexion=165, shoulder_abduction=25, wrist=10, ankle=110,
                neck_flexion=-15,
            ),
        ),
        first_phase=0.42,  # the pull (concentric) is quicker than the way down
        tempo=1.15,
    ),
    _Exercise(  # dip: on the bars, elbows 172 -> 88 with the shoulders going into extension
        start=_DIP,
        turn=_angles(
            _DIP, elbow=88, shoulder_flexion=-55, shoulder_abduction=22, wrist=75, hip_flexion=155,
            trunk_inclination=28, neck_flexion=10, body_line=158,
        ),
        alt_start=_angles(_DIP, knee=95, hip_flexion=150, body_line=145, ankle=115),
        entry=(
            _angles(
                _STANDING, elbow=160, shoulder_flexion=-5, shoulder_abduction=15, wrist=50, hip_flexion=160,
                knee=150, ankle=95, trunk_inclination=8,
            ),
        ),
        first_phase=0.55,
        tempo=1.0,
    ),
)


@dataclass(frozen=True)
class _IdleMove:
    """An everyday movement while not exercising: ``delta`` from standing at its peak."""

    delta: np.ndarray
    seconds: tuple[float, float]


_IDLE_MOVES: tuple[_IdleMove, ...] = (
    _IdleMove(  # bend down to pick something up: looks like the start of a squat
        _angles(
            hip_flexion=-85, knee=-65, ankle=-18, trunk_inclination=55, body_line=-55, shoulder_flexion=45,
            elbow=-5, neck_flexion=10,
        ),
        (2.0, 4.0),
    ),
    _IdleMove(  # reach overhead: looks like grabbing a pull-up bar
        _angles(shoulder_flexion=155, shoulder_abduction=15, elbow=8, neck_flexion=-15, ankle=10), (1.5, 3.5)
    ),
    _IdleMove(  # drink from a bottle with one hand
        _angles(right_elbow=-110, right_shoulder_flexion=35, right_wrist=15, neck_flexion=-20), (2.0, 5.0)
    ),
    _IdleMove(  # look at a phone held in both hands: elbows flex like a pull
        _angles(elbow=-85, shoulder_flexion=25, neck_flexion=35), (3.0, 8.0)
    ),
    _IdleMove(  # rest with the hands on the knees after a hard set
        _angles(
            hip_flexion=-55, knee=-30, trunk_inclination=45, body_line=-35, shoulder_flexion=50, elbow=5,
            neck_flexion=-10,
        ),
        (3.0, 6.0),
    ),
    _IdleMove(  # arms out sideways, stretching
        _angles(shoulder_abduction=70, elbow=10, neck_flexion=-5), (1.5, 3.0)
    ),
    _IdleMove(  # quad stretch on one leg
        _angles(
            left_knee=-125, left_ankle=30, left_elbow=-60, left_shoulder_flexion=-25, hip_line_tilt=3,
            trunk_lateral_tilt=-3,
        ),
        (3.0, 6.0),
    ),
    _IdleMove(  # forward lunge stretch
        _angles(
            left_knee=-70, left_hip_flexion=-60, right_knee=-15, left_ankle=-15, trunk_inclination=10,
            body_line=-10,
        ),
        (2.5, 5.0),
    ),
    _IdleMove(  # shift the weight onto one leg
        _angles(hip_line_tilt=6, trunk_lateral_tilt=-4, shoulder_line_tilt=-3, left_knee=-12), (2.0, 6.0)
    ),
)

# Walking: a constant offset plus first-harmonic components (amplitudes, phase lag) of the gait cycle.
_GAIT_MEAN = _angles(hip_flexion=-9, knee=-18, elbow=-8)
_GAIT = (
    (
        _angles(
            left_hip_flexion=-9, right_hip_flexion=9, left_shoulder_flexion=-12, right_shoulder_flexion=12,
            left_ankle=6, right_ankle=-6, trunk_rotation=4,
        ),
        0.0,
    ),
    (_angles(left_knee=-18, right_knee=18), 0.6),
    (_angles(hip_line_tilt=2, trunk_lateral_tilt=1.5, shoulder_line_tilt=-1.5), 1.6),
)
# fmt: on
# Standard deviation of the slow drift of each angle, in degrees.
_DRIFT_DEG = np.where(_SIGNED, 0.7, 1.5)
_DRIFT_SECONDS = 2.0
# Standard deviation of a subject's postures around the profiles, in degrees.
_POSTURE_SD = np.where(_SIGNED, 1.0, 2.5)


@dataclass(frozen=True)
class _Subject:
    """One person's body, technique and tracker quality."""

    name: str
    standing: np.ndarray
    starts: np.ndarray  # [exercises, angles] start posture of each exercise
    deltas: np.ndarray  # [exercises, angles] turn - start at full range of motion
    rep_seconds: float  # habitual duration of one rep's movement
    noise_deg: float
    offset: np.ndarray  # constant per-angle offset (tracker calibration, limb proportions)


def generate_workout_dataset(
    out_dir: str | Path,
    num_subjects: int = 12,
    sessions_per_subject: int = 2,
    seed: int = 0,
    fps: float = 30.0,
    drop_fraction: float = 0.004,
    glitches_per_minute: float = 0.5,
) -> list[Path]:
    """Write ``<out_dir>/<subject>_s<k>.npz`` for every subject and session; return the paths.

    ``drop_fraction`` is the mean fraction of frames dropped (NaN rows, runs of 1-3 frames);
    ``glitches_per_minute`` the rate of single-frame tracking spikes. Same arguments, same arrays.
    """
    if num_subjects < 1 or sessions_per_subject < 1:
        raise ValueError("num_subjects and sessions_per_subject must be at least 1")
    if seed < 0 or fps <= 0 or not 0 <= drop_fraction <= 0.05 or glitches_per_minute < 0:
        raise ValueError(
            "seed must be >= 0, fps > 0, drop_fraction in [0, 0.05] and glitches_per_minute >= 0"
        )
    out_dir = Path(out_dir)
    paths = []
    for i in range(num_subjects):
        subject = _subject(f"subject{i:02d}", np.random.default_rng([seed, i]))
        for k in range(sessions_per_subject):
            rng = np.random.default_rng([seed, i, k])
            clean, codes, rep_starts = _session(subject, rng, fps)
            angles = _sensor(clean, subject, rng, fps, drop_fraction, glitches_per_minute)
            path = out_dir / f"{subject.name}_s{k}.npz"
            paths.append(write_workout_session(path, angles, _LABELS[codes], rep_starts, subject.name, fps))
    return paths


# Taken once, so that the cache key does not depend on what the name is bound to later (test doubles).
_GENERATOR_PARAMETERS = inspect.signature(generate_workout_dataset)


def ensure_workout_sample(cache_dir: str | Path, **params: Any) -> Path:
    """The sample dataset for ``params`` (of `generate_workout_dataset`), generated on first use into
    ``<cache_dir>/workout-<hash>`` (see `ensure_sample`)."""
    return ensure_sample(
        cache_dir, "workout", SAMPLE_VERSION, _GENERATOR_PARAMETERS, generate_workout_dataset, params
    )


def _subject(name: str, rng: np.random.Generator) -> _Subject:
    """Draw a person: posture offsets and per-joint style factors stand for body proportions and
    technique, one mobility factor scales every range of motion."""
    mobility = rng.normal()
    starts, deltas = [], []
    for exercise in _EXERCISES:
        style = rng.uniform()
        starts.append(
            exercise.start
            + style * (exercise.alt_start - exercise.start)
            + rng.normal(0, 1, _NUM_ANGLES) * _POSTURE_SD
        )
        rom = np.clip(1 + 0.07 * mobility + rng.normal(0, 0.05), 0.8, 1.1)
        deltas.append((exercise.turn - exercise.start) * rom * rng.uniform(0.85, 1.15, _NUM_ANGLES))
    return _Subject(
        name=name,
        standing=_STANDING + rng.normal(0, 1, _NUM_ANGLES) * _POSTURE_SD,
        starts=np.stack(starts),
        deltas=np.stack(deltas),
        rep_seconds=rng.uniform(1.4, 2.3),
        noise_deg=rng.uniform(0.5, 2.0),
        offset=rng.normal(0, 1.5, _NUM_ANGLES),
    )


def _session(
    subject: _Subject, rng: np.random.Generator, fps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean angles ``[T, 25]``, class index per frame and rep starts of one session."""
    exercises, reps, rests, (warm_up, cool_down) = _plan(subject, rng)
    pieces = [_idle(subject, warm_up, rng, fps)]
    codes = [np.full(len(pieces[0]), _NO_EXERCISE)]
    rep_starts = []
    for i, exercise in enumerate(exercises):
        profile = _EXERCISES[exercise]
        block, starts = _set(subject, exercise, reps[i], rng, fps)
        into = _transition([pieces[-1][-1], *profile.entry, block[0]], rng, fps)
        out = _transition([block[-1], *profile.entry[::-1], subject.standing], rng, fps)
        idle = _idle(subject, rests[i] if i < len(rests) else cool_down, rng, fps)
        rep_starts.append(sum(map(len, pieces)) + len(into) + starts)
        pieces += [into, block, out, idle]
        codes += [np.full(len(into), _NO_EXERCISE), np.full(len(block), exercise)]
        codes += [np.full(len(out) + len(idle), _NO_EXERCISE)]
    return np.concatenate(pieces), np.concatenate(codes), np.concatenate(rep_starts)


def _plan(
    subject: _Subject, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exercise and rep count of each set, rest seconds between sets, warm-up/cool-down seconds.

    When the drawn sets would make the session longer than its budget (2.5-4.5 minutes), reps (down
    to 5) and rests (down to 8 s) shrink by the same factor: many sets then mean shorter ones.
    """
    num_sets = int(rng.choice(np.arange(4, 9), p=[0.35, 0.3, 0.2, 0.1, 0.05]))
    reps = rng.integers(5, 16, size=num_sets)
    rests = 8 + 32 * rng.beta(1.2, 2.5, size=num_sets - 1)
    edges = rng.uniform(8, 20, size=2)
    budget = rng.uniform(150, 270) - edges.sum() - 3 * num_sets  # ~3 s of transitions per set
    rep_seconds = subject.rep_seconds * 1.3  # pauses and fatigue
    excess = reps.sum() * rep_seconds + rests.sum() - budget
    slack = (reps - 5).sum() * rep_seconds + (rests - 8).sum()
    keep = np.clip(1 - excess / slack, 0, 1) if slack > 0 else 1.0
    reps = 5 + np.round((reps - 5) * keep).astype(np.int64)
    rests = 8 + (rests - 8) * keep
    # Every session has every exercise; extra sets repeat one, done back to back as in a real workout.
    counts = 1 + rng.multinomial(num_sets - 4, [0.25] * 4)
    exercises = np.repeat(rng.permutation(4), counts)
    return exercises, reps, rests, edges


def _set(
    subject: _Subject, exercise: int, reps: int, rng: np.random.Generator, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """One set's angles and rep starts (relative to the set's first frame), vectorised over frames."""
    progress = np.arange(reps) / max(reps - 1, 1)
    fatigue = rng.uniform(0.05, 0.35)
    move = subject.rep_seconds * _EXERCISES[exercise].tempo * (1 + fatigue * progress)
    move = np.clip(move * rng.normal(1, 0.05, reps), 1.4, 3.2)
    first = move * np.clip(_EXERCISES[exercise].first_phase + rng.normal(0, 0.03, reps), 0.3, 0.7)
    hold = np.where(rng.random(reps) < 0.3, rng.uniform(0.1, 0.4, reps), 0.0)
    pause = np.where(rng.random(reps) < 0.4, rng.uniform(0.1, 0.5, reps), 0.0)  # before the next rep
    lengths = np.maximum(np.round((move + hold + pause) * fps).astype(np.int64), 2)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rep = np.repeat(np.arange(reps), lengths)
    t = (np.arange(lengths.sum()) - starts[rep]) / fps
    shape = _rep_shape(t, first[rep], hold[rep], (move - first)[rep])
    rom = (1 - fatigue * 0.3 * progress) * rng.uniform(0.88, 1.05, reps)
    scale = rom[:, None] * rng.normal(1, 0.04, (reps, _NUM_ANGLES))
    frames = subject.starts[exercise] + shape[:, None] * subject.deltas[exercise] * scale[rep]
    return frames, starts


def _rep_shape(t: np.ndarray, first: np.ndarray, hold: np.ndarray, second: np.ndarray) -> np.ndarray:
    """0 -> 1 in ``first`` seconds, ``hold`` at 1, back to 0 in ``second`` seconds (raised cosines)."""
    there = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / first, 0, 1))
    back = 0.5 + 0.5 * np.cos(np.pi * np.clip((t - first - hold) / second, 0, 1))
    return np.where(t < first + hold, there, back)


def _bump(frames: int, rng: np.random.Generator) -> np.ndarray:
    """0 -> 1 -> hold -> 0 over ``frames`` frames, with raised-cosine ramps."""
    t = np.linspace(0, 1, frames)
    ramp = rng.uniform(0.25, 0.4)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip(t / ramp, 0, 1))
    fall = 0.5 - 0.5 * np.cos(np.pi * np.clip((1 - t) / ramp, 0, 1))
    return np.minimum(rise, fall)


def _transition(points: list[np.ndarray], rng: np.random.Generator, fps: float) -> np.ndarray:
    """Raised-cosine blend through ``points`` in 1-2 s, without the first and last point.

    The end points are the neighbouring segments' last and first frames, so the result joins them
    without a jump.
    """
    leg = max(2, round(rng.uniform(1.0, 2.0) * fps / (len(points) - 1)))
    s = (0.5 - 0.5 * np.cos(np.pi * np.arange(1, leg + 1) / leg))[:, None]
    legs = [a + s * (b - a) for a, b in itertools.pairwise(points)]
    return np.concatenate(legs)[:-1]


def _walk(frames: int, rng: np.random.Generator, fps: float) -> np.ndarray:
    """Change from standing while walking a few steps, fading in and out."""
    phase = 2 * np.pi * np.arange(frames) / (fps * rng.uniform(1.0, 1.2))
    delta = sum(np.sin(phase - lag)[:, None] * amplitude for amplitude, lag in _GAIT) + _GAIT_MEAN
    return delta * _bump(frames, rng)[:, None]


def _idle(subject: _Subject, seconds: float, rng: np.random.Generator, fps: float) -> np.ndarray:
    """Standing around with walking and everyday moves; starts and ends exactly at standing."""
    frames = max(2, round(seconds * fps))
    delta = np.zeros((frames, _NUM_ANGLES))
    cursor = round(rng.uniform(0.5, 3.0) * fps)
    while True:
        choice = int(rng.integers(len(_IDLE_MOVES) + 1))
        move = _IDLE_MOVES[choice] if choice < len(_IDLE_MOVES) else None
        seconds_range = move.seconds if move else (3.0, 10.0)
        length = max(2, round(rng.uniform(*seconds_range) * fps))
        if cursor + length > frames - fps / 2:
            break
        if move is None:
            piece = _walk(length, rng, fps)
        else:
            piece = _bump(length, rng)[:, None] * move.delta * rng.uniform(0.5, 1.0)
        delta[cursor : cursor + length] += _mirror(piece) if rng.random() < 0.5 else piece
        cursor += length + round(rng.uniform(1.0, 6.0) * fps)
    return subject.standing + delta


def _sensor(
    clean: np.ndarray,
    subject: _Subject,
    rng: np.random.Generator,
    fps: float,
    drop_fraction: float,
    glitches_per_minute: float,
) -> np.ndarray:
    """What a tracker reports for ``clean``: offset, drift, noise, glitches, dropped frames."""
    frames = len(clean)
    angles = clean + subject.offset + _drift(frames, rng, fps) + rng.normal(0, subject.noise_deg, clean.shape)
    glitches = rng.poisson(glitches_per_minute * frames / fps / 60)
    rows, columns = rng.integers(5, frames - 5, glitches), rng.integers(0, _NUM_ANGLES, glitches)
    angles[rows, columns] += rng.choice([-1, 1], glitches) * rng.uniform(10, 30, glitches)
    angles[:, _INTERIOR] = np.minimum(angles[:, _INTERIOR], 180.0)
    angles[_dropped(frames, drop_fraction * rng.uniform(0.75, 1.25), rng)] = np.nan
    return angles.astype(np.float32)


def _drift(frames: int, rng: np.random.Generator, fps: float) -> np.ndarray:
    """Slow sway of every angle: random knots every few seconds joined by raised cosines."""
    spacing = _DRIFT_SECONDS * fps
    knots = rng.normal(size=(int(frames // spacing) + 2, _NUM_ANGLES)) * _DRIFT_DEG
    position = np.arange(frames) / spacing
    k = position.astype(np.int64)
    w = (0.5 - 0.5 * np.cos(np.pi * (position - k)))[:, None]
    return knots[k] * (1 - w) + knots[k + 1] * w


def _dropped(frames: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Row indices of dropped frames: runs of 1-3, apart from each other and from the first/last 5."""
    candidates = np.arange(5, frames - 8)
    target = min(round(fraction * frames), len(candidates))
    lengths = rng.integers(1, 4, size=target)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), target) + 1]  # runs adding up to ~target
    starts = np.sort(rng.choice(candidates, size=len(lengths), replace=False))
    separate = np.diff(starts, prepend=-10) > 4  # a run never touches the next: none longer than 3
    starts, lengths = starts[separate], lengths[separate]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets
