"""Benchmark pruning: the same small Optuna search with and without a pruner.

    python -m bench.bench_pruning         (part of: make bench ARGS=--slow)
    python -m bench.bench_pruning --trials 16 --epochs 8 --seeds 0 1 2 --pruner successive_halving

For each sampler seed, two fresh studies run the workout search (configs/search/workout_tcn.yaml) on
a small slice of the built-in sample: one with ``sweep.pruner.name=none``, one with the pruner. Same
search space, same seed, same trial budget; the pruned study's later proposals differ because TPE
learns from the pruned trials too. Printed per study: trials complete/pruned, epochs trained (epochs
validated, summed over trials), wall time and the best monitored value; then the ratio of epochs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import tempfile
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from bench.table import Row
from motionlab.sweep.cli import load_sweep
from motionlab.sweep.study import run_sweep

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "configs"


def trial_overrides(epochs: int) -> list[str]:
    """A small slice of the workout sample (4 sessions, 16-channel TCNs), so that a study of a dozen
    trials takes minutes on a 2-core CPU."""
    return [
        "trainer=cpu",
        f"trainer.max_epochs={epochs}",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "data.sample.num_subjects=4",
        "data.sample.sessions_per_subject=1",
        "data.stride=15",
        "model.channels=16",
        "task.cls_hidden=[32]",
        "task.seg_hidden=[32]",
        "test=false",
        "logger=none",
    ]


def run_study(out: Path, pruner: str, seed: int, trials: int, epochs: int) -> dict:
    name = f"{pruner}_seed{seed}"
    settings, space = load_sweep(
        CONFIG_DIR,
        [
            "search=workout_tcn",
            f"sweep.study={name}",
            f"sweep.dir={out / name}",
            f"sweep.n_trials={trials}",
            f"sweep.sampler.seed={seed}",
            f"sweep.pruner.name={pruner}",
        ],
    )
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # per-trial data reports
        study = run_sweep(settings, space, trial_overrides(epochs), CONFIG_DIR)
    seconds = time.perf_counter() - started
    finished = study.get_trials(deepcopy=False)
    return {
        "pruner": pruner,
        "seed": seed,
        "complete": sum(t.state == TrialState.COMPLETE for t in finished),
        "pruned": sum(t.state == TrialState.PRUNED for t in finished),
        "epochs": sum(len(t.intermediate_values) for t in finished),
        "seconds": seconds,
        "best": study.best_value,
        "minimize": study.direction == optuna.study.StudyDirection.MINIMIZE,
    }


def rows(quick: bool = False, trials: int = 12, epochs: int = 6, pruner: str = "median") -> list[Row]:
    """Epochs and time of the pruned study relative to the unpruned one (seed 0)."""
    if quick:
        trials, epochs = 2, 1
    quiet_logs()
    with tempfile.TemporaryDirectory() as tmp:
        full, pruned = (run_study(Path(tmp), p, 0, trials, epochs) for p in ("none", pruner))
    note = f"{trials} trials x <= {epochs} epochs; best {pruned['best']:.4f} vs {full['best']:.4f} unpruned"
    return [
        Row(
            f"pruning ({pruner}): epochs trained vs no pruning", pruned["epochs"] / full["epochs"], "x", note
        ),
        Row(f"pruning ({pruner}): wall time vs no pruning", pruned["seconds"] / full["seconds"], "x", note),
    ]


def quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric").setLevel(logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=6, help="max epochs per trial")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--pruner", default="median", help="median | successive_halving | hyperband")
    parser.add_argument("--out", type=Path, default=None, help="keep the studies here (default: a temp dir)")
    args = parser.parse_args()
    quiet_logs()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        print(f"workout search: {args.trials} trials of up to {args.epochs} epochs; best = best val/loss")
        print(f"{'pruner':<20}{'seed':>5}{'complete':>10}{'pruned':>8}{'epochs':>8}{'time s':>9}{'best':>10}")
        for seed in args.seeds:
            rows = [run_study(out, p, seed, args.trials, args.epochs) for p in ("none", args.pruner)]
            for r in rows:
                print(
                    f"{r['pruner']:<20}{r['seed']:>5}{r['complete']:>10}{r['pruned']:>8}"
                    f"{r['epochs']:>8}{r['seconds']:>9.0f}{r['best']:>10.4f}",
                    flush=True,
                )
            full, pruned = rows
            as_good = pruned["best"] <= full["best"] if full["minimize"] else pruned["best"] >= full["best"]
            verdict = "equal or better" if as_good else "worse"
            epochs = pruned["epochs"] / full["epochs"]
            seconds = pruned["seconds"] / full["seconds"]
            print(
                f"  seed {seed}: pruning trained {epochs:.2f}x the epochs ({pruned['epochs']} vs "
                f"{full['epochs']}) in {seconds:.2f}x the time; best value {verdict} "
                f"({pruned['best']:.4f} vs {full['best']:.4f})"
            )


if __name__ == "__main__":
    main()
