"""Reference motion clips (seed 002): the ``.npy`` clip format, state features, a synthetic generator
and the datamodule of (state, next joint targets) pairs for imitation policies."""
