"""ONNX export: the best checkpoint of a run or sweep → a verified, self-describing ``.onnx`` file.

`export_model` runs the whole pipeline (export in a fresh process, metadata, verification against
PyTorch, atomic write, optional int8, latency, model cards, model registry); `resolve_source` picks
the checkpoint. They are imported lazily, so that ``python -m motionlab.export.registry`` (a module
the pipeline itself imports) runs without loading the pipeline first.
"""

from typing import Any

from motionlab.export.errors import ExportError, ExportVerificationError

__all__ = [
    "ExportError",
    "ExportResult",
    "ExportSource",
    "ExportVerificationError",
    "export_model",
    "resolve_source",
]

_LAZY = {
    "ExportResult": "motionlab.export.pipeline",
    "export_model": "motionlab.export.pipeline",
    "ExportSource": "motionlab.export.source",
    "resolve_source": "motionlab.export.source",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'motionlab.export' has no attribute {name!r}")
