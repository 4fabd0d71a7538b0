"""ONNX export: the best checkpoint of a run or sweep → a verified, self-describing ``.onnx`` file.

`export_model` runs the whole pipeline (export in a fresh process, metadata, verification against
PyTorch, atomic write, optional int8, latency, model cards); `resolve_source` picks the checkpoint.
"""

from motionlab.export.errors import ExportError, ExportVerificationError
from motionlab.export.pipeline import ExportResult, export_model
from motionlab.export.source import ExportSource, resolve_source

__all__ = [
    "ExportError",
    "ExportResult",
    "ExportSource",
    "ExportVerificationError",
    "export_model",
    "resolve_source",
]
