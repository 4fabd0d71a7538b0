"""Joint angles from hand-made landmark configurations: known angles, scale invariance, missing data."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.data.workout.format import JOINT_ANGLES
from motionlab.pose.angles import ANGLE_NAMES, fill_hidden_side, joint_angles
from motionlab.pose.landmarks import INDEX, NUM_LANDMARKS

# A person facing the camera, standing upright, arms hanging (image x right, y down, z away from
# the camera; the person's left side is on the image's right).
STANDING = {
    "nose": (0.50, 0.18, 0.0),
    "left_ear": (0.53, 0.20, 0.0),
    "right_ear": (0.47, 0.20, 0.0),
    "left_shoulder": (0.58, 0.30, 0.0),
    "right_shoulder": (0.42, 0.30, 0.0),
    "left_elbow": (0.58, 0.45, 0.0),
    "right_elbow": (0.42, 0.45, 0.0),
    "left_wrist": (0.58, 0.60, 0.0),
    "right_wrist": (0.42, 0.60, 0.0),
    "left_index": (0.58, 0.65, 0.0),
    "right_index": (0.42, 0.65, 0.0),
    "left_hip": (0.58, 0.60, 0.0),
    "right_hip": (0.42, 0.60, 0.0),
    "left_knee": (0.58, 0.75, 0.0),
    "right_knee": (0.42, 0.75, 0.0),
    "left_ankle": (0.58, 0.90, 0.0),
    "right_ankle": (0.42, 0.90, 0.0),
    "left_heel": (0.58, 0.92, 0.02),
    "right_heel": (0.42, 0.92, 0.02),
    "left_foot_index": (0.58, 0.92, -0.06),
    "right_foot_index": (0.42, 0.92, -0.06),
}


def pose(**moved: tuple[float, float, float]) -> np.ndarray:
    """``[1, 33, 4]`` landmarks of the standing pose with some landmarks moved; unnamed ones sit at
    the nose, fully visible."""
    landmarks = np.zeros((1, NUM_LANDMARKS, 4), dtype=np.float32)
    landmarks[0, :, :3] = STANDING["nose"]
    landmarks[0, :, 3] = 1.0
    for name, xyz in {**STANDING, **moved}.items():
        landmarks[0, INDEX[name], :3] = xyz
    return landmarks


def angles_of(landmarks: np.ndarray, aspect: float = 1.0) -> dict[str, float]:
    return dict(zip(ANGLE_NAMES, joint_angles(landmarks, aspect)[0].tolist(), strict=True))


def test_the_table_defines_the_workout_formats_25_angles_in_its_order():
    assert ANGLE_NAMES == JOINT_ANGLES


def test_standing_upright_with_arms_hanging():
    angles = angles_of(pose())
    for name in ("elbow", "knee", "hip_flexion", "body_line"):
        assert angles[f"left_{name}"] == pytest.approx(180, abs=1e-3)
        assert angles[f"right_{name}"] == pytest.approx(180, abs=1e-3)
    for name in ("shoulder_flexion", "shoulder_abduction", "wrist", "hip_abduction"):
        assert angles[f"left_{name}"] == pytest.approx(0, abs=1e-3)
    assert angles["left_ankle"] == pytest.approx(90, abs=1e-3)
    for name in ("trunk_inclination", "trunk_lateral_tilt", "trunk_rotation", "neck_flexion"):
        assert angles[name] == pytest.approx(0, abs=1e-3)
    assert angles["shoulder_line_tilt"] == pytest.approx(0, abs=1e-3)


def test_right_angles_at_the_joints():
    # forearm pointing at the camera: a 90 degree elbow; the other arm raised forward
    angles = angles_of(pose(left_wrist=(0.58, 0.45, -0.15), right_elbow=(0.42, 0.30, -0.15)))
    assert angles["left_elbow"] == pytest.approx(90, abs=1e-3)
    assert angles["right_shoulder_flexion"] == pytest.approx(90, abs=1e-3)
    assert angles["right_shoulder_abduction"] == pytest.approx(0, abs=1e-3)
    # left arm out sideways (the person's left is the image's right), right arm overhead
    angles = angles_of(pose(left_elbow=(0.73, 0.30, 0.0), right_elbow=(0.42, 0.15, 0.0)))
    assert angles["left_shoulder_abduction"] == pytest.approx(90, abs=1e-3)
    assert angles["right_shoulder_flexion"] == pytest.approx(180, abs=1e-3)
    # knee bent to 90 degrees with the thigh forward (sitting): hip flexion 90 too
    angles = angles_of(pose(left_knee=(0.58, 0.60, -0.15), left_ankle=(0.58, 0.75, -0.15)))
    assert angles["left_knee"] == pytest.approx(90, abs=1e-3)
    assert angles["left_hip_flexion"] == pytest.approx(90, abs=1e-3)


def test_signed_tilts_follow_the_documented_directions():
    # right shoulder higher than the left: the shoulder line tilts by +atan(0.02 / 0.16)
    angles = angles_of(pose(right_shoulder=(0.42, 0.28, 0.0)))
    assert angles["shoulder_line_tilt"] == pytest.approx(np.degrees(np.arctan2(0.02, 0.16)), abs=1e-3)
    # shoulders shifted to the person's right (image left): the trunk leans right
    shift = {
        f"{side}_shoulder": (STANDING[f"{side}_shoulder"][0] - 0.1, 0.30, 0.0) for side in ("left", "right")
    }
    lean = angles_of(pose(**shift))
    assert lean["trunk_lateral_tilt"] == pytest.approx(np.degrees(np.arctan2(0.1, 0.3)), abs=1e-3)
    assert lean["trunk_inclination"] == pytest.approx(np.degrees(np.arctan2(0.1, 0.3)), abs=1e-3)


def test_plank_is_a_horizontal_trunk_and_a_straight_body_line():
    # side view of a plank: head to the image's left, body along +x, the camera sees the left side
    plank = {
        "left_shoulder": (0.30, 0.50, -0.05),
        "right_shoulder": (0.30, 0.50, 0.05),
        "left_hip": (0.60, 0.50, -0.05),
        "right_hip": (0.60, 0.50, 0.05),
        "left_ankle": (0.90, 0.50, -0.05),
        "right_ankle": (0.90, 0.50, 0.05),
        "left_ear": (0.22, 0.48, 0.02),
        "right_ear": (0.22, 0.48, -0.02),
    }
    angles = angles_of(pose(**plank))
    assert angles["trunk_inclination"] == pytest.approx(90, abs=1e-3)
    assert angles["trunk_lateral_tilt"] == pytest.approx(0, abs=1e-3)
    assert angles["left_body_line"] == pytest.approx(180, abs=1e-3)


def test_angles_do_not_change_with_camera_distance_or_position():
    rng = np.random.default_rng(0)
    landmarks = pose() + np.concatenate(
        [rng.normal(0, 0.03, (1, NUM_LANDMARKS, 3)), np.zeros((1, 33, 1))], -1
    )
    landmarks = landmarks.astype(np.float32)
    farther = landmarks.copy()
    farther[..., :3] = 0.4 * landmarks[..., :3] + [0.2, 0.1, 0.0]
    np.testing.assert_allclose(joint_angles(farther), joint_angles(landmarks), atol=2e-3)


def test_aspect_ratio_turns_image_fractions_into_equal_units():
    # on a 16:9 frame, an elbow bent 90 degrees in pixels: upper arm and forearm at 45 degrees to the
    # image axes, so 0.1 of the height is 0.1 * 9 / 16 of the width
    d = 0.1
    elbow = (0.58 + d * 9 / 16, 0.30 + d, 0.0)
    moved = {"left_elbow": elbow, "left_wrist": (elbow[0] + d * 9 / 16, elbow[1] - d, 0.0)}
    assert angles_of(pose(**moved), aspect=16 / 9)["left_elbow"] == pytest.approx(90, abs=1e-3)
    assert angles_of(pose(**moved), aspect=1.0)["left_elbow"] != pytest.approx(90, abs=5)


def test_missing_frames_and_hidden_landmarks_give_nan_only_where_they_are_used():
    landmarks = np.concatenate([pose(), pose(), pose()])
    landmarks[1] = np.nan  # no pose in frame 1
    landmarks[2, INDEX["left_wrist"], 3] = 0.2  # left wrist hidden in frame 2
    angles = joint_angles(landmarks)
    assert np.isfinite(angles[0]).all() and np.isnan(angles[1]).all()
    hidden = {name for name, value in zip(ANGLE_NAMES, angles[2], strict=True) if np.isnan(value)}
    assert hidden == {"left_elbow", "left_wrist"}


def test_names_pick_and_order_columns_and_unknown_names_are_refused():
    both = joint_angles(pose(), names=("right_knee", "left_elbow"))
    assert both.shape == (1, 2)
    with pytest.raises(ValueError, match="unknown joint angle"):
        joint_angles(pose(), names=("left_elbo",))


def test_a_side_hidden_all_along_takes_the_visible_sides_angles():
    landmarks = np.concatenate([pose(right_wrist=(0.42, 0.45, -0.15)), pose()])
    landmarks[:, INDEX["left_elbow"], 3] = 0.05  # the far arm, seen from the right
    landmarks[1] = np.nan
    angles = fill_hidden_side(joint_angles(landmarks))
    column = {name: i for i, name in enumerate(ANGLE_NAMES)}
    assert angles[0, column["left_elbow"]] == pytest.approx(90, abs=1e-3)
    assert angles[0, column["left_shoulder_flexion"]] == pytest.approx(0, abs=1e-3)
    assert np.isfinite(angles[0]).all() and np.isnan(angles[1]).all()
