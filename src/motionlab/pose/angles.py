"""The 25 workout joint angles (`JOINT_ANGLES`), computed from the 33 pose landmarks.

Every angle is defined once, in `ANGLE_DEFINITIONS`: a kind of measurement and the landmarks it
uses. Their meanings and typical ranges are the workout format's (`motionlab.data.workout.format`).

Geometry. Landmarks are MediaPipe's (`motionlab.pose.landmarks`): ``x`` and ``y`` are fractions of
the image width and height, ``z`` is on the scale of ``x``. They are turned into points with equal
units on every axis, ``(x · aspect, y, z · aspect)`` with ``aspect = width / height``. Every angle is
a ratio of lengths, so it does not change with the person's distance to the camera (scale) or place
in the picture (translation). The world's vertical is the image's ``-y`` (an upright camera).

The body frame of each frame: ``up`` from the hip midpoint to the shoulder midpoint; ``right``, the
person's right, from the left to the right shoulder and hip (averaged), made perpendicular to
``up``; ``forward = up × right``, the way the chest faces. Sagittal angles are measured in the
``up``–``forward`` plane, frontal ones in the ``up``–``right`` plane.

=================  ===================  ===================================================================
kind               landmarks            angle (degrees)
=================  ===================  ===================================================================
``interior``       a, b, c              at b between b→a and b→c: 180 for a straight limb
``between``        a, b, c, d           between a→b and c→d (0 parallel, 90 perpendicular)
``bend``           a, b, c              180 − interior: 0 when a, b, c are in line
``flexion``        a, b                 a→b in the sagittal plane from the body's down axis, > 0 forward
``abduction``      a, b                 a→b out of the sagittal plane, > 0 away from the body (the side
                                        is the first landmark's): 0 hanging or forward, 90 sideways
``head_flexion``   a, b                 a→b in the sagittal plane from the up axis, > 0 forward
``head_tilt``      a, b                 a→b in the frontal plane from the up axis, > 0 to the right
``inclination``    a, b                 a→b against the world's vertical (0 upright, 90 horizontal)
``lean``           a, b                 a→b towards the person's right, out of the vertical (signed)
``line_tilt``      a, b                 a→b against the horizontal, > 0 when b is higher
``twist``          a, b, c, d           line c→d against line a→b about the trunk axis (signed)
=================  ===================  ===================================================================

``mid_<part>`` names the midpoint of ``left_<part>`` and ``right_<part>``.

Three measurements differ slightly from their format description: abduction is the limb's angle
out of the sagittal plane rather than in the frontal plane, which is undefined (and jumps) when the
limb points forward, as the arms do in a push-up, so it stays within ±90; the wrist angle is the bend
of the hand against the forearm, without its direction (landmarks do not show which way the palm
faces), so it is never negative; and the ankle angle is measured between the shank and the
heel-to-toe line. A sagittal angle (flexion) is undefined, NaN, only for a limb exactly sideways.

Missing data. A frame without a pose is NaN in every angle; a landmark whose visibility is below
``min_visibility`` is treated as missing, and so are the angles that use it (NaN), as is an angle
whose vectors have zero length. `fill_gaps` in the data engine interpolates short runs of them.
Filmed from the side, the far arm and leg are hidden all along: `fill_hidden_side` then gives a
left/right angle the value of its visible twin, as the exercises of the workout set move both sides
alike (`angles_from_pose` does this for a video's landmarks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from motionlab.pose.extractor import PoseSequence
from motionlab.pose.landmarks import COORDINATES, INDEX, NUM_LANDMARKS
from motionlab.pose.resample import resample_frames

#: Landmarks seen with less visibility than this are treated as missing. On rendered side views the
#: far-side limbs score 0.02-0.07 and the near-side wrists and hands, visible but small, 0.38-0.99.
MIN_VISIBILITY = 0.3


@dataclass(frozen=True)
class AngleDefinition:
    """One joint angle: its ``name``, the ``kind`` of measurement and the ``landmarks`` it uses."""

    name: str
    kind: str
    landmarks: tuple[str, ...]


def _sides(name: str, kind: str, *parts: str) -> tuple[AngleDefinition, ...]:
    """The left and right versions of an angle (landmark ``parts`` without their side prefix)."""
    return tuple(
        AngleDefinition(f"{side}_{name}", kind, tuple(f"{side}_{part}" for part in parts))
        for side in ("left", "right")
    )


ANGLE_DEFINITIONS: tuple[AngleDefinition, ...] = (
    *_sides("elbow", "interior", "shoulder", "elbow", "wrist"),
    *_sides("shoulder_flexion", "flexion", "shoulder", "elbow"),
    *_sides("shoulder_abduction", "abduction", "shoulder", "elbow"),
    *_sides("wrist", "bend", "elbow", "wrist", "index"),
    *_sides("hip_flexion", "interior", "shoulder", "hip", "knee"),
    *_sides("hip_abduction", "abduction", "hip", "knee"),
    *_sides("knee", "interior", "hip", "knee", "ankle"),
    *_sides("ankle", "between", "ankle", "knee", "heel", "foot_index"),
    AngleDefinition("trunk_inclination", "inclination", ("mid_hip", "mid_shoulder")),
    AngleDefinition("trunk_lateral_tilt", "lean", ("mid_hip", "mid_shoulder")),
    AngleDefinition("trunk_rotation", "twist", ("left_hip", "right_hip", "left_shoulder", "right_shoulder")),
    AngleDefinition("neck_flexion", "head_flexion", ("mid_shoulder", "mid_ear")),
    AngleDefinition("neck_lateral_tilt", "head_tilt", ("mid_shoulder", "mid_ear")),
    AngleDefinition("shoulder_line_tilt", "line_tilt", ("left_shoulder", "right_shoulder")),
    AngleDefinition("hip_line_tilt", "line_tilt", ("left_hip", "right_hip")),
    *_sides("body_line", "interior", "shoulder", "hip", "ankle"),
)

ANGLE_NAMES: tuple[str, ...] = tuple(definition.name for definition in ANGLE_DEFINITIONS)
_UP = np.array([0.0, -1.0, 0.0])  # the world's vertical: image y points down


def joint_angles(
    landmarks: np.ndarray,
    aspect: float = 1.0,
    min_visibility: float = MIN_VISIBILITY,
    names: tuple[str, ...] | list[str] = ANGLE_NAMES,
) -> np.ndarray:
    """``landmarks [T, 33, 4]`` → ``[T, len(names)]`` float32 joint angles in degrees.

    ``aspect`` is the video's width / height (``x`` and ``y`` are fractions of each); ``names``
    picks and orders the columns (default: `ANGLE_NAMES`, the workout format's order).
    """
    if landmarks.ndim != 3 or landmarks.shape[1:] != (NUM_LANDMARKS, len(COORDINATES)):
        raise ValueError(f"expected landmarks of shape [T, 33, 4], got {landmarks.shape}")
    definitions = {definition.name: definition for definition in ANGLE_DEFINITIONS}
    unknown = [name for name in names if name not in definitions]
    if unknown:
        raise ValueError(f"unknown joint angle(s) {unknown}; known: {list(ANGLE_NAMES)}")
    points = landmarks[..., :3].astype(np.float64) * [aspect, 1.0, aspect]
    points[landmarks[..., 3] < min_visibility] = np.nan  # NaN visibility compares False: stays NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = _BodyFrame(points)
        columns = [_KINDS[definitions[name].kind](frame, *definitions[name].landmarks) for name in names]
    return np.degrees(np.stack(columns, axis=1)).astype(np.float32)


def fill_hidden_side(angles: np.ndarray, names: tuple[str, ...] | list[str] = ANGLE_NAMES) -> np.ndarray:
    """``angles [T, len(names)]`` with each NaN ``left_*``/``right_*`` angle set to its twin's value
    in the same frame, where the twin is known (a copy; unpaired angles stay as they are)."""
    filled = angles.copy()
    column = {name: i for i, name in enumerate(names)}
    for name, i in column.items():
        twin = column.get(_twin(name))
        if twin is not None:
            hidden = np.isnan(angles[:, i])
            filled[hidden, i] = angles[hidden, twin]
    return filled


def angles_from_pose(
    pose: PoseSequence,
    fps: float,
    names: tuple[str, ...] | list[str] = ANGLE_NAMES,
    min_visibility: float = MIN_VISIBILITY,
) -> np.ndarray:
    """A video's joint angles ``[T', len(names)]`` on a grid of ``fps`` frames per second, hidden sides
    filled from their twins: the workout features of a video, for building data and for analysis."""
    landmarks = resample_frames(pose.landmarks, pose.fps, fps)
    return fill_hidden_side(joint_angles(landmarks, pose.width / pose.height, min_visibility, names), names)


def _twin(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name.removeprefix("left_")
    if name.startswith("right_"):
        return "left_" + name.removeprefix("right_")
    return ""


class _BodyFrame:
    """Points of every frame and the body's axes (``[T, 3]`` unit vectors, NaN where undefined)."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = points
        self.up = _unit(self.point("mid_shoulder") - self.point("mid_hip"))
        lateral = (self.point("right_shoulder") - self.point("left_shoulder")) + (
            self.point("right_hip") - self.point("left_hip")
        )
        self.right = _unit(_reject(lateral, self.up))
        self.forward = np.cross(self.up, self.right)

    def point(self, name: str) -> np.ndarray:
        if name.startswith("mid_"):
            part = name.removeprefix("mid_")
            return 0.5 * (self.point(f"left_{part}") + self.point(f"right_{part}"))
        return self.points[:, INDEX[name]]

    def vector(self, start: str, end: str) -> np.ndarray:
        return self.point(end) - self.point(start)

    def outward(self, landmark: str) -> np.ndarray:
        """The body's lateral axis pointing to the side of ``landmark``."""
        return self.right if landmark.startswith("right_") else -self.right


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", a, b)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _reject(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """The part of ``v`` perpendicular to the unit vector ``axis``."""
    return v - _dot(v, axis)[..., None] * axis


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned angle in radians; atan2 of cross and dot stays accurate near 0 and 180 degrees."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), _dot(a, b))


def _in_plane(v: np.ndarray, zero: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Signed angle of ``v`` projected onto the plane of the unit axes ``zero`` (angle 0) and
    ``positive`` (angle +90); NaN when ``v`` is perpendicular to that plane or has zero length."""
    along, across = _dot(v, zero), _dot(v, positive)
    undefined = np.hypot(along, across) <= 1e-9 * np.linalg.norm(v, axis=-1)
    return np.where(undefined | ~np.isfinite(along + across), np.nan, np.arctan2(across, along))


