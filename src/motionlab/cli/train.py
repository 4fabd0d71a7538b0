"""``motionlab train`` (``python train.py``): train a model, or cross-validate it (configs/train.yaml)."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from motionlab.cli.hydra_app import run_hydra_app
from motionlab.exits import one_line_errors


@one_line_errors
def train(cfg: DictConfig) -> float:
    # imported when the run starts: --help, --cfg and a rejected override answer without torch
    from motionlab.training.cross_validation import train_or_cross_validate

    return train_or_cross_validate(cfg)


def main(argv: Sequence[str]) -> int:
    return run_hydra_app(train, "train", argv)
