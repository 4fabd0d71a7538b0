"""Benchmark the data engine and the Lightning loop on the built-in workout sample.

    python -m bench.bench_foundation            (part of: make bench)

1. Windowing + batching: motionlab's offset windows (one gather per batch) against a dataset
   written like seed 000's — Python lists of windows built up front, one window per __getitem__,
   batches assembled by the default collate. Both yield the same [64, 30, 25] batches.
2. Training: one epoch of the workout TCN through `lightning.Trainer` against a hand-written
   PyTorch loop (same model, data, optimiser, batch order), to show what Lightning costs.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from bench.table import Row, format_table
from bench.workout_setup import TCN_ENCODER, bare_trainer, fresh_workout_task, workout_datamodule
from motionlab.data.windows import WindowDataset, keep_batch
from motionlab.data.workout.datamodule import WorkoutDataModule


class PerWindowDataset(Dataset):
    """Seed 000's MotionTrackingDataset pattern: every window built as nested Python lists."""

    def __init__(self, recordings, window: int, stride: int) -> None:
        self.sequences = []
        for recording in recordings:
            features = recording.frames.tolist()
            for i in range(0, len(features) - window + 1, stride):
                self.sequences.append(features[i : i + window])

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, idx: int) -> torch.Tensor:
        return torch.FloatTensor(self.sequences[idx])


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def iterate(loader: DataLoader) -> int:
    count = 0
    for batch in loader:
        count += (batch["x"] if isinstance(batch, dict) else batch).shape[0]
    return count


def traced_peak(fn) -> tuple[object, float]:
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak / 2**20


def bench_windowing(datamodule: WorkoutDataModule, repeats: int) -> list[Row]:
    windows = datamodule.windows["train"]
    recordings = windows.recordings
    ours_loader = DataLoader(WindowDataset(windows), batch_size=64, shuffle=True, collate_fn=keep_batch)
    baseline, build_s = timed(lambda: PerWindowDataset(recordings, datamodule.window, datamodule.stride))
    _, baseline_mb = traced_peak(lambda: PerWindowDataset(recordings, datamodule.window, datamodule.stride))
    baseline_loader = DataLoader(baseline, batch_size=64, shuffle=True)
    assert len(baseline) == len(windows), "both datasets must hold the same windows"
    ours_s = min(timed(lambda: iterate(ours_loader))[1] for _ in range(repeats))
    theirs_s = min(timed(lambda: iterate(baseline_loader))[1] for _ in range(repeats))
    n = len(windows)
    ours_mb = windows.frames.numel() * 4 / 2**20
    note = f"{n} windows of 30x25, batch 64, best of {repeats} epochs"
    return [
        Row("windowing: offsets + one gather per batch", n / ours_s, "windows/s", note),
        Row("windowing: per-window Python dataset", n / theirs_s, "windows/s", f"+ {build_s:.1f} s to build"),
        Row("windowing: speed-up over per-window dataset", theirs_s / ours_s, "x", "per epoch"),
        Row(
            "windowing: memory saving over per-window dataset",
            baseline_mb / ours_mb,
            "x",
            f"{ours_mb:.1f} MB vs {baseline_mb:.1f} MB held",
        ),
    ]


def bench_training(datamodule: WorkoutDataModule, batches: int, encoder: dict) -> list[Row]:
    loader = DataLoader(
        WindowDataset(datamodule.windows["train"]), batch_size=64, shuffle=False, collate_fn=keep_batch
    )

    def raw_loop() -> None:
        task = fresh_workout_task(datamodule, encoder).train()
        optimizer = torch.optim.AdamW(task.parameters(), lr=5e-4)
        for index, batch in enumerate(loader):
            if index == batches:
                break
            optimizer.zero_grad(set_to_none=True)
            loss = task.compute_losses(task(batch["x"]), batch)["loss"]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(task.parameters(), 1.0)
            optimizer.step()

    def lightning_epoch() -> None:
        trainer = bare_trainer(batches, gradient_clip_val=1.0)
        trainer.fit(fresh_workout_task(datamodule, encoder), train_dataloaders=loader)

    raw_loop()  # warm-up (allocator, oneDNN kernels)
    raw_s = timed(raw_loop)[1]
    lightning_s = timed(lightning_epoch)[1]
    note = f"workout TCN, {batches} batches of 64, {torch.get_num_threads()} threads; target <= 1.10"
    return [
        Row(
            "training: raw PyTorch loop", raw_s / batches * 1000, "ms/batch", "same model, data, batch order"
        ),
        Row("training: Lightning / raw PyTorch loop", lightning_s / raw_s, "x", note),
    ]


def rows(quick: bool = False, batches: int = 60, repeats: int = 3) -> list[Row]:
    """Windowing vs the per-window dataset, and Lightning vs a raw loop (``quick``: a tiny sample)."""
    data, encoder = {}, TCN_ENCODER
    if quick:
        data["sample"] = {"num_subjects": 3, "sessions_per_subject": 1, "seed": 0}
        encoder = {**TCN_ENCODER, "channels": 16, "num_blocks": 2}
        batches, repeats = 3, 1
    L.seed_everything(0, verbose=False)
    datamodule = workout_datamodule(**data)
    return bench_windowing(datamodule, repeats) + bench_training(datamodule, batches, encoder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60, help="training batches timed in part 2")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed in part 1 (best kept)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    print(format_table(rows(batches=args.batches, repeats=args.repeats), "foundation"))


if __name__ == "__main__":
    main()
