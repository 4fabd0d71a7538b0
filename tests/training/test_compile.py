"""``compile.enabled=true``: the encoder is compiled in place, the run trains, and its checkpoint loads
into an uncompiled task and exports to a verified ONNX model.

The backend here is ``aot_eager``: the same graph capture (TorchDynamo) and autograd tracing as
inductor, without inductor's C++ code generation, which costs about a minute of CPU for this tiny run
on the 2-core development machine. Inductor itself is measured by ``bench/bench_compile.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch._dynamo
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from motionlab.export.pipeline import export_model
from motionlab.runs.sources import resolve_source
from motionlab.tasks import WorkoutTask
from motionlab.training.run import train
from tests.helpers import CONFIG_DIR

pytestmark = pytest.mark.slow


def test_compiled_encoder_trains_and_its_checkpoint_loads_uncompiled_and_exports(make_config):
    cfg = make_config(
        "compile.enabled=true",
        "compile.options.backend=aot_eager",
        "+trainer.limit_train_batches=3",
        "+trainer.limit_val_batches=1",
        "+trainer.limit_test_batches=1",
        "logger=none",
    )
    torch._dynamo.reset()
    train(cfg)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # the encoder did run compiled
    run_dir = Path(cfg.paths.output_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    state = torch.load(summary["best_checkpoint"], map_location="cpu", weights_only=False)["state_dict"]
    assert "encoder.input_projection.weight" in state
    assert not [key for key in state if "_orig_mod" in key]
    task = WorkoutTask.load_from_checkpoint(summary["best_checkpoint"])  # strict: every key matches
    assert not hasattr(task.encoder, "_compiled_call_impl") or task.encoder._compiled_call_impl is None

    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR)):
        export_cfg = compose(
            "export",
            overrides=[
                f"run={run_dir}",
                f"paths.log_dir={cfg.paths.log_dir}",
                "export.fresh_process=false",
                "quantize.enabled=false",
                "benchmark.enabled=false",
                "verify.windows=16",
            ],
        )
    source = resolve_source(export_cfg.run, export_cfg.sweep, export_cfg.paths.log_dir, export_cfg.sweeps_dir)
    result = export_model(source, export_cfg)
    assert result.model_path.is_file() and result.card["verification"]["passed"]
