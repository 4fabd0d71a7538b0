"""Ensembles: several trained runs of one task averaged into one model that evaluates and exports
like a single run (`build_ensemble`). Which runs an ensemble averages is resolved with the other
model sources, in `motionlab.runs.sources`."""

from motionlab.ensemble.module import build_ensemble

__all__ = ["build_ensemble"]
