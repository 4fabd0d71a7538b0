"""Reference motion clips (seed 002): the ``.npy`` clip format, state features, a synthetic generator
and the datamodule of (state, next joint targets) pairs for imitation policies."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="reference",
    title="Reference motion clips: joint values per frame (.npy + sidecar, or AMP/AWD .json), for imitation",
    small_sample=(
        "data.sample.gaits=[walk,jog]",
        "data.sample.speeds=2",
        "data.sample.variants=2",
    ),
)
