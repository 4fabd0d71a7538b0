"""The 33-landmark layout and its left/right mirror, including the engine's configured mirror."""

from __future__ import annotations

import numpy as np
import torch

from motionlab.data.augment import Augment, mirror_permutation
from motionlab.pose.landmarks import (
    INDEX,
    MIRROR_PAIRS,
    NUM_FEATURES,
    feature_names,
    landmarks_to_features,
    mirror_landmarks,
)


def test_layout_is_mediapipes_landmark_major_order():
    names = feature_names()
    assert len(names) == NUM_FEATURES == 132
    assert names[:5] == ["nose_x", "nose_y", "nose_z", "nose_visibility", "left_eye_inner_x"]
    assert names[4 * 25 : 4 * 25 + 4] == ["left_knee_x", "left_knee_y", "left_knee_z", "left_knee_visibility"]
    landmarks = np.arange(2 * 33 * 4, dtype=np.float32).reshape(2, 33, 4)
    features = landmarks_to_features(landmarks)
    assert features.shape == (2, 132) and features[1, 4 * 31 + 2] == landmarks[1, 31, 2]


def test_mirror_pairs_are_mediapipes_left_right_landmarks():
    assert len(MIRROR_PAIRS) == 16
    pairs = set(MIRROR_PAIRS)
    for left, right in [
        ("left_knee", "right_knee"),
        ("mouth_left", "mouth_right"),
        ("left_foot_index", "right_foot_index"),
    ]:
        assert (INDEX[left], INDEX[right]) in pairs
    assert INDEX["nose"] not in {i for pair in pairs for i in pair}


def test_mirror_swaps_sides_and_flips_x_about_the_image_centre():
    rng = np.random.default_rng(0)
    landmarks = rng.uniform(0, 1, (3, 33, 4)).astype(np.float32)
    mirrored = mirror_landmarks(landmarks)
    knee, other_knee = INDEX["left_knee"], INDEX["right_knee"]
    np.testing.assert_allclose(mirrored[:, knee, 0], 1 - landmarks[:, other_knee, 0])
    np.testing.assert_array_equal(mirrored[:, knee, 1:], landmarks[:, other_knee, 1:])
    np.testing.assert_allclose(mirrored[:, INDEX["nose"], 0], 1 - landmarks[:, INDEX["nose"], 0])
    np.testing.assert_allclose(mirror_landmarks(mirrored), landmarks, atol=1e-6)


def test_engine_mirror_configured_as_in_data_gait_equals_the_horizontal_flip():
    """data/gait.yaml's mirror (pairs: auto, negate: '*_x', center: 0.5) moves exactly the right columns."""
    names = feature_names()
    index, sign = mirror_permutation(names, "auto", ["*_x"])
    assert names[index[names.index("left_knee_y")]] == "right_knee_y"
    assert names[index[names.index("mouth_right_z")]] == "mouth_left_z"
    assert names[index[names.index("nose_x")]] == "nose_x"
    assert [n for n, s in zip(names, sign, strict=True) if s < 0] == [n for n in names if n.endswith("_x")]
    augment = Augment(mirror_prob=1.0)
    augment.set_mirror(index, sign, center=0.5)
    landmarks = np.random.default_rng(1).uniform(0, 1, (4, 30, 33, 4)).astype(np.float32)
    x = torch.from_numpy(landmarks.reshape(4, 30, 132))
    expected = mirror_landmarks(landmarks).reshape(4, 30, 132)
    np.testing.assert_allclose(augment({"x": x})["x"].numpy(), expected, atol=1e-6)
