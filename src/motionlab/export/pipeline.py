"""`export_model`: a run's checkpoint → verified ``model.onnx`` (+ optional int8) + model cards.

Order matters: the metadata goes into the graph first, then that exact file is verified against
PyTorch, and only then does it replace the destination. A failed verification leaves nothing behind.
The model's registry version is written into the files last, when it is recorded (`export_model`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from omegaconf import DictConfig, OmegaConf

from motionlab.data.datamodule import MotionDataModule
from motionlab.errors import MotionlabError
from motionlab.export.benchmark import benchmark_latency, onnx_session
from motionlab.export.calibration import expose_calibration_inputs, verify_calibration_inputs
from motionlab.export.card import render_markdown
from motionlab.export.errors import ExportError
from motionlab.export.graph import ExportGraph, build_export_graph
from motionlab.export.metadata import build_metadata, set_metadata
from motionlab.export.onnx_export import export_onnx
from motionlab.export.quantize import instruction_set, int8_agreement, out_of_tolerance, quantize_int8
from motionlab.export.registry import check_writable, model_fingerprint, registering
from motionlab.export.streaming import streaming_graph, windowed_latency, write_streaming
from motionlab.export.verify import (
    VerificationCase,
    VerificationReport,
    raise_on_failure,
    stretches,
    verification_cases,
    verify_onnx,
)
from motionlab.files import atomic_output, file_sha256, move_into_place, write_json_atomic, write_text_atomic
from motionlab.inference.onnx_model import model_feeds
from motionlab.runs.layout import EXPORT_DIR, MODEL_CARD, MODEL_CARD_MARKDOWN
from motionlab.runs.sources import ModelSource
from motionlab.targets import instantiate_allowed
from motionlab.tasks.base import MotionTask

log = logging.getLogger(__name__)
# The ``quantize`` settings that bound how far int8 may move an output (see `int8_agreement`).
INT8_TOLERANCES = ("min_top1_agreement", "max_probability_diff", "max_relative_error")
# The streaming model is verified on STREAM_BATCH streams of STREAM_WINDOWS windows of test frames.
STREAM_WINDOWS, STREAM_BATCH = 2, 2


@dataclass
class TestSplit:
    """Real inputs from the run's test split: every test frame end to end, and evenly spaced windows."""

    frames: np.ndarray
    windows: np.ndarray


@dataclass
class ExportResult:
    model_path: Path
    int8_path: Path | None
    card: dict[str, Any]
    card_paths: tuple[Path, Path]


class QuantizationRejectedError(MotionlabError, RuntimeError):
    """An output of the int8 model is out of its tolerance (``quantize.*``) against fp32."""


@dataclass
class LengthPlan:
    """The window lengths an export claims: ``verified`` starts with the task's window, then the other
    lengths that PyTorch itself runs (the time axis is dynamic when there are any)."""

    verified: list[int]
    rejected_by_pytorch: dict[int, str]

    @property
    def dynamic_time(self) -> bool:
        return len(self.verified) > 1


def load_test_split(run_config: DictConfig, max_windows: int) -> TestSplit:
    """Rebuild the run's datamodule from its resolved config and take its test split; the windows are
    the model's test inputs, shaped by the datamodule's own batch hook as in `trainer.test`."""
    datamodule: MotionDataModule = instantiate_allowed(
        run_config.data, MotionDataModule, "data", _convert_="all"
    )
    datamodule.prepare_data()
    datamodule.setup("test")
    windows = datamodule.windows["test"]
    index = torch.from_numpy(
        np.unique(np.linspace(0, len(windows) - 1, max_windows).round().astype(np.int64))
    )
    batch = datamodule.on_after_batch_transfer(windows.gather(index), 0)
    return TestSplit(windows.frames.numpy(), batch["x"].numpy())


def plan_lengths(graph: ExportGraph, length_factors: Sequence[float], dynamic_time: bool) -> LengthPlan:
    """The task's window plus ``round(factor × window)`` for each factor that PyTorch can run."""
    if not dynamic_time:
        return LengthPlan([graph.window], {})
    others = dict.fromkeys(max(1, round(f * graph.window)) for f in length_factors)
    rejected = {n: why for n in others if n != graph.window and (why := graph.rejects_length(n))}
    accepted = [n for n in others if n != graph.window and n not in rejected]
    if not accepted:
        log.warning("the model runs only at %d frames in PyTorch: the time axis is fixed", graph.window)
    return LengthPlan([graph.window, *accepted], rejected)


