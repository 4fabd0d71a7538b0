"""The tiny workout runs of the evaluation tests (see tests/evaluation/conftest.py)."""

from tests.evaluation.conftest import workout_runs

__all__ = ["workout_runs"]
