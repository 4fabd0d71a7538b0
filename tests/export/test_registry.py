"""The model registry: versions per model name, identical re-exports, file hashes, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import onnx
import pytest

from motionlab.export.pipeline import export_model
from motionlab.export.registry import main, model_fingerprint, read_registry, registering
from motionlab.files import file_sha256
from motionlab.runs.sources import resolve_source
from motionlab.sweep.compose import compose_config as compose_named
from motionlab.training.run import train
from tests.helpers import CONFIG_DIR, TINY, compose_config

# The cheapest export that still writes and verifies a real ONNX file.
FAST_EXPORT = [
    "quantize.enabled=false",
    "benchmark.enabled=false",
    "export.fresh_process=false",
    "verify.windows=16",
    "verify.length_factors=[]",
]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, sample_cache) -> tuple[Path, Path]:
    """A tiny trained workout run: (log_dir, run_dir)."""
    log_dir = tmp_path_factory.mktemp("registry") / "outputs"
    overrides = [*TINY, "++trainer.limit_train_batches=4", "logger=none"]
    cfg = compose_config(overrides, log_dir, sample_cache, run="trained")
    train(cfg)
    return log_dir, Path(cfg.paths.output_dir)


def export(log_dir: Path, run_dir: Path, *overrides: str) -> dict:
    cfg = compose_named(
        CONFIG_DIR, "export", [f"run={run_dir}", f"paths.log_dir={log_dir}", *FAST_EXPORT, *overrides]
    )
    result = export_model(resolve_source(cfg.run, None, log_dir, log_dir / "sweeps"), cfg)
    return result.card["metadata"]


def onnx_props(path: str) -> dict:
    return {prop.key: json.loads(prop.value) for prop in onnx.load(path).metadata_props}


def test_exports_are_registered_with_version_hash_and_source_and_identical_reexports_keep_theirs(
    trained_run, capsys
):
    log_dir, run_dir = trained_run
    registry = log_dir / "model_registry.json"
    summary = json.loads((run_dir / "summary.json").read_text())

    first = export(log_dir, run_dir)
    assert (first["model_name"], first["model_version"]) == ("workout-tcn", 1)
    [entry] = read_registry(registry)
    onnx_path = run_dir / "export" / "model.onnx"
    assert entry["onnx"]["path"] == str(onnx_path) and entry["onnx"]["sha256"] == file_sha256(onnx_path)
    checkpoint = Path(summary["best_checkpoint"])
    assert entry["source"] == {
        "run_dir": str(run_dir),
        "checkpoint": str(checkpoint),
        "checkpoint_sha256": file_sha256(checkpoint),
    }
    assert entry["fingerprint"] == model_fingerprint(
        file_sha256(checkpoint), {"outputs": "app", "opset": 18, "dynamic_time": True}
    )
    assert entry["task"] == "WorkoutTask" and entry["test_metrics"] == summary["test_metrics"]
    assert entry["monitor"]["value"] == summary["best_score"] and entry["exports"] == 1
    assert entry["model_card"] == str(run_dir / "export" / "model_card.json")
    assert onnx_props(str(onnx_path))["model_version"] == 1
    assert "Model `workout-tcn`, version 1." in (run_dir / "export" / "model_card.md").read_text()

    time.sleep(1.1)  # exported_at has one-second resolution
    again = export(log_dir, run_dir)  # the same checkpoint and graph settings: the same model
    [updated] = read_registry(registry)
    assert again["model_version"] == 1 and updated["exports"] == 2
    assert updated["created_at"] == entry["created_at"] < updated["exported_at"] == again["exported_at"]
    assert updated["onnx"]["sha256"] == file_sha256(onnx_path) != entry["onnx"]["sha256"]  # new timestamp

    # another model of the same name (here: other graph settings) gets the next version
    raw = model_fingerprint(file_sha256(checkpoint), {"outputs": "raw", "opset": 18, "dynamic_time": True})
    with registering(registry, "workout-tcn", raw) as registration:
        assert registration.version == 2
        registration.record({**updated, "onnx": {**updated["onnx"], "sha256": "0" * 64}})
    with registering(registry, "rep_counter", raw) as registration:
        assert registration.version == 1  # versions count per name
    assert [(e["name"], e["version"]) for e in read_registry(registry)] == [
        ("workout-tcn", 1),
        ("workout-tcn", 2),
    ]

    # the listing checks every file against its recorded hash
    assert main([str(registry), "--json"]) == 0
    assert [e["file"] for e in json.loads(capsys.readouterr().out)] == ["ok", "changed"]
    assert main([str(registry)]) == 0 and "2 model version(s)" in capsys.readouterr().out


def test_nothing_is_recorded_when_the_export_fails(tmp_path):
    path = tmp_path / "model_registry.json"
    with registering(path, "m", "a") as registration:
        registration.record({"exported_at": "t1"})
    with pytest.raises(RuntimeError, match="verification failed"), registering(path, "m", "b"):
        raise RuntimeError("verification failed")
    with registering(path, "m", "c") as registration:
        assert registration.version == 2  # the failed export's version was never taken
    assert [e["fingerprint"] for e in read_registry(path)] == ["a"]


def _register_many(path: Path, worker: int, count: int) -> None:
    for i in range(count):
        with registering(path, f"model_{i % 2}", f"{worker}-{i}") as registration:
            time.sleep(0.002)  # widen the window between reading the versions and writing
            registration.record({"exported_at": f"{worker}-{i}"})


def test_concurrent_writers_never_share_a_version_or_corrupt_the_file(tmp_path):
    path = tmp_path / "model_registry.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_register_many, args=(path, w, 20)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    entries = read_registry(path)
    assert len(entries) == 40
    for name in ("model_0", "model_1"):
        assert sorted(e["version"] for e in entries if e["name"] == name) == list(range(1, 21))


def test_an_export_stopped_mid_way_claims_no_version_and_leaves_no_versioned_file(
    trained_run, tmp_path, monkeypatch
):
    """Stopped during quantisation (a KeyboardInterrupt here; kill -9 leaves only the hidden staging
    folder): nothing in the registry, no model file in the output folder; the next export takes the
    version and its file says so."""
    log_dir, run_dir = trained_run
    registry = tmp_path / "model_registry.json"
    output_dir = tmp_path / "export"
    settings = [f"registry.path={registry}", "registry.name=stopped", f"export.output_dir={output_dir}"]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed during quantisation")

    monkeypatch.setattr("motionlab.export.pipeline.quantize_int8", killed)
    with pytest.raises(KeyboardInterrupt):
        export(log_dir, run_dir, *settings, "quantize.enabled=true")
    assert not registry.exists() and list(output_dir.iterdir()) == []
    monkeypatch.undo()
    metadata = export(log_dir, run_dir, *settings)
    assert metadata["model_version"] == 1 == onnx_props(str(output_dir / "model.onnx"))["model_version"]
    assert [(e["name"], e["version"]) for e in read_registry(registry)] == [("stopped", 1)]
    assert sorted(p.name for p in output_dir.iterdir()) == ["model.onnx", "model_card.json", "model_card.md"]
