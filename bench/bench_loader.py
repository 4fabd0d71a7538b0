"""DataLoader worker processes on the built-in workout sample: do they pay when a batch is one gather?

    python -m bench.bench_loader [--workers 0 2] [--epochs 3] [--batches 40] [--threads N]

A motionlab batch is one tensor gather in the main process (`WindowDataset.__getitems__`), so a worker
process saves that gather and adds the hand-over of the batch through shared memory. Two measurements
per ``num_workers`` setting (persistent workers, as the datamodule uses them):

1. the loader alone: windows/s over ``--epochs`` epochs, the first (worker start-up) timed apart;
2. training: ``--batches`` batches of the workout TCN (seed 004 size) through ``lightning.Trainer``.
"""

from __future__ import annotations

import argparse
import time

import lightning as L
import torch

from bench.workout_setup import bare_trainer, fresh_workout_task, workout_datamodule
from motionlab.data.workout.datamodule import WorkoutDataModule


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
    task = fresh_workout_task(datamodule)
    trainer = bare_trainer(batches)
    start = time.perf_counter()
    trainer.fit(task, train_dataloaders=datamodule.train_dataloader())
    return time.perf_counter() - start


def prepared(workers: int) -> WorkoutDataModule:
    """The workout sample as training uses it (rep-balanced sampling), loaded by ``workers``."""
    return workout_datamodule(positive_ratio=0.2, pin_memory=False, num_workers=workers)


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
    main()
