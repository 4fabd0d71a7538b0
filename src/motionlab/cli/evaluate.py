"""``motionlab evaluate`` (``python evaluate.py``): test metrics and per-window predictions of a
checkpoint or an ensemble (configs/evaluate.yaml)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from omegaconf import DictConfig

from motionlab.cli.hydra_app import run_hydra_app
from motionlab.exits import one_line_errors


@one_line_errors
def evaluate(cfg: DictConfig) -> None:
    # imported when the evaluation starts: --help, --cfg and a rejected override answer without torch
    from motionlab.evaluation import evaluate as evaluate_model
    from motionlab.tasks.common.group_results import group_table_text

    result = evaluate_model(cfg)
    print(json.dumps(result.metrics, indent=2))
    groups = (result.report["evaluation_report"] or {}).get("groups")
    if groups:
        print(group_table_text(groups, f"{result.report_path} (evaluation_report.groups)"))
    written = [result.report_path, result.predictions_path, result.recordings_path]
    print("wrote " + ", ".join(str(path) for path in written if path))


def main(argv: Sequence[str]) -> int:
    return run_hydra_app(evaluate, "evaluate", argv)
