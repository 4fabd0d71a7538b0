"""ONNX export: the best checkpoint of a run or sweep → a verified, self-describing ``.onnx`` file.

`motionlab.export.pipeline.export_model` runs the whole pipeline (export in a fresh process,
metadata, verification against PyTorch, atomic write, optional int8, latency, model cards, model
registry); `motionlab.runs.sources.resolve_model_source` picks the checkpoint(s).
"""

from motionlab.export.errors import ExportError, ExportVerificationError

__all__ = ["ExportError", "ExportVerificationError"]
