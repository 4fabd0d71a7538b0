"""Optional int8 dynamic quantisation with ONNX Runtime, and how far it moves the outputs.

Weights become int8 and activations are quantised on the fly, so no calibration data is needed.
``quant_pre_process`` (shape inference + graph optimisation) runs first, as ONNX Runtime recommends.
int8 convolutions were ~3× slower than fp32 for the TCN in ONNX Runtime 1.31 on CPU, so graphs with
convolutions quantise only MatMul/Gemm by default.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.shape_inference import quant_pre_process

CONVOLUTIONAL_OP_TYPES = ("MatMul", "Gemm")

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


def agreement(reference: Mapping[str, np.ndarray], candidate: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Per output: max |candidate − reference|, and top-1 agreement for probability outputs."""
    report: dict[str, Any] = {}
    for name, want in reference.items():
        got = candidate[name]
        entry: dict[str, Any] = {"max_abs_diff": float(np.abs(got.astype(np.float64) - want).max())}
        if is_distribution(want):
            entry["top1_agreement"] = float(np.mean(got.argmax(axis=-1) == want.argmax(axis=-1)))
        report[name] = entry
    return report


def min_top1_agreement(report: Mapping[str, Mapping[str, Any]]) -> float | None:
    values = [entry["top1_agreement"] for entry in report.values() if "top1_agreement" in entry]
    return min(values) if values else None
