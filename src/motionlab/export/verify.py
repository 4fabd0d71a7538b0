"""Verification: ONNX Runtime vs PyTorch on real test windows, other batch sizes and other lengths.

``onnx.checker`` only proves the file is well-formed. Here the exported file itself runs in ONNX
Runtime on inputs it was not exported with, and every output must match PyTorch elementwise within
``tolerance × max(1, |reference|)`` (absolute for small values, relative for large ones such as
de-normalised positions). Any mismatch, wrong shape or runtime rejection fails the export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import Tensor

from motionlab.export.errors import ExportVerificationError
from motionlab.inference.onnx_model import model_feeds


@dataclass(frozen=True)
class VerificationCase:
    """One input batch: ``inputs [B, T, F]`` and where it came from."""

    name: str
    inputs: np.ndarray


@dataclass
class CaseResult:
    name: str
    shape: list[int]
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None


@dataclass
class VerificationReport:
    tolerance: float
    cases: list[CaseResult]

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    @property
    def max_abs_diff(self) -> float:
        return max((d for case in self.cases for d in case.max_abs_diff.values()), default=0.0)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "tolerance": self.tolerance,
            "max_abs_diff": self.max_abs_diff,
            "cases": [asdict(case) for case in self.cases],
        }


def verification_cases(
    test_frames: np.ndarray, test_windows: np.ndarray, other_lengths: Sequence[int], other_batch: int
) -> list[VerificationCase]:
    """Real test windows as a batch, one of them alone, and for each of ``other_lengths``
    ``other_batch`` stretches of real test frames that long (no other lengths: a fixed time axis)."""
    window = test_windows.shape[1]
    cases = [
        VerificationCase(f"{len(test_windows)} test windows of {window} frames", test_windows),
        VerificationCase(f"1 test window of {window} frames", test_windows[:1]),
    ]
    for length in other_lengths:
        runs = stretches(test_frames, length, other_batch)
        cases.append(VerificationCase(f"{other_batch} test stretches of {length} frames", runs))
    return cases


def stretches(frames: np.ndarray, length: int, count: int) -> np.ndarray:
    """``count`` evenly spaced runs of ``length`` consecutive frames ``[count, length, F]`` (the frames
    repeated when there are fewer than ``length``)."""
    if len(frames) < length:
        frames = np.resize(frames, (length, frames.shape[1]))
    starts = np.linspace(0, len(frames) - length, count).round().astype(np.int64)
    return np.stack([frames[s : s + length] for s in starts]).astype(np.float32)


def verify_onnx(
    path: str | Path,
    reference: Callable[[Tensor], Sequence[Tensor]],
    output_names: Sequence[str],
    cases: Sequence[VerificationCase],
    tolerance: float,
) -> VerificationReport:
    """Run the ONNX file at ``path`` and ``reference`` (the PyTorch graph) on every case."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    results = []
    for case in cases:
        result = CaseResult(case.name, list(case.inputs.shape))
        with torch.no_grad():
            expected = [t.numpy() for t in reference(torch.from_numpy(case.inputs))]
        try:
            actual = session.run(list(output_names), model_feeds(session, case.inputs))
        except Exception as error:  # ONNX Runtime raises its own exception types
            result.error = f"ONNX Runtime rejected the input: {str(error).splitlines()[0]}"
            results.append(result)
            continue
        problems = []
        for name, got, want in zip(output_names, actual, expected, strict=True):
            if got.shape != want.shape:
                problems.append(f"{name}: shape {list(got.shape)}, PyTorch {list(want.shape)}")
                continue
            diff = np.abs(got.astype(np.float64) - want)
            result.max_abs_diff[name] = float(diff.max()) if diff.size else 0.0
            if not np.all(diff <= tolerance * np.maximum(1.0, np.abs(want))):
                problems.append(f"{name}: max |ONNX − PyTorch| = {result.max_abs_diff[name]:.3g}")
        result.error = "; ".join(problems) or None
        results.append(result)
    return VerificationReport(tolerance, results)


def raise_on_failure(report: VerificationReport, path: str | Path) -> None:
    if report.passed:
        return
    failures = "\n".join(
        f"  - {case.name} {case.shape}: {case.error}" for case in report.cases if not case.passed
    )
    raise ExportVerificationError(
        f"ONNX export of {path} does not match PyTorch (tolerance {report.tolerance:g}); "
        f"nothing was written:\n{failures}"
    )
