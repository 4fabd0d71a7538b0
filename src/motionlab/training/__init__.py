"""Running experiments: `train(cfg)`, callbacks, loggers, run summaries and checkpoint lookup."""

from motionlab.training.run import train

__all__ = ["train"]
