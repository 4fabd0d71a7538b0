"""Optional int8 dynamic quantisation with ONNX Runtime, and whether every output keeps its promise.

Weights become int8 and activations are quantised on the fly, so no calibration data is needed.
``quant_pre_process`` (shape inference + graph optimisation) runs first, as ONNX Runtime recommends.
int8 convolutions were ~3× slower than fp32 for the TCN in ONNX Runtime 1.31 on CPU, so graphs with
convolutions quantise only MatMul/Gemm by default.

Every output is checked in its own units (`int8_agreement`): a probability distribution by top-1
agreement and its largest difference in probability; any other output (a score, a position, a
sigmoid) by its largest difference relative to its spread over the test windows. One output out of
tolerance and the int8 file is not written.
"""

from __future__ import annotations

import logging
import platform
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.shape_inference import quant_pre_process

CONVOLUTIONAL_OP_TYPES = ("MatMul", "Gemm")
# CPU extensions that change how ONNX Runtime computes int8 (best first): VNNI/AMX dot products on x86,
# dot-product and int8 matrix-multiply instructions on Arm.
INT8_INSTRUCTION_SETS = (
    "amx_int8",
    "avx512_vnni",
    "avx_vnni",
    "avx512bw",
    "avx2",
    "sse4_1",
    "i8mm",
    "asimddp",
    "asimd",
)
# Axes of an output that index samples (windows, frames) rather than channels.
SAMPLE_AXES = ("batch", "time")
# The least spread a channel is judged against, as a share of its mean magnitude (see `channel_spread`).
SPREAD_FLOOR = 0.01

log = logging.getLogger(__name__)


def default_op_types(model: onnx.ModelProto) -> list[str] | None:
    """MatMul/Gemm only for graphs with convolutions; None (every op ONNX Runtime can quantise) else."""
    has_conv = any(node.op_type == "Conv" for node in model.graph.node)
    return list(CONVOLUTIONAL_OP_TYPES) if has_conv else None


def quantize_int8(source: Path, destination: Path, op_types: Sequence[str] | None) -> list[str] | None:
    """Write the int8 version of ``source`` to ``destination``; returns the op types quantised
    (None = ONNX Runtime's default set)."""
    if op_types is None:
        op_types = default_op_types(onnx.load(str(source)))
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        prepare_for_quantization(source, prepared)
        quantize_dynamic(
            prepared,
            destination,
            op_types_to_quantize=list(op_types) if op_types else None,
            weight_type=QuantType.QInt8,
        )
    return list(op_types) if op_types else None


def prepare_for_quantization(source: Path, prepared: Path) -> None:
    """``quant_pre_process`` on ``source`` without its intermediate shapes (``value_info``): the
    exporter records some of them as traced, with static sizes that shape inference then contradicts.
    ONNX Runtime's symbolic shape inference runs first; ONNX's own replaces it where the symbolic one
    cannot follow the graph (it fails on some ReduceMean nodes, e.g. in the gait model's body frame)."""
    model = onnx.load(str(source))
    del model.graph.value_info[:]
    stripped = prepared.with_name("stripped.onnx")
    onnx.save(model, str(stripped))
    try:
        quant_pre_process(str(stripped), str(prepared), skip_symbolic_shape=False)
    except (TypeError, ValueError, KeyError) as error:
        log.info("symbolic shape inference failed (%s); quantising with ONNX shape inference", error)
        quant_pre_process(str(stripped), str(prepared), skip_symbolic_shape=True)


def is_distribution(values: np.ndarray) -> bool:
    """Probabilities over the last axis (each row in [0, 1] and summing to 1): top-1 is meaningful."""
    return (
        values.ndim >= 2
        and values.shape[-1] >= 2
        and bool(np.all((values >= 0) & (values <= 1)))
        and bool(np.allclose(values.sum(axis=-1), 1.0, atol=1e-3))
    )


