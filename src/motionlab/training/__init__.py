"""Running experiments: `train(cfg)`, callbacks, loggers, run summaries and checkpoint lookup.

`train` is imported lazily so that light tools (the run index, resume) do not pay for importing
Lightning and Hydra.
"""

from typing import Any

__all__ = ["train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from motionlab.training.run import train

        return train
    raise AttributeError(f"module 'motionlab.training' has no attribute {name!r}")
