"""Ensembles: several trained runs of one task averaged into one model that evaluates and exports
like a single run (`build_ensemble`, `resolve_model_source`)."""

from motionlab.ensemble.members import EnsembleSource, resolve_ensemble, resolve_model_source
from motionlab.ensemble.module import build_ensemble

__all__ = ["EnsembleSource", "build_ensemble", "resolve_ensemble", "resolve_model_source"]
