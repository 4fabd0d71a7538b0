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
process CPU time of fitting (for motionlab the whole run: training, validation, test, files).
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable, Sequence
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
    """Window and recording (mean probability per recording) accuracy and macro-F1."""
    labels = np.asarray(labels)
    window_pred = probs.argmax(1)
    ids, inverse = np.unique(recordings, return_inverse=True)
    summed = np.zeros((len(ids), probs.shape[1]))
    np.add.at(summed, inverse, probs)
    recording_labels = np.zeros(len(ids), dtype=np.int64)
    recording_labels[inverse] = labels
    recording_pred = summed.argmax(1)
    classes = probs.shape[1]
    return {
        "window accuracy": float((window_pred == labels).mean()),
        "window macro-F1": macro_f1(labels, window_pred, classes),
        "recording accuracy": float((recording_pred == recording_labels).mean()),
        "recording macro-F1": macro_f1(recording_labels, recording_pred, classes),
    }


def macro_f1(labels: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(labels, predicted, labels=np.arange(classes), average="macro", zero_division=0))


def timed_cpu(fit: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.process_time()
    probs = fit()
    return probs, time.process_time() - started


def run_motionlab(overrides: Sequence[str], seed: int, run_dir: Path, test_x: torch.Tensor) -> np.ndarray:
    from motionlab.export.graph import load_task
    from motionlab.sweep.compose import run_config
    from motionlab.training import train

    cfg = run_config(
        CONFIG_DIR,
        [
            *overrides,
            f"seed={seed}",
            "trainer=cpu",
            "trainer.enable_progress_bar=false",
            "trainer.enable_model_summary=false",
            "logger=none",
        ],
        run_dir,
    )
    train(cfg)
    task = load_task(run_dir / "checkpoints" / "best.ckpt", cfg.task._target_)
    task.eval()
    with torch.no_grad():
        return task.predict_outputs(test_x)["class_probs"].numpy()


def control_probs(*args) -> np.ndarray:
    return fit_plain_loop(*args).window_probs


def run_minirocket(
    train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, seed: int
) -> np.ndarray:
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def layout(x: torch.Tensor) -> np.ndarray:
        return x.numpy().transpose(0, 2, 1).astype(np.float64)

    model = make_pipeline(
        MiniRocket(random_state=seed),
        StandardScaler(with_mean=False),
        RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)),
    )
    model.fit(layout(train_x), train_y.numpy())
    decision = model.decision_function(layout(test_x))
    if decision.ndim == 1:
        decision = np.stack([-decision, decision], 1)
    return torch.tensor(decision).softmax(-1).numpy()


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
    for seed in seeds:
        for method in methods:
            if method == "motionlab":
                fit = functools.partial(run_motionlab, overrides, seed, out / f"{name}_seed{seed}", test_x)
            elif method == "control":
                fit = functools.partial(
                    control_probs, (train_x, train_y), (val_x, val_y), test_x, classes, seed
                )
            else:
                fit = functools.partial(run_minirocket, train_x, train_y, test_x, seed)
            probs, seconds = timed_cpu(fit)
            result = scores(probs, test_y.numpy(), test_rec)
            result["fit seconds"] = seconds
            results[method].append(result)
            print(name, seed, method, {k: round(v, 3) for k, v in result.items()}, flush=True)
    return results


def set_rows(name: str, results: dict[str, list[dict[str, float]]], seeds: Sequence[int]) -> list[Row]:
    rows = []
    for method, runs in results.items():
        for key in runs[0]:
            values = np.array([run[key] for run in runs])
            unit = "s (CPU)" if key == "fit seconds" else ""
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
