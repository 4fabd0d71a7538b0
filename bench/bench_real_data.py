"""Real motion data, held-out recordings: motionlab's recommended recipe vs a plain PyTorch loop vs
MiniRocket, on identical windows, over several seeds.

    python -m bench.bench_real_data                     # every real set, seeds 1 2 3
    python -m bench.bench_real_data --sets basic_motions --seeds 1

Each real set (`motionlab.datasets`) is converted on demand into data/real/. Per set, one datamodule
built from the recipe's config gives the train/val/test windows that all three methods use:

- ``motionlab``: ``train(cfg)`` of the set's recipe (``experiment=imu`` or ``landmarks`` plus the
  set's overrides, `RealDataset.train_overrides`), its best checkpoint scored on the test windows;
- ``control``: `bench.plain_loop` (a 2-layer LSTM in a plain loop, best validation epoch);
- ``minirocket``: MiniRocket features + a ridge classifier (aeon), fitted on the training windows.

All three are scored by the same code: window accuracy and macro-F1, and recording accuracy and
macro-F1 from the mean of each test recording's window probabilities. ``fit seconds`` is the
process CPU time of fitting on the in-memory windows: for motionlab the run's fitting phase as its
``summary.json`` records it (``fit_cpu_seconds``: encoder and closed-form head fits, epochs,
validation, checkpoints; not reading the data, testing or writing reports), for the control its
epochs, for MiniRocket its transform and ridge fit (aeon's one-time kernel compilation excluded).
motionlab's ``run seconds`` is the whole ``train(cfg)`` in process CPU (data, fit, test, files), its
imports loaded before the clock starts.

Every method runs on one CPU thread, as MiniRocket's transform does (``n_jobs=1``): torch's threads
(``threads=1`` for the run) and the BLAS and OpenMP pools numpy, scipy and scikit-learn use
(``threadpoolctl``). On a shared CPU a second thread mostly spins while it waits, and process CPU
time counts the spinning: a ``gun_point`` run fitted in 2.3 s of CPU on one thread, 14.8 s on two.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate

from bench.plain_loop import fit_plain_loop
from bench.table import Row, format_table

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "configs"
DATA_ROOT = REPO / "data" / "real"
SEEDS = (1, 2, 3)
METHODS = ("motionlab", "control", "minirocket")


def split_arrays(datamodule, split: str) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Every window of ``split`` as ``x [M, T, F]`` (raw features), labels ``[M]`` and recording ids."""
    windows = datamodule.windows[split]
    batch = windows.gather(torch.arange(len(windows)))
    return batch["x"], batch[datamodule.class_target], windows.recording_index.numpy()


def scores(probs: np.ndarray, labels: np.ndarray, recordings: np.ndarray) -> dict[str, float]:
    """Window and recording (mean probability per recording) accuracy and macro-F1, computed by the
    same functions as a run's evaluation report."""
    from motionlab.tasks.common.classification_metrics import (
        classification_report,
        confusion_matrix,
        recording_predictions,
    )

    classes = probs.shape[1]
    names = [str(c) for c in range(classes)]
    window = classification_report(confusion_matrix(labels, probs.argmax(1), classes), names)
    per_recording = recording_predictions(probs, recordings, labels)
    recording = classification_report(
        confusion_matrix(per_recording.labels, per_recording.predicted, classes), names
    )
    return {
        "window accuracy": window["accuracy"],
        "window macro-F1": window["macro_f1"],
        "recording accuracy": recording["accuracy"],
        "recording macro-F1": recording["macro_f1"],
    }


def train_quietly(overrides: Sequence[str], seed: int, run_dir: Path):
    """``train(cfg)`` of ``overrides`` on the CPU, without progress bars, loggers or the run's own
    MiniRocket baseline (measured on its own, as a method of the benchmark); returns the config."""
    from motionlab.sweep.compose import run_config
    from motionlab.training.run import train

    cfg = run_config(
        CONFIG_DIR,
        [
            "threads=1",  # first, so that --overrides threads=N can measure another count
            *overrides,
            f"seed={seed}",
            "trainer=cpu",
            "trainer.enable_progress_bar=false",
            "trainer.enable_model_summary=false",
            "baseline.minirocket.enabled=false",
            "logger=none",
        ],
        run_dir,
    )
    train(cfg)
    return cfg


def run_motionlab(overrides: Sequence[str], seed: int, run_dir: Path, datamodule) -> np.ndarray:
    """The class probabilities of ``datamodule``'s test windows (its split of the run's data) from the
    best checkpoint of a run of ``overrides``."""
    return measure_motionlab(overrides, seed, run_dir, datamodule)[0]


def measure_motionlab(
    overrides: Sequence[str], seed: int, run_dir: Path, datamodule
) -> tuple[np.ndarray, dict[str, float]]:
    """`run_motionlab`'s probabilities, and the run's ``fit seconds`` (its ``summary.json``'s fitting
    phase) and ``run seconds`` (the whole ``train(cfg)``), process CPU. The probabilities are the
    prediction files' (`predict_windows`): what the run's test reports, a per-person standardisation
    (``task.standardize_per_group``) included."""
    from motionlab.evaluation.predictions import predict_windows
    from motionlab.runs.layout import BEST_CHECKPOINT, SUMMARY, checkpoint_path
    from motionlab.runs.sources import load_task

    started = time.process_time()
    cfg = train_quietly(overrides, seed, run_dir)
    run_seconds = time.process_time() - started
    summary = json.loads((run_dir / SUMMARY).read_text())
    task = load_task(checkpoint_path(run_dir, BEST_CHECKPOINT), cfg.task._target_)
    task.eval()
    outputs, _ = predict_windows(task, datamodule, datamodule.windows["test"], batch_size=256)
    return outputs["class_probs"].numpy(), {
        "fit seconds": summary["fit_cpu_seconds"],
        "run seconds": run_seconds,
    }


