"""Running gait (seed 003): annotations, videos/landmark files → recordings, a synthetic sample."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="gait",
    title="Running gait: pose landmarks from videos or landmark files, with per-video .gait.json annotations",
    small_sample=(
        "data.sample.num_runners=8",
        "data.sample.videos_per_runner=1",
        "data.sample.seconds=6",
        "data.batch_size=32",
        "data.pose.progress=false",
    ),
)
