"""Pose CSVs (seed 001): per-frame feature exports with configurable column roles, and a sample generator."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="pose",
    title="Per-frame CSVs: one row per frame, the columns' roles (features, label, ...) set in the config",
    small_sample=(
        "data.sample.num_sources=1",
        "data.sample.videos_per_source=8",
        "data.sample.num_subjects=6",
    ),
)
