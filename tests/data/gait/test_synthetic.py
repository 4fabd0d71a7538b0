"""The synthetic running sample: deterministic, readable, and labelled consistently with its motion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlab.data.gait.annotations import annotation_path, read_annotation
from motionlab.data.gait.kinematics import SWING, Body, Stride, leg_cycles, phase_labels, running_skeleton
from motionlab.data.gait.synthetic import (
    SAMPLE_VERSION,
    ensure_gait_sample,
    form_label,
    generate_gait_dataset,
)
from motionlab.pose.files import read_landmarks
from motionlab.pose.landmarks import INDEX

STYLE = Stride(
    cadence=170,
    duty=0.35,
    landing=0.2,
    push=0.45,
    bounce=0.08,
    asymmetry=0.0,
    lean=7,
    arm_swing=30,
    lift=0.35,
)


def test_same_parameters_same_files_and_cached_by_parameters(tmp_path):
    first = ensure_gait_sample(tmp_path, num_runners=2, videos_per_runner=1, seconds=3)
    assert ensure_gait_sample(tmp_path, num_runners=2, videos_per_runner=1, seconds=3.0, seed=0) == first
    assert f'"version": "{SAMPLE_VERSION}"' in (first / "sample.json").read_text()
    again = generate_gait_dataset(tmp_path / "again", num_runners=2, videos_per_runner=1, seconds=3)
    for path in again:
        np.testing.assert_array_equal(read_landmarks(path)[0], read_landmarks(first / path.name)[0])
        assert json.loads(annotation_path(path).read_text()) == json.loads(
            annotation_path(first / path.name).read_text()
        )
    assert ensure_gait_sample(tmp_path, num_runners=2, videos_per_runner=1, seconds=3, seed=1) != first


def test_phase_labels_match_the_feet_on_the_ground():
    body = Body.from_height(1.75, np.random.default_rng(0))
    right, left = leg_cycles(STYLE, 300, 30.0, start=0.3)
    phases = phase_labels(right, left, STYLE.duty)
    points = running_skeleton(body, STYLE, right, left)
    feet = [INDEX[f"{side}_{part}"] for side in ("left", "right") for part in ("ankle", "heel", "foot_index")]
    lowest = points[:, feet, 1].min(axis=1)
    assert np.abs(lowest[phases != SWING]).max() < 1e-6  # in stance a foot touches the ground (y = 0) ...
    assert (
        lowest[phases == SWING] > 0.005
    ).mean() > 0.85  # ... in flight neither does (but just before landing)
    assert lowest.min() > -1e-6
    shares = np.bincount(phases, minlength=4) / len(phases)
    assert shares.min() > 0.12  # every phase is well represented
    # the stance progresses initial contact -> mid-stance -> toe-off -> swing, never backwards
    changes = phases[1:][phases[1:] != phases[:-1]]
    previous = phases[:-1][phases[1:] != phases[:-1]]
    assert ((changes - previous) % 4 == 1).all()


def test_bounce_and_landing_show_in_the_skeleton():
    body = Body.from_height(1.75, np.random.default_rng(0))
    right, left = leg_cycles(STYLE, 120, 30.0, start=0.0)

    def hip_range(stride: Stride) -> float:
        hip = running_skeleton(body, stride, right, left)[:, INDEX["left_hip"], 1]
        return float(hip.max() - hip.min())

    assert hip_range(Stride(**{**vars(STYLE), "bounce": 0.14})) > 1.5 * hip_range(STYLE)
    assert hip_range(STYLE) == pytest.approx(0.08 * body.leg, rel=0.15)


def test_form_labels_follow_the_style():
    assert form_label(STYLE) == (pytest.approx(10 - 14 * 0.05 - 40 * 0.02), ())
    score, issues = form_label(Stride(**{**vars(STYLE), "landing": 0.4, "bounce": 0.13, "asymmetry": -0.06}))
    assert issues == ("overstriding", "vertical_bounce", "asymmetry") and score < 4


def test_sample_has_runner_groups_varied_labels_and_frames_without_a_pose(tmp_path):
    paths = generate_gait_dataset(
        tmp_path, num_runners=12, videos_per_runner=2, seconds=4, long_gap_share=0.5
    )
    annotations = [read_annotation(annotation_path(p)) for p in paths]
    assert {a.runner for a in annotations} == {f"runner{i:02d}" for i in range(12)}
    flags = np.array(
        [
            [name in s.issues for name in ("overstriding", "vertical_bounce", "asymmetry")]
            for a in annotations
            for s in a.form
        ]
    )
    assert (flags.mean(axis=0) > 0.1).all() and (flags.mean(axis=0) < 0.9).all()
    scores = [s.score for a in annotations for s in a.form]
    assert min(scores) >= 0 and max(scores) <= 10 and np.std(scores) > 0.8
    missing = [np.isnan(read_landmarks(p)[0][:, 0, 0]) for p in paths]
    assert any(m.sum() >= 30 for m in missing)  # some videos lose the runner for a second or more
    assert all(not m[:3].any() and not m[-3:].any() for m in missing)
