"""A kinematic running skeleton: gait cycles in, the 33 MediaPipe landmarks in 3-D out.

Each leg follows a stance/swing cycle. In stance the ankle stays on the ground and slides backwards
(a treadmill frame: the hip stays in place) from ``landing`` leg lengths in front of the hip to
``push`` behind it; in swing it is lifted (heel kick) and brought forward again. Knees come from
two-link inverse kinematics, the hip drops by ``bounce`` leg lengths at mid-stance, the trunk leans
forward, arms swing opposite to the legs with bent elbows, and the head, hands and feet follow.
Every style value may change from frame to frame, so a runner can tire within one video.

Coordinates are metres in the body frame: ``forward`` (running direction), ``up``, ``lateral``
(towards the runner's left), with the ground at ``up = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motionlab.pose.landmarks import INDEX, NUM_LANDMARKS

# Gait phases of the foot on the ground, by stance progress: [0, 0.25) initial contact, [0.25, 0.65)
# mid-stance, [0.65, 1) toe-off; no foot on the ground is swing (the flight phase of running).
PHASE_EDGES = (0.25, 0.65)
INITIAL_CONTACT, MID_STANCE, TOE_OFF, SWING = range(4)


@dataclass(frozen=True)
class Body:
    """Segment lengths in metres (standard proportions of body height, scaled per person)."""

    height: float
    thigh: float
    shank: float
    ankle_height: float
    foot: float
    hip_width: float
    trunk: float
    shoulder_width: float
    upper_arm: float
    forearm: float
    neck: float

    @classmethod
    def from_height(cls, height: float, rng: np.random.Generator) -> Body:
        """A person of ``height`` metres; limb proportions vary by a few percent."""
        leg, arm, torso = rng.normal(1.0, 0.03, 3)
        return cls(
            height=height,
            thigh=0.245 * height * leg,
            shank=0.246 * height * leg,
            ankle_height=0.039 * height,
            foot=0.152 * height,
            hip_width=0.10 * height * rng.normal(1.0, 0.05),
            trunk=0.288 * height * torso,
            shoulder_width=0.20 * height * rng.normal(1.0, 0.05),
            upper_arm=0.186 * height * arm,
            forearm=0.146 * height * arm,
            neck=0.10 * height,
        )

    @property
    def leg(self) -> float:
        return self.thigh + self.shank


@dataclass(frozen=True)
class Stride:
    """Per-frame gait style (arrays of length T, or scalars).

    Attributes:
        cadence: steps per minute.
        duty: share of a leg's cycle spent on the ground (running: 0.28-0.42).
        landing: how far in front of the hip the foot lands, in leg lengths (overstriding when large).
        push: how far behind the hip the foot leaves the ground, in leg lengths.
        bounce: vertical oscillation of the hip, peak to peak, in leg lengths.
        asymmetry: the left leg's cycle is shifted by this share of a cycle from half a cycle, it
            lands ``3 × asymmetry`` further ahead and lifts ``2 × asymmetry`` less (relative): a
            limp-like left/right difference.
        lean: forward trunk lean in degrees.
        arm_swing: shoulder swing amplitude in degrees.
        lift: swing-foot lift (heel kick) in leg lengths.
    """

    cadence: np.ndarray | float
    duty: np.ndarray | float
    landing: np.ndarray | float
    push: np.ndarray | float
    bounce: np.ndarray | float
    asymmetry: np.ndarray | float
    lean: np.ndarray | float
    arm_swing: np.ndarray | float
    lift: np.ndarray | float


def leg_cycles(stride: Stride, frames: int, fps: float, start: float) -> tuple[np.ndarray, np.ndarray]:
    """Cycle position in ``[0, 1)`` of the right and left leg at each frame (0 = foot strike)."""
    step_rate = np.broadcast_to(np.asarray(stride.cadence, dtype=np.float64), (frames,)) / 60.0
    cycles = start + np.concatenate([[0.0], np.cumsum(step_rate[:-1] / 2 / fps)])
    right = cycles % 1.0
    left = (cycles + 0.5 + np.asarray(stride.asymmetry)) % 1.0
    return right, left


def phase_labels(right: np.ndarray, left: np.ndarray, duty: np.ndarray | float) -> np.ndarray:
    """Gait phase per frame (`PHASE_EDGES`) from the legs' cycle positions.

    When both feet touch the ground, the one that landed last decides.
    """
    progress = np.stack([right, left]) / np.asarray(duty)  # < 1: in stance
    on_ground = progress < 1
    latest = np.where(on_ground, progress, np.inf).min(axis=0)
    phase = np.full(len(right), SWING, dtype=np.int64)
    stance = np.isfinite(latest)
    phase[stance] = np.digitize(latest[stance], PHASE_EDGES)
    return phase


def running_skeleton(body: Body, stride: Stride, right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """3-D positions ``[T, 33, 3]`` (forward, up, lateral) of the MediaPipe landmarks."""
    frames = len(right)
    duty = np.broadcast_to(np.asarray(stride.duty, dtype=np.float64), (frames,))
    asymmetry = np.asarray(stride.asymmetry)
    points = np.zeros((frames, NUM_LANDMARKS, 3))

    # Hip height: highest in flight, lowest at mid-stance of either leg.
    stance = np.stack([right, left]) / duty
    dip = np.where(stance < 1, np.sin(np.pi * np.clip(stance, 0, 1)) ** 2, 0.0).max(axis=0)
    top = body.ankle_height + 0.93 * body.leg
    hip = np.stack([np.zeros(frames), top - np.asarray(stride.bounce) * body.leg * dip], axis=1)

    for side, cycle, sign, landing_scale, lift_scale in (
        ("right", right, -1.0, 1.0, 1.0),
        ("left", left, 1.0, 1.0 + 3 * asymmetry, 1.0 - 2 * asymmetry),
    ):
        ankle, pitch = _foot_path(cycle, duty, stride, landing_scale, lift_scale, body)
        knee, ankle = _two_link(hip, ankle, body.thigh, body.shank)
        lateral = np.full(frames, sign * body.hip_width / 2)
        _put(points, f"{side}_hip", hip, lateral)
        _put(points, f"{side}_knee", knee, lateral)
        _put(points, f"{side}_ankle", ankle, lateral)
        toe, heel = _foot_offsets(pitch, body)
        _put(points, f"{side}_foot_index", ankle + toe, lateral)
        _put(points, f"{side}_heel", ankle + heel, lateral)

    lean = np.radians(np.broadcast_to(np.asarray(stride.lean, dtype=np.float64), (frames,)))
    trunk_dir = np.stack([np.sin(lean), np.cos(lean)], axis=1)
    shoulder = hip + body.trunk * trunk_dir
    swing = np.radians(np.asarray(stride.arm_swing))
    for side, cycle, sign in (("right", left, -1.0), ("left", right, 1.0)):
        # An arm swings forward while the opposite leg is in front: in step with the other leg's cycle.
        angle = -swing * np.cos(2 * np.pi * (cycle - 0.25)) - 0.15
        upper = np.stack([np.sin(angle), -np.cos(angle)], axis=1)
        elbow = shoulder + body.upper_arm * upper
        fore_angle = angle + np.radians(85)
        wrist = elbow + body.forearm * np.stack([np.sin(fore_angle), -np.cos(fore_angle)], axis=1)
        lateral = np.full(frames, sign * body.shoulder_width / 2)
        _put(points, f"{side}_shoulder", shoulder, lateral)
        _put(points, f"{side}_elbow", elbow, lateral)
        _put(points, f"{side}_wrist", wrist, lateral)
        hand_dir = (wrist - elbow) / body.forearm
        for name, reach, inward in (("pinky", 0.085, 0.01), ("index", 0.095, -0.01), ("thumb", 0.06, -0.025)):
            _put(
                points,
                f"{side}_{name}",
                wrist + reach * body.height * 0.5 * hand_dir,
                lateral - sign * inward,
            )

    head = shoulder + body.neck * trunk_dir + np.array([0.04, 0.0]) * body.height
    scale = body.height
    for name, forward, up, lateral in (
        ("nose", 0.055, 0.0, 0.0),
        ("left_eye_inner", 0.05, 0.02, 0.012),
        ("left_eye", 0.048, 0.02, 0.022),
        ("left_eye_outer", 0.044, 0.02, 0.032),
        ("right_eye_inner", 0.05, 0.02, -0.012),
        ("right_eye", 0.048, 0.02, -0.022),
        ("right_eye_outer", 0.044, 0.02, -0.032),
        ("left_ear", -0.005, 0.01, 0.045),
        ("right_ear", -0.005, 0.01, -0.045),
        ("mouth_left", 0.048, -0.03, 0.016),
        ("mouth_right", 0.048, -0.03, -0.016),
    ):
        _put(points, name, head + np.array([forward, up]) * scale, np.full(frames, lateral * scale))
    return points


def _foot_path(
    cycle: np.ndarray,
    duty: np.ndarray,
    stride: Stride,
    landing_scale: np.ndarray | float,
    lift_scale: np.ndarray | float,
    body: Body,
) -> tuple[np.ndarray, np.ndarray]:
    """Ankle target ``[T, 2]`` (forward, up) relative to the ground below the hip, and foot pitch (rad)."""
    landing = np.asarray(stride.landing) * landing_scale * body.leg
    push = np.asarray(stride.push) * body.leg
    lift = np.asarray(stride.lift) * lift_scale * body.leg
    in_stance = cycle < duty
    stance_progress = np.clip(cycle / duty, 0, 1)
    swing_progress = np.clip((cycle - duty) / (1 - duty), 0, 1)
    ease = 0.5 - 0.5 * np.cos(np.pi * swing_progress)
    forward = np.where(
        in_stance, landing - stance_progress * (landing + push), -push + ease * (landing + push)
    )
    height = np.where(in_stance, 0.0, lift * np.sin(np.pi * swing_progress**0.7) ** 1.5)
    # Toes up at foot strike (more so when overstriding), flat in mid-stance, down at toe-off and in swing.
    strike = np.radians(8) + 0.6 * np.asarray(stride.landing)
    pitch = np.where(
        in_stance,
        strike * np.clip(1 - stance_progress / 0.25, 0, 1)
        - np.radians(35) * np.clip((stance_progress - 0.6) / 0.4, 0, 1),
        -np.radians(35) * (1 - ease) - np.radians(5) * ease,
    )
    # The ankle sits as high as the foot's pitch needs for its lowest point to touch the ground.
    toe, heel = _foot_offsets(pitch, body)
    resting = -np.minimum(toe[:, 1], heel[:, 1])
    return np.stack([forward, resting + height], axis=1), pitch


def _foot_offsets(pitch: np.ndarray, body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Toe (foot index) and heel relative to the ankle ``[T, 2]`` for a foot pitch (rad, toes up > 0)."""
    along = np.stack([np.cos(pitch), np.sin(pitch)], axis=1)
    down = np.stack([np.sin(pitch), -np.cos(pitch)], axis=1)
    toe = 0.72 * body.foot * along + 0.5 * body.ankle_height * down
    heel = -0.25 * body.foot * along + 0.8 * body.ankle_height * down
    return toe, heel