def _out_of_plane(v: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Signed angle between ``v`` and the plane with unit ``normal``, > 0 on the normal's side."""
    return np.arcsin(np.clip(_dot(_unit(v), normal), -1.0, 1.0))


def _interior(body: _BodyFrame, a: str, b: str, c: str) -> np.ndarray:
    return _angle_between(body.vector(b, a), body.vector(b, c))


def _between(body: _BodyFrame, a: str, b: str, c: str, d: str) -> np.ndarray:
    return _angle_between(body.vector(a, b), body.vector(c, d))


def _bend(body: _BodyFrame, a: str, b: str, c: str) -> np.ndarray:
    return np.pi - _interior(body, a, b, c)


def _flexion(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _in_plane(body.vector(a, b), -body.up, body.forward)


def _abduction(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _out_of_plane(body.vector(a, b), body.outward(a))


def _head_flexion(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _in_plane(body.vector(a, b), body.up, body.forward)


def _head_tilt(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _in_plane(body.vector(a, b), body.up, body.right)


def _inclination(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _angle_between(body.vector(a, b), np.broadcast_to(_UP, body.up.shape))


def _lean(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    """Out of the plane whose normal is the person's right, made horizontal: the sideways lean whatever
    the trunk's forward inclination (0 in a plank, where the trunk is horizontal but not leaning)."""
    return _out_of_plane(body.vector(a, b), _unit(_reject(body.right, _UP)))


def _line_tilt(body: _BodyFrame, a: str, b: str) -> np.ndarray:
    return _out_of_plane(body.vector(a, b), np.broadcast_to(_UP, body.up.shape))


def _twist(body: _BodyFrame, a: str, b: str, c: str, d: str) -> np.ndarray:
    first = _reject(body.vector(a, b), body.up)
    second = _reject(body.vector(c, d), body.up)
    return np.arctan2(_dot(np.cross(first, second), body.up), _dot(first, second))


_KINDS: dict[str, Callable[..., np.ndarray]] = {
    "interior": _interior,
    "between": _between,
    "bend": _bend,
    "flexion": _flexion,
    "abduction": _abduction,
    "head_flexion": _head_flexion,
    "head_tilt": _head_tilt,
    "inclination": _inclination,
    "lean": _lean,
    "line_tilt": _line_tilt,
    "twist": _twist,
}
