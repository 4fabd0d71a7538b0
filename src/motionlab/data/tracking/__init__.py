"""Tracking sessions (seed 000): the JSON format, its collector, timing checks and a synthetic generator."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="tracking",
    title="Tracking sessions: head/hips rotations and arm positions per frame (JSON), for forecasting",
    small_sample=(
        "data.sample.num_users=2",
        "data.sample.sessions_per_user=3",
        "data.sample.seconds=[20,30]",
    ),
)
