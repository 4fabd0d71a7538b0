"""torch.compile of the encoder on CPU: what the compile costs and what a training step gains.

    python bench/bench_compile.py [--steps 30] [--threads 1] [--backend inductor]

The workout TCN (seed 004 size: 128 filters, 8 blocks) in `WorkoutTask`, trained on fixed-shape
batches of 64 windows of 30 × 25 (a real training batch of the built-in sample, repeated). For eager
and compiled (``task.encoder.compile()``, as ``compile.enabled=true`` does in `train`) the table shows
the first step (the compile happens there), the mean of the later steps, and the step count after
which the compiled model has caught up with eager, compile included.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

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
    "split": {"by": "subject"},
}
ENCODER = {"_target_": "motionlab.models.encoders.TCNEncoder"}  # seed 004 defaults: 128 filters, 8 blocks


def step_times(
    datamodule: WorkoutDataModule, batch: dict, steps: int, compile_options: dict | None
) -> list[float]:
    """Seconds of each training step (forward, losses, backward, AdamW step)."""
    torch.manual_seed(0)
    task = WorkoutTask(
        ENCODER,
        datamodule.spec.to_dict(),
        {"name": "adamw", "lr": 5e-4},
        None,
        {"metric": "val/loss", "mode": "min"},
    )
    task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
    if compile_options is not None:
        task.encoder.compile(**compile_options)
    task.train()
    optimizer = torch.optim.AdamW(task.parameters(), lr=5e-4)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        task.compute_losses(task(batch["x"]), batch)["loss"].backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="training steps per setting")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--backend", default="inductor", help="torch.compile backend")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    datamodule = WorkoutDataModule(**DATA)
    datamodule.prepare_data()
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    eager = step_times(datamodule, batch, args.steps, None)
    compiled = step_times(datamodule, batch, args.steps, {"backend": args.backend})
    print(
        f"workout TCN, batch 64x30x25, {args.steps} training steps, "
        f"torch {torch.__version__}, {args.threads} thread(s)"
    )
    print(f"{'':>22} | {'first step s':>12} | {'later steps ms':>14}")
    for name, times in (("eager", eager), (f"compiled ({args.backend})", compiled)):
        print(f"{name:>22} | {times[0]:>12.2f} | {sum(times[1:]) / (len(times) - 1) * 1000:>14.1f}")
    eager_ms = sum(eager[1:]) / (len(eager) - 1)
    compiled_ms = sum(compiled[1:]) / (len(compiled) - 1)
    gain = eager_ms - compiled_ms
    extra = compiled[0] - eager[0]
    print(f"steady-state ratio eager / compiled: {eager_ms / compiled_ms:.2f}")
    if gain > 0:
        print(f"compile paid back after {math.ceil(extra / gain)} steps")
    else:
        print("compiled steps are not faster here: the compile never pays back")


if __name__ == "__main__":
    Path("data/sample").mkdir(parents=True, exist_ok=True)
    main()
