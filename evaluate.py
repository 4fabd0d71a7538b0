"""Evaluate a checkpoint or an ensemble and write its predictions: ``python evaluate.py [run=…|sweep=…|
ensemble.runs=[…]] [split=…] [+data.path=…]`` (see configs/evaluate.yaml)."""

import json
from pathlib import Path

import hydra
from omegaconf import DictConfig

from motionlab.evaluation import evaluate
from motionlab.exits import one_line_errors
from motionlab.suggest import run_with_hints


@hydra.main(version_base="1.3", config_path="configs", config_name="evaluate")
@one_line_errors
def main(cfg: DictConfig) -> None:
    result = evaluate(cfg)
    print(json.dumps(result.metrics, indent=2))
    written = [result.report_path, result.predictions_path, result.recordings_path]
    print("wrote " + ", ".join(str(path) for path in written if path))


if __name__ == "__main__":
    run_with_hints(main, Path(__file__).resolve().parent / "configs", "evaluate")
