"""Export a trained checkpoint, or an ensemble of runs, to a verified ONNX model:
``python export.py [run=…|sweep=…|ensemble.runs=[…]]`` (see configs/export.yaml)."""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from motionlab.exits import one_line_errors
from motionlab.export.pipeline import export_model
from motionlab.runs.ensembles import resolve_model_source
from motionlab.suggest import run_with_hints


@hydra.main(version_base="1.3", config_path="configs", config_name="export")
@one_line_errors
def main(cfg: DictConfig) -> None:
    source = resolve_model_source(cfg)
    result = export_model(source, cfg)
    print(f"wrote {result.model_path}" + (f" and {result.int8_path}" if result.int8_path else ""))
    print(f"model card: {result.card_paths[1]}")
    meta = result.card["metadata"]
    if meta["model_version"] is not None:
        print(f"model {meta['model_name']} version {meta['model_version']} in {cfg.registry.path}")


if __name__ == "__main__":
    run_with_hints(main, Path(__file__).resolve().parent / "configs", "export")