def tracing_example(windows: np.ndarray, dynamic_time: bool) -> np.ndarray:
    """The windows to trace on. torch.export specialises any axis of size 1 to a constant, so a
    one-frame window (a policy over the current state) is traced on two frames (repeated) when the
    time axis must stay dynamic; verification then runs the real one-frame windows."""
    if dynamic_time and windows.shape[1] == 1:
        return np.repeat(windows, 2, axis=1)
    return windows


def export_model(source: ModelSource, cfg: DictConfig) -> ExportResult:
    """Export ``source`` as configured by ``cfg`` (``configs/export.yaml``: ``export``, ``verify``,
    ``quantize``, ``benchmark``, ``registry``), verified on the run's own test split, and record it in
    the model registry (`motionlab.export.registry`) under its name and version.

    The files are made in a staging folder inside the output folder, without a version; only then,
    holding the registry's lock, is the version chosen, written into the files and their card, the
    files moved into place and the registry entry written. An export that fails or is killed on the
    way claims no version and leaves no versioned file; concurrent exports work in parallel and get
    distinct versions.
    """
    name = cfg.registry.name or source.name
    output_dir = Path(cfg.export.output_dir or source.run_dir / EXPORT_DIR)
    if cfg.registry.path is not None:
        check_writable(Path(cfg.registry.path))
    with staging_dir(output_dir) as staging:
        staged = export_files(source, cfg, staging)
        if cfg.registry.path is None:
            return publish(staged, output_dir, model_id(name, None))
        checkpoint_sha256 = source.checkpoint_sha256()
        fingerprint = model_fingerprint(checkpoint_sha256, cfg.export)
        with registering(Path(cfg.registry.path), name, fingerprint) as registration:
            result = publish(staged, output_dir, model_id(name, registration.version))
            registration.record(registry_entry(result, source, checkpoint_sha256))
    log.info("registered %s version %d in %s", name, registration.version, cfg.registry.path)
    return result


@contextlib.contextmanager
def staging_dir(output_dir: Path) -> Iterator[Path]:
    """A fresh hidden folder in ``output_dir`` (created now: an unwritable output folder fails before
    any work), removed when the block ends."""
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=output_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_files(source: ModelSource, cfg: DictConfig, output_dir: Path) -> ExportResult:
    """The export itself into ``output_dir``: verified ONNX (and int8) files and their card (not yet
    written), without a model name or version yet (see `publish`)."""
    settings = cfg.export
    test_split = load_test_split(source.config, cfg.verify.windows)
    model_path = output_dir / f"{settings.name}.onnx"
    build_task = source.task_builder()
    graph = ExportGraph(build_task(), settings.outputs)
    if test_split.windows.shape[1:] != (graph.window, graph.num_features):
        raise ExportError(
            f"the test split's model inputs are {list(test_split.windows.shape[1:])} but the task "
            f"exports [{graph.window}, {graph.num_features}] windows: its export_metadata()['window'] "
            "must be the number of frames its forward() takes"
        )
    if settings.streaming:
        streaming_graph(build_task, graph.mode)  # a model with no streaming form fails here, first
    lengths = plan_lengths(graph, cfg.verify.length_factors, settings.dynamic_time)
    log.info("exporting %s (%s outputs) of %s", type(graph.task).__name__, graph.mode, source.run_dir)
    exported = export_onnx(
        functools.partial(build_export_graph, build_task, settings.outputs),
        tracing_example(test_split.windows[: settings.example_batch], lengths.dynamic_time),
        opset=settings.opset,
        dynamic_time=lengths.dynamic_time,
        fresh_process=settings.fresh_process,
    )
    model = exported.model
    calibration = graph.task.calibration_inputs
    if calibration:
        expose_calibration_inputs(model, calibration)
    metadata = build_metadata(graph, source, settings.opset, lengths.verified)
    set_metadata(model, metadata)

    cases = verification_cases(
        test_split.frames, test_split.windows, lengths.verified[1:], cfg.verify.other_batch
    )
    report = write_verified(model, model_path, graph, cases, cfg.verify.tolerance)
    log.info("verified %s: max |ONNX − PyTorch| = %.2g", model_path, report.max_abs_diff)

    card: dict[str, Any] = {
        "metadata": metadata,
        "recurrent_export_patches": exported.patches,
        "lengths_pytorch_rejects": {str(n): why for n, why in lengths.rejected_by_pytorch.items()},
        "verification": report.to_dict(),
        "files": {"model": file_entry(model_path)},
    }
    if calibration:
        card["calibration_verification"] = verify_calibration_inputs(
            model_path, graph, test_split.windows, calibration, cfg.verify.tolerance
        )
    int8_path = output_dir / f"{settings.name}.int8.onnx"
    if cfg.quantize.enabled:
        card["quantization"] = quantize_checked(
            model_path, int8_path, metadata, test_split.windows, cfg.quantize
        )
        if int8_path.exists():
            card["files"]["int8"] = file_entry(int8_path)
    streaming_path = output_dir / f"{settings.name}.streaming.onnx"
    streaming_path.unlink(missing_ok=True)
    if settings.streaming:
        card["streaming"] = streaming_section(build_task, graph, metadata, model_path, test_split, cfg)
        card["files"]["streaming"] = file_entry(streaming_path)
    if cfg.benchmark.enabled:
        models = {"fp32": model_path, **({"int8": int8_path} if int8_path.exists() else {})}
        card["latency"] = latency_report(models, graph, test_split.windows, cfg.benchmark)

    return ExportResult(model_path, int8_path if int8_path.exists() else None, card, card_paths(output_dir))


