"""Per-frame CSVs (seed 001's pose CSVs): one row per frame of any feature export (pose keypoints, IMU
channels, ...) with configurable column roles, and a generator of a pose-feature sample.

Not to be confused with `motionlab.pose`, which extracts pose landmarks from videos."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="csv",
    title="Per-frame CSVs: one row per frame, the columns' roles (features, label, ...) set in the config",
    small_sample=(
        "data.sample.num_sources=1",
        "data.sample.videos_per_source=8",
        "data.sample.num_subjects=6",
    ),
    aliases=("pose",),
)