def run_minirocket(
    train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, classes: int, seed: int
) -> tuple[np.ndarray, float]:
    """MiniRocket's test-window probabilities (softmax of its ridge scores) and its fit CPU seconds
    (aeon's one-time kernel compilation excluded, see `fit_minirocket`)."""
    from motionlab.baselines.minirocket import fit_minirocket, score_minirocket

    model = fit_minirocket(train_x.numpy(), train_y.numpy(), classes, seed=seed)
    probs = torch.from_numpy(score_minirocket(model, test_x.numpy())).softmax(-1).numpy()
    return probs, model.fit_cpu_seconds


@contextmanager
def single_threaded() -> Iterator[None]:
    """torch and every BLAS/OpenMP pool on one thread inside the block, restored after it."""
    from threadpoolctl import threadpool_limits

    from motionlab.training.threads import cpu_threads

    with cpu_threads(1), threadpool_limits(limits=1):
        yield


def measure_set(
    name: str,
    seeds: Sequence[int],
    out: Path,
    methods: Sequence[str] = METHODS,
    extra_overrides: Sequence[str] = (),
    control_epochs: int = 30,
) -> dict[str, list[dict[str, float]]]:
    from motionlab.datasets.registry import real_dataset
    from motionlab.sweep.compose import run_config

    dataset = real_dataset(name)
    overrides = [*dataset.train_overrides(dataset.ensure(DATA_ROOT)), *extra_overrides]
    datamodule = instantiate(run_config(CONFIG_DIR, overrides, out / "probe").data, _convert_="all")
    datamodule.setup("fit")
    train_x, train_y, _ = split_arrays(datamodule, "train")
    val_x, val_y, _ = split_arrays(datamodule, "val")
    test_x, test_y, test_rec = split_arrays(datamodule, "test")
    classes = len(datamodule.class_names)
    results: dict[str, list[dict[str, float]]] = {method: [] for method in methods}
    import motionlab.training.run  # noqa: F401  (imported before any clock starts)

    with single_threaded():
        for seed, method in itertools.product(seeds, methods):
            # again before each method: aeon's MiniRocket restores numba's thread count when it ends,
            # which resets the OpenMP runtime torch shares with it to one thread per core
            torch.set_num_threads(1)
            if method == "motionlab":
                probs, seconds = measure_motionlab(overrides, seed, out / f"{name}_seed{seed}", datamodule)
            elif method == "control":
                control = fit_plain_loop(
                    (train_x, train_y), (val_x, val_y), test_x, classes, seed, epochs=control_epochs
                )
                probs, seconds = control.window_probs, {"fit seconds": control.fit_cpu_seconds}
            else:
                probs, fit_seconds = run_minirocket(train_x, train_y, test_x, classes, seed)
                seconds = {"fit seconds": fit_seconds}
            result = {**scores(probs, test_y.numpy(), test_rec), **seconds}
            results[method].append(result)
            print(name, seed, method, {k: round(v, 3) for k, v in result.items()}, flush=True)
    return results


def set_rows(name: str, results: dict[str, list[dict[str, float]]], seeds: Sequence[int]) -> list[Row]:
    rows = []
    for method, runs in results.items():
        for key in runs[0] if runs else ():  # a method a set has no use for (none measured) has no row
            values = np.array([run[key] for run in runs])
            unit = "s (CPU)" if key.endswith("seconds") else ""
            note = f"seeds {','.join(map(str, seeds))}: {values.min():.3f}–{values.max():.3f}"
            rows.append(Row(f"real {name}: {method} {key}", float(values.mean()), unit, note))
    return rows


def rows(
    quick: bool = False,
    sets: Sequence[str] | None = None,
    seeds: Sequence[int] = SEEDS,
    methods: Sequence[str] = METHODS,
    extra_overrides: Sequence[str] = (),
) -> list[Row]:
    from motionlab.datasets.registry import real_datasets

    if quick:  # one seed, two epochs: checks that the benchmark runs, measures nothing
        seeds, extra_overrides = seeds[:1], [*extra_overrides, "trainer.max_epochs=2"]
    with tempfile.TemporaryDirectory() as tmp:
        return [
            row
            for name in sets or list(real_datasets())
            for row in set_rows(
                name,
                measure_set(name, seeds, Path(tmp), methods, extra_overrides, 2 if quick else 30),
                seeds,
            )
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--overrides", nargs="*", default=[], help="train.py overrides added to the recipe")
    args = parser.parse_args()
    table = rows(sets=args.sets, seeds=args.seeds, methods=args.methods, extra_overrides=args.overrides)
    print(format_table(table, "real motion data, held-out recordings"))


if __name__ == "__main__":
    main()