def channel_spread(values: np.ndarray, axes: Sequence[str | int]) -> np.ndarray:
    """The standard deviation of each channel over the sample axes (``"batch"``, ``"time"`` in the
    output's ``axes``), shaped to broadcast against ``values``. A channel that barely varies on the
    test split (a calibrated confidence of a weak model, a constant offset) gets a floor of
    `SPREAD_FLOOR` × its mean magnitude, so that a difference far below its own units is no failure."""
    sample = tuple(i for i, axis in enumerate(axes) if axis in SAMPLE_AXES)
    values = values.astype(np.float64)
    spread = values.std(axis=sample, keepdims=True)
    floor = SPREAD_FLOOR * np.abs(values).mean(axis=sample, keepdims=True)
    return np.maximum(spread, np.maximum(floor, np.finfo(np.float32).tiny))


def int8_agreement(
    reference: Mapping[str, np.ndarray],
    candidate: Mapping[str, np.ndarray],
    output_axes: Mapping[str, Sequence[str | int]],
    tolerances: Mapping[str, float],
) -> dict[str, dict[str, Any]]:
    """Per output, how far int8 (``candidate``) moves it from fp32 (``reference``), in its own units,
    and whether that is within ``tolerances``:

    * probabilities (a distribution over the last axis): ``top1_agreement`` ≥ ``min_top1_agreement``
      and ``max_abs_diff`` ≤ ``max_probability_diff``;
    * values (anything else): ``relative_error`` = max |int8 − fp32| / the channel's standard
      deviation over the test windows (`channel_spread`) ≤ ``max_relative_error``.
    """
    report: dict[str, dict[str, Any]] = {}
    for name, want in reference.items():
        got = candidate[name].astype(np.float64)
        diff = np.abs(got - want)
        entry: dict[str, Any] = {"max_abs_diff": float(diff.max()) if diff.size else 0.0}
        if is_distribution(want):
            entry["kind"] = "probabilities"
            entry["top1_agreement"] = float(np.mean(got.argmax(axis=-1) == want.argmax(axis=-1)))
            entry["passed"] = bool(
                entry["top1_agreement"] >= tolerances["min_top1_agreement"]
                and entry["max_abs_diff"] <= tolerances["max_probability_diff"]
            )
        else:
            entry["kind"] = "values"
            spread = channel_spread(want, output_axes[name])
            entry["spread"] = float(spread.min())
            entry["relative_error"] = float((diff / spread).max()) if diff.size else 0.0
            entry["passed"] = entry["relative_error"] <= tolerances["max_relative_error"]
        report[name] = entry
    return report


def out_of_tolerance(report: Mapping[str, Mapping[str, Any]], tolerances: Mapping[str, float]) -> list[str]:
    """One phrase per output that failed `int8_agreement`, saying by how much."""
    failures = []
    for name, entry in report.items():
        if entry["passed"]:
            continue
        if entry["kind"] == "probabilities":
            failures.append(
                f"{name} top-1 agreement {entry['top1_agreement']:.4f} "
                f"(min {tolerances['min_top1_agreement']:g}), max |int8 − fp32| "
                f"{entry['max_abs_diff']:.3g} (max {tolerances['max_probability_diff']:g})"
            )
        else:
            failures.append(
                f"{name} off by {entry['relative_error']:.3g} × its test-split spread "
                f"(max {tolerances['max_relative_error']:g}; max |int8 − fp32| {entry['max_abs_diff']:.3g})"
            )
    return failures


def instruction_set() -> dict[str, Any]:
    """The CPU this int8 model was checked on, and the int8-relevant extensions it has (best first):
    int8 results differ between CPUs, so a card's agreement holds for this instruction set."""
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                flags.update(value.split())
            elif key.strip() == "model name":
                model = value.strip()
    except OSError:
        pass
    extensions = [name for name in INT8_INSTRUCTION_SETS if name in flags]
    return {
        "machine": platform.machine(),
        "cpu": model,
        "best": extensions[0] if extensions else None,
        "int8_extensions": extensions,
    }
