"""Train a model: ``python train.py data=workout model=tcn`` (see configs/train.yaml)."""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from motionlab.exits import one_line_errors
from motionlab.suggest import run_with_hints
from motionlab.training.cross_validation import train_or_cross_validate


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
@one_line_errors
def main(cfg: DictConfig) -> float:
    return train_or_cross_validate(cfg)


if __name__ == "__main__":
    run_with_hints(main, Path(__file__).resolve().parent / "configs", "train")
