"""The run directory layout: the name of every file and folder a run, a cross-validation or a sweep
writes, in one place. Code that writes or reads one of them names it through these constants;
``docs/architecture.md`` lists which module writes and which reads each (``tools/architecture.py``).

```
<run_dir>/                              one train() run (outputs/<name>/<time>/, a fold, a trial)
  .hydra/config.yaml, overrides.yaml    Hydra's record of the command line (resume re-runs it)
  config.yaml                           the resolved config: task class, data, model
  summary.json                          status, monitored metric, best checkpoint, test metrics
  checkpoints/best.ckpt, last.ckpt      best epoch by the monitored metric; the latest epoch
  data_report.json                      splits, groups, counts, skipped recordings
  label_encoder.json                    class name <-> output index (data with classes)
  evaluation_report.json                the task's test report (+ baselines)
  train.log                             the run's log records
  export/model.onnx, model_card.json    export.py's outputs (and model_card.md)
  evaluation/                           evaluate.py's reports and predictions
<cv_dir>/cv_summary.json, fold_<i>/     a cross-validation: its summary and one run per fold
<sweeps_dir>/<study>/                   a sweep: trial_<n>/ runs, best.json, best_params.yaml,
                                        best_experiment.yaml, ensemble_top<k>/
<log_dir>/ensembles/ensemble_<hash>/    an ensemble of named runs (its exports and evaluations)
```

The checkpoint names are also set in ``configs/callbacks/default.yaml`` (Lightning writes them);
``tests/test_architecture.py`` checks that the two agree.
"""

from __future__ import annotations

from pathlib import Path

# One training run.
RUN_CONFIG = "config.yaml"
HYDRA_DIR = ".hydra"
OVERRIDES = "overrides.yaml"
SUMMARY = "summary.json"
CHECKPOINTS_DIR = "checkpoints"
BEST_CHECKPOINT = "best.ckpt"
LAST_CHECKPOINT = "last.ckpt"
DATA_REPORT = "data_report.json"
LABEL_ENCODER = "label_encoder.json"
EVALUATION_REPORT = "evaluation_report.json"
RUN_LOG = "train.log"

# What export.py and evaluate.py write into a run's (or an ensemble's) directory by default.
EXPORT_DIR = "export"
MODEL_CARD = "model_card.json"
MODEL_CARD_MARKDOWN = "model_card.md"
EVALUATION_DIR = "evaluation"

# A cross-validation: its summary beside one run directory per fold.
CV_SUMMARY = "cv_summary.json"
FOLD_PREFIX = "fold_"

# A sweep (<sweeps_dir>/<study>/): one run directory per trial and the best trial's files.
TRIAL_PREFIX = "trial_"
TRIAL_GLOB = f"{TRIAL_PREFIX}*"
SWEEP_BEST = "best.json"
BEST_PARAMS = "best_params.yaml"
BEST_EXPERIMENT = "best_experiment.yaml"

# An ensemble's outputs (exports, evaluations): <cv_dir>/ensemble/, <sweep_dir>/ensemble_top<k>/, and
# for named runs <log_dir>/ensembles/ensemble_<hash of their paths>/.
ENSEMBLE_DIR = "ensemble"
ENSEMBLES_DIR = "ensembles"


def checkpoint_path(run_dir: Path, name: str) -> Path:
    """``<run_dir>/checkpoints/<name>`` (`BEST_CHECKPOINT`, `LAST_CHECKPOINT`)."""
    return run_dir / CHECKPOINTS_DIR / name


def overrides_path(run_dir: Path) -> Path:
    """``<run_dir>/.hydra/overrides.yaml``: the command-line overrides the run was started with."""
    return run_dir / HYDRA_DIR / OVERRIDES


def fold_dir(cv_dir: Path, fold: int) -> Path:
    """Where fold ``fold`` of the cross-validation in ``cv_dir`` trains."""
    return cv_dir / f"{FOLD_PREFIX}{fold}"


def trial_dir(sweep_dir: Path, number: int) -> Path:
    """Where trial ``number`` of the sweep in ``sweep_dir`` trains."""
    return sweep_dir / f"{TRIAL_PREFIX}{number}"