def publish(staged: ExportResult, output_dir: Path, identity: dict[str, Any]) -> ExportResult:
    """Write the model's name and version (``identity``) into the staged files and their card, then
    move them into ``output_dir``, replacing an older export's (an int8 or streaming file too, where
    this export has none)."""
    card = {**staged.card, "metadata": {**staged.card["metadata"], **identity}, "files": {}}
    streaming = staged.model_path.with_name(staged.model_path.name.replace(".onnx", ".streaming.onnx"))
    staged_files = {
        "model": staged.model_path,
        "int8": staged.int8_path,
        "streaming": streaming if streaming.exists() else None,
    }
    for kind, path in staged_files.items():
        if path is not None:
            stamp_metadata(path, identity)
            card["files"][kind] = file_entry(path)
    staged_cards = write_card(card, staged.model_path.parent)
    moved = {}
    for path in [*staged_files.values(), *staged_cards]:
        if path is not None:
            moved[path] = output_dir / path.name
            move_into_place(path, moved[path])
    int8_path = moved.get(staged.int8_path)
    for kind in ("int8", "streaming"):  # never leave such a file from an older export beside this one
        if staged_files[kind] is None:
            (output_dir / staged.model_path.name.replace(".onnx", f".{kind}.onnx")).unlink(missing_ok=True)
    return ExportResult(
        moved[staged.model_path], int8_path, card, (moved[staged_cards[0]], moved[staged_cards[1]])
    )


def card_paths(directory: Path) -> tuple[Path, Path]:
    return directory / MODEL_CARD, directory / MODEL_CARD_MARKDOWN