def _two_link(
    hip: np.ndarray, target: np.ndarray, upper: float, lower: float
) -> tuple[np.ndarray, np.ndarray]:
    """Knee and (reachable) ankle for a hip ``[T, 2]`` and ankle target: the knee bends forward."""
    offset = target - hip
    distance = np.linalg.norm(offset, axis=1, keepdims=True)
    reach = np.clip(distance, abs(upper - lower) + 1e-6, 0.999 * (upper + lower))
    direction = offset / np.maximum(distance, 1e-9)
    cos_bend = (upper**2 + reach**2 - lower**2) / (2 * upper * reach)
    bend = np.arccos(np.clip(cos_bend, -1, 1))[:, 0]
    # The ankle is below the hip, so turning the hip-to-ankle direction counter-clockwise (forward is
    # +x, up is +y) moves the knee to the front.
    cos, sin = np.cos(bend), np.sin(bend)
    knee_dir = np.stack(
        [cos * direction[:, 0] - sin * direction[:, 1], sin * direction[:, 0] + cos * direction[:, 1]], axis=1
    )
    return hip + upper * knee_dir, hip + reach * direction


def _put(points: np.ndarray, name: str, sagittal: np.ndarray, lateral: np.ndarray) -> None:
    index = INDEX[name]
    points[:, index, :2] = sagittal
    points[:, index, 2] = lateral
