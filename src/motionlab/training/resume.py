"""Continue a stopped run in place: ``motionlab resume [run=RUN_DIR] [key=value ...]`` (or
``python -m motionlab.training.resume [RUN_DIR] [key=value ...]``).

Re-runs ``train.py`` with the run's own command-line overrides (from ``.hydra/overrides.yaml``) plus
``hydra.run.dir=<run>`` and ``ckpt_path=<run>/checkpoints/last.ckpt``, so checkpoints, TensorBoard
events and ``summary.json`` continue in the same directory (a cross-validation: its unfinished folds).
Without RUN_DIR it picks the run under ``outputs/`` whose ``last.ckpt`` is newest; ``key=value`` arguments
are added last (a run stopped by ``trainer.max_time`` needs a larger limit to go on). Run it from the
repository root (where train.py is).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from motionlab.errors import DataFormatError
from motionlab.files import read_json
from motionlab.runs.find import enclosing_cross_validation, latest_run_dir
from motionlab.runs.layout import CV_SUMMARY, LAST_CHECKPOINT, SUMMARY, checkpoint_path, overrides_path
from motionlab.runs.status import process_alive
from motionlab.training.checkpoints import check_loadable

# Overrides that resuming sets itself.
RESUME_KEYS = ("ckpt_path=", "hydra.run.dir=")


def resume_command(run_dir: Path, script: Path, extra_overrides: Sequence[str] = ()) -> list[str]:
    """The ``train.py`` command line that continues ``run_dir``, with ``extra_overrides`` last (e.g.
    ``trainer.max_time=null`` for a run stopped by its time limit).

    A cross-validation (or one of its folds) is continued as a whole, without ``ckpt_path``: it skips
    its completed folds and continues each other fold from that fold's ``last.ckpt``.
    """
    run_dir = enclosing_cross_validation(run_dir)
    cross_validation = (run_dir / CV_SUMMARY).is_file()
    overrides_file = overrides_path(run_dir)
    checkpoint = checkpoint_path(run_dir, LAST_CHECKPOINT)
    chosen = any(o.startswith("ckpt_path=") for o in extra_overrides)  # e.g. best.ckpt after a bad last.ckpt
    if not cross_validation and not chosen and not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint}: this run has no last checkpoint to resume from")
    if not overrides_file.is_file():
        raise FileNotFoundError(f"{overrides_file}: not a train.py run directory (no recorded overrides)")
    summary_file = run_dir / (CV_SUMMARY if cross_validation else SUMMARY)
    summary = read_json(summary_file) if summary_file.is_file() else {}
    if summary.get("status") == "running" and process_alive(summary):
        raise RuntimeError(f"{run_dir} is still being trained by another process: stop it first")
    overrides = [o for o in yaml.safe_load(overrides_file.read_text()) or [] if not o.startswith(RESUME_KEYS)]
    command = [sys.executable, str(script), *overrides, f"hydra.run.dir={run_dir}"]
    if not cross_validation and not chosen:
        check_loadable(checkpoint)
    resume_from = [] if cross_validation or chosen else [f"ckpt_path={checkpoint}"]
    return [*command, *resume_from, *extra_overrides]


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        return 0
    script = Path("train.py")
    if not script.is_file():
        sys.exit("run this from the repository root (train.py not found in the current directory)")
    try:
        runs = [arg for arg in argv if "=" not in arg or arg.startswith("run=")]
        run_dir = Path(runs[0].removeprefix("run=")) if runs else latest_run_dir(Path("outputs"))
        command = resume_command(run_dir, script, [arg for arg in argv if arg not in runs])
    except (FileNotFoundError, RuntimeError, DataFormatError) as error:
        sys.exit(f"resume: {error}")
    print("resuming:", " ".join(command[1:]), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
