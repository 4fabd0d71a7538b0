"""Loggers available to ``configs/logger`` (Lightning's, re-exported under one stable name)."""

from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

__all__ = ["CSVLogger", "TensorBoardLogger"]
