"""DataLoader worker processes on the built-in workout sample: do they pay when a batch is one gather?

    python bench/bench_loader.py [--workers 0 2] [--epochs 3] [--batches 40] [--threads N]

A motionlab batch is one tensor gather in the main process (`WindowDataset.__getitems__`), so a worker
process saves that gather and adds the hand-over of the batch through shared memory. Two measurements
per ``num_workers`` setting (persistent workers, as the datamodule uses them):

1. the loader alone: windows/s over ``--epochs`` epochs, the first (worker start-up) timed apart;
2. training: ``--batches`` batches of the workout TCN (seed 004 size) through ``lightning.Trainer``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lightning as L
import torch

from motionlab.data.workout.datamodule import WorkoutDataModule
from motionlab.tasks import WorkoutTask

DATA = {
    "path": None,
    "cache_dir": "data/sample",
    "sample": {"num_subjects": 12, "sessions_per_subject": 2, "seed": 0},
    "classes": ["push_up", "squat", "pull_up", "dip", "no_exercise"],
    "rep_half_width": 4.0,
    "positive_ratio": 0.2,
    "window": 30,
    "stride": 10,
    "batch_size": 64,
    "pin_memory": False,
    "split": {"by": "subject"},
}
ENCODER = {"_target_": "motionlab.models.encoders.TCNEncoder"}  # seed 004 defaults: 128 filters, 8 blocks


def loader_rates(workers: int, epochs: int) -> tuple[float, float]:
    """(first-epoch seconds, windows/s of the later epochs) of the training loader."""
    datamodule = prepared(workers)
    loader = datamodule.train_dataloader()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        count = sum(batch["x"].shape[0] for batch in loader)
        times.append(time.perf_counter() - start)
    return times[0], count * (epochs - 1) / sum(times[1:])


def training_seconds(workers: int, batches: int) -> float:
    datamodule = prepared(workers)
    torch.manual_seed(0)
    task = WorkoutTask(
        ENCODER,
        datamodule.spec.to_dict(),
        {"name": "adamw", "lr": 5e-4},
        None,
        {"metric": "val/loss", "mode": "min"},
    )
    task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=1,
        limit_train_batches=batches,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    start = time.perf_counter()
    trainer.fit(task, train_dataloaders=datamodule.train_dataloader())
    return time.perf_counter() - start


def prepared(workers: int) -> WorkoutDataModule:
    datamodule = WorkoutDataModule(**DATA, num_workers=workers)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[0, 2], help="num_workers settings compared"
    )
    parser.add_argument("--epochs", type=int, default=3, help="loader epochs (the first is timed apart)")
    parser.add_argument("--batches", type=int, default=40, help="training batches of 64 timed")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    L.seed_everything(0, verbose=False)
    print(f"workout sample, batch 64, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'num_workers':>11} | {'1st epoch s':>11} | {'loader windows/s':>16} | {'train s':>8} | ms/batch")
    for workers in args.workers:
        first, rate = loader_rates(workers, args.epochs)
        seconds = training_seconds(workers, args.batches)
        print(
            f"{workers:>11} | {first:>11.2f} | {rate:>16,.0f} | {seconds:>8.2f} | "
            f"{seconds / args.batches * 1000:.0f}"
        )


if __name__ == "__main__":
    Path("data/sample").mkdir(parents=True, exist_ok=True)
    main()