def write_card(card: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    paths = card_paths(directory)
    write_json_atomic(paths[0], card)
    write_text_atomic(paths[1], render_markdown(card))
    return paths


def stamp_metadata(path: Path, identity: dict[str, Any]) -> None:
    """Add ``identity`` to the metadata of the ONNX file at ``path``, in place."""
    model = onnx.load(str(path))
    metadata = {prop.key: json.loads(prop.value) for prop in model.metadata_props}
    set_metadata(model, {**metadata, **identity})
    with atomic_output(path) as temporary:
        onnx.save(model, str(temporary))


def streaming_section(
    build_task: Callable[[], MotionTask],
    graph: ExportGraph,
    metadata: dict[str, Any],
    model_path: Path,
    test_split: TestSplit,
    cfg: DictConfig,
) -> dict[str, Any]:
    """Write the verified ``<name>.streaming.onnx`` beside ``model_path`` and return its card section,
    with the windowed model's batch-1 latency per window next to the streaming one per frame."""
    path = model_path.with_name(f"{cfg.export.name}.streaming.onnx")
    stream = stretches(test_split.frames, STREAM_WINDOWS * graph.window, STREAM_BATCH)
    opset, tolerance = cfg.export.opset, cfg.verify.tolerance
    section = write_streaming(build_task, graph, metadata, path, stream, opset, tolerance)
    section["latency"]["windowed"] = windowed_latency(model_path, test_split.windows[0])
    log.info(
        "streaming %s: %.3f ms per frame (the windowed model: %.3f ms per window)",
        path,
        section["latency"]["median_ms"],
        section["latency"]["windowed"]["median_ms"],
    )
    return section


def model_id(name: str, version: int | None) -> dict[str, Any]:
    """The metadata keys naming the model in the registry (``model_version`` None: unregistered)."""
    return {"model_name": name, "model_version": version}


def registry_entry(result: ExportResult, source: ModelSource, checkpoint_sha256: str) -> dict[str, Any]:
    """What the registry records of an export (its name, version and fingerprint are added there)."""
    metadata = result.card["metadata"]
    files = result.card["files"]
    return {
        "task": metadata["task"],
        "onnx": {"path": str(result.model_path), **files["model"]},
        "int8": {"path": str(result.int8_path), **files["int8"]} if result.int8_path else None,
        "streaming": (
            {"path": str(result.model_path.with_name(files["streaming"]["name"])), **files["streaming"]}
            if "streaming" in files
            else None
        ),
        "model_card": str(result.card_paths[0]),
        "source": {**source.describe(), "checkpoint_sha256": checkpoint_sha256},
        "monitor": source.monitor,
        "test_metrics": source.test_metrics,
        "exported_at": metadata["exported_at"],
    }


def write_verified(
    model: onnx.ModelProto,
    path: Path,
    graph: ExportGraph,
    cases: list[VerificationCase],
    tolerance: float,
) -> VerificationReport:
    """Save ``model`` to a temporary file, verify that file against ``graph`` and only then move it to
    ``path``; on a mismatch raise `ExportVerificationError` and leave ``path`` as it was."""
    with atomic_output(path) as temporary:
        onnx.save(model, str(temporary))
        report = verify_onnx(temporary, graph, graph.output_names, cases, tolerance)
        raise_on_failure(report, path)
    return report


def quantize_checked(
    model_path: Path, int8_path: Path, metadata: dict[str, Any], windows: np.ndarray, settings: DictConfig
) -> dict[str, Any]:
    """Quantise, compare every output with fp32 on the test windows in its own units
    (`motionlab.export.quantize.int8_agreement`), and keep the int8 file only if all are within the
    tolerances in ``settings``; otherwise log one line saying which output is off and by how much."""
    op_types = OmegaConf.to_container(settings.op_types) if settings.op_types is not None else None
    tolerances = {key: settings[key] for key in INT8_TOLERANCES}
    axes = {name: output["shape"] for name, output in metadata["outputs"].items()}
    report: dict[str, Any] = {"windows": len(windows), "tolerances": tolerances, "cpu": instruction_set()}
    try:
        with atomic_output(int8_path) as temporary:
            report["op_types"] = quantize_int8(model_path, temporary, op_types)
            quantized = onnx.load(str(temporary))
            set_metadata(
                quantized, {**metadata, "quantization": "int8 dynamic (weights int8, activations uint8)"}
            )
            onnx.save(quantized, str(temporary))
            fp32, int8 = run_onnx(model_path, windows), run_onnx(temporary, windows)
            report["agreement"] = int8_agreement(fp32, int8, axes, tolerances)
            report["size_ratio"] = temporary.stat().st_size / model_path.stat().st_size
            if failures := out_of_tolerance(report["agreement"], tolerances):
                raise QuantizationRejectedError("; ".join(failures))
        report["status"] = "written"
    except QuantizationRejectedError as error:
        log.warning("int8 model not written: %s", error)
        report["status"] = f"rejected: {error}"
    return report


def run_onnx(path: Path, windows: np.ndarray) -> dict[str, np.ndarray]:
    session = onnx_session(path, threads=1)
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, model_feeds(session, windows)), strict=True))


def latency_report(
    models: dict[str, Path], graph: ExportGraph, windows: np.ndarray, settings: DictConfig
) -> dict[str, Any]:
    inputs = [np.resize(windows, (batch, *windows.shape[1:])) for batch in settings.batch_sizes]
    rows = benchmark_latency(models, graph, inputs, list(settings.threads), settings.iterations)
    for row in rows:
        log.info(
            "latency %-18s batch %3d threads %d: %8.3f ms",
            row["runtime"],
            row["batch"],
            row["threads"],
            row["median_ms"],
        )
    return {
        "iterations": settings.iterations,
        "window": graph.window,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, onnxruntime {ort.__version__}, "
        f"torch {torch.__version__}",
        "rows": rows,
    }


def file_entry(path: Path) -> dict[str, Any]:
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": file_sha256(path)}
