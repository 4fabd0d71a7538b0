"""Benchmark the data engine and the Lightning loop on the built-in workout sample.

    python bench/bench_foundation.py            (or: make bench)

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
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from motionlab.data.windows import WindowDataset, keep_batch
from motionlab.data.workout.datamodule import WorkoutDataModule
from motionlab.tasks import WorkoutTask

DATA = {
    "path": None,
    "cache_dir": "data/sample",
    "sample": {"num_subjects": 12, "sessions_per_subject": 2, "seed": 0},
    "classes": ["push_up", "squat", "pull_up", "dip", "no_exercise"],
    "rep_half_width": 4.0,
    "positive_ratio": None,
    "window": 30,
    "stride": 10,
    "batch_size": 64,
    "split": {"by": "subject"},
}
ENCODER = {"_target_": "motionlab.models.encoders.TCNEncoder"}  # seed 004 defaults: 128 filters, 8 blocks


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


def bench_windowing(datamodule: WorkoutDataModule, repeats: int) -> None:
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
    print(f"\n1. windowing + batching, {n} training windows of 30x25, batch 64 (best of {repeats})")
    print(f"   motionlab offsets + gather : {n / ours_s:>10,.0f} windows/s   data held: {ours_mb:7.1f} MB")
    print(
        f"   per-window Python dataset  : {n / theirs_s:>10,.0f} windows/s   "
        f"data held: {baseline_mb:7.1f} MB   (+ {build_s:.1f} s to build)"
    )
    print(f"   ratio: {theirs_s / ours_s:.1f}x faster per epoch, {baseline_mb / ours_mb:.0f}x less memory")


def bench_training(datamodule: WorkoutDataModule, batches: int) -> None:
    def fresh_task() -> WorkoutTask:
        torch.manual_seed(0)
        task = WorkoutTask(
            ENCODER,
            datamodule.spec.to_dict(),
            {"name": "adamw", "lr": 5e-4},
            None,
            {"metric": "val/loss", "mode": "min"},
        )
        task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
        return task

    loader = DataLoader(
        WindowDataset(datamodule.windows["train"]), batch_size=64, shuffle=False, collate_fn=keep_batch
    )

    def raw_loop() -> None:
        task = fresh_task().train()
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
            gradient_clip_val=1.0,
        )
        trainer.fit(fresh_task(), train_dataloaders=loader)

    raw_loop()  # warm-up (allocator, oneDNN kernels)
    raw_s = timed(raw_loop)[1]
    lightning_s = timed(lightning_epoch)[1]
    print(
        f"\n2. training, workout TCN (seed 004 size), {batches} batches of 64 on CPU "
        f"({torch.get_num_threads()} threads)"
    )
    print(f"   raw PyTorch loop : {raw_s:6.2f} s  ({raw_s / batches * 1000:.0f} ms/batch)")
    print(f"   Lightning Trainer: {lightning_s:6.2f} s  (metrics, logging hooks and trainer setup included)")
    print(f"   ratio: Lightning / raw = {lightning_s / raw_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60, help="training batches timed in part 2")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed in part 1 (best kept)")
    args = parser.parse_args()
    L.seed_everything(0, verbose=False)
    datamodule = WorkoutDataModule(**DATA)
    datamodule.prepare_data()
    datamodule.setup("fit")
    print(f"data: {datamodule.describe_source()}  (torch {torch.__version__}, numpy {np.__version__})")
    bench_windowing(datamodule, args.repeats)
    bench_training(datamodule, args.batches)


if __name__ == "__main__":
    Path("data/sample").mkdir(parents=True, exist_ok=True)
    main()
