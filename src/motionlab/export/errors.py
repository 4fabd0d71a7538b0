"""Errors of the export pipeline."""

from __future__ import annotations

from motionlab.errors import MotionlabError


class ExportError(MotionlabError, RuntimeError):
    """The exporter produced something unusable (wrong opset, a fixed axis that must be dynamic, ...)."""


class ExportVerificationError(ExportError):
    """ONNX Runtime disagrees with PyTorch on at least one verification case; nothing was written."""
