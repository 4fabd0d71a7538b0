"""Runs on disk, the one place that knows a run directory (``summary.json``, checkpoints, reports):

- `motionlab.runs.layout`: every file and folder name of a run, a cross-validation and a sweep;
- `motionlab.runs.status`: a run's status, corrected for a process that is gone;
- `motionlab.runs.find`: the latest completed or stopped run, a sweep's best and top-k trials, the
  folds of a cross-validation;
- `motionlab.runs.sources`: the model one run (named, latest, a sweep's best) stands for, as export
  and evaluation load it; `motionlab.runs.ensembles`: ensembles of runs, and `resolve_model_source`,
  the one call behind export.py and evaluate.py;
- `motionlab.runs.index`: the run index, ``python -m motionlab.runs``.

Files are written through `motionlab.files` (atomic, 0644). Nothing is imported here, so that the
light tools (the run index, resume) do not load the model code of the sources.
"""
