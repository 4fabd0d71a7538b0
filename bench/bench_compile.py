"""torch.compile of the encoder on CPU: what the compile costs and what a training step gains.

    python -m bench.bench_compile [--steps 30] [--threads 1] [--backend inductor]

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

import torch

from bench.workout_setup import fresh_workout_task, workout_datamodule
from motionlab.data.workout.datamodule import WorkoutDataModule


def step_times(
    datamodule: WorkoutDataModule, batch: dict, steps: int, compile_options: dict | None
) -> list[float]:
    """Seconds of each training step (forward, losses, backward, AdamW step)."""
    task = fresh_workout_task(datamodule)
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
    datamodule = workout_datamodule()
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
    main()
