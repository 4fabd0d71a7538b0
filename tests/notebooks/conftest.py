"""Running the notebooks headless: parameters injected after each notebook's ``parameters`` cell (as
papermill does), executed by nbclient on an ipykernel; and one tiny trained + exported workout run for
the notebooks that review a run and its ONNX model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

from motionlab.export.pipeline import export_model
from motionlab.runs.sources import resolve_source
from motionlab.sweep.compose import compose_config as compose_named
from motionlab.training.run import train
from tests.helpers import CONFIG_DIR, REPO, TINY, compose_config

NOTEBOOKS = REPO / "notebooks"
# Seconds per cell: the first import of torch and Lightning in a fresh kernel takes a few.
CELL_TIMEOUT = 300


def execute(name: str, parameters: dict[str, Any]) -> NotebookNode:
    """Execute ``notebooks/<name>`` in its own folder (as Jupyter would) with ``parameters``
    assigned right after its ``parameters`` cell; raises on the first cell that fails."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    position = next(
        i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])
    )
    injected = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    notebook.cells.insert(position + 1, nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected"]}))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


def printed_json(notebook: NotebookNode) -> Any:
    """The JSON line the notebook's last cell prints (what the notebooks report for the tests)."""
    text = "".join(
        output.get("text", "") for output in notebook.cells[-1].outputs if output.output_type == "stream"
    )
    return json.loads(text.strip().splitlines()[-1])


@dataclass
class ExportedWorkoutRun:
    run_dir: Path
    model_path: Path

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "summary.json").read_text())


@pytest.fixture(scope="session")
def exported_workout_run(tmp_path_factory, sample_cache) -> ExportedWorkoutRun:
    """Two epochs of the tiny workout recipe with TensorBoard logs, exported to ONNX (fp32, verified)."""
    log_dir = tmp_path_factory.mktemp("notebook-run") / "outputs"
    cfg = compose_config([*TINY, "trainer.max_epochs=2"], log_dir, sample_cache, run="trained")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    export_cfg = compose_named(
        CONFIG_DIR,
        "export",
        [
            f"run={run_dir}",
            f"paths.log_dir={log_dir}",
            "quantize.enabled=false",
            "benchmark.enabled=false",
            "export.fresh_process=false",
            "verify.windows=64",
        ],
    )
    source = resolve_source(export_cfg.run, None, log_dir, log_dir / "sweeps")
    result = export_model(source, export_cfg)
    return ExportedWorkoutRun(run_dir, result.model_path)
