"""Workout sessions: the on-disk format (25 joint angles per frame) and a synthetic generator."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="workout",
    title="Workout sessions: 25 joint angles per frame, exercise label per frame, repetition starts (.npz)",
    small_sample=(
        "data.sample.num_subjects=5",
        "data.sample.sessions_per_subject=1",
    ),
)
