"""Runs on disk, the one place that knows a run directory (``summary.json``, checkpoints, reports):

- `motionlab.runs.layout`: every file and folder name of a run, a cross-validation and a sweep;
- `motionlab.runs.status`: a run's status, corrected for a process that is gone;
- `motionlab.runs.find`: the latest completed or stopped run, a sweep's best and top-k trials, the
  folds of a cross-validation;
- `motionlab.runs.sources`: the model a run, a sweep or an ensemble of runs stands for
  (`resolve_model_source`), as export and evaluation load it;
- `motionlab.runs.index`: the run index, ``python -m motionlab.runs``.

Files are written through `motionlab.files` (atomic, 0644). Nothing is imported here, so that the
light tools (the run index, resume) do not load the model code of `motionlab.runs.sources`.
"""
