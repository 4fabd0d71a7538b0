"""``motionlab export`` (``python export.py``): a trained checkpoint, or an ensemble of runs, to a
verified ONNX model (configs/export.yaml)."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from motionlab.cli.hydra_app import run_hydra_app
from motionlab.exits import one_line_errors


@one_line_errors
def export(cfg: DictConfig) -> None:
    # imported when the export starts: --help, --cfg and a rejected override answer without torch
    from motionlab.export.pipeline import export_model
    from motionlab.runs.ensembles import resolve_model_source

    source = resolve_model_source(cfg)
    result = export_model(source, cfg)
    print(f"wrote {result.model_path}" + (f" and {result.int8_path}" if result.int8_path else ""))
    print(f"model card: {result.card_paths[1]}")
    meta = result.card["metadata"]
    if meta["model_version"] is not None:
        print(f"model {meta['model_name']} version {meta['model_version']} in {cfg.registry.path}")


def main(argv: Sequence[str]) -> int:
    return run_hydra_app(export, "export", argv)
