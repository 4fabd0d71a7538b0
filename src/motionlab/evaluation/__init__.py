"""Evaluation of any checkpoint or ensemble on any compatible data: the task's test metrics and
per-window prediction files (``evaluate.py``)."""

from motionlab.evaluation.run import EvaluationResult, evaluate

__all__ = ["EvaluationResult", "evaluate"]
