"""Large datasets: memory-mapped split stores (``data.memory_map=true``) against in-memory splits.

    python -m bench.bench_large_data                          # 1 M and 10 M frames
    python -m bench.bench_large_data --frames 1e6 2e7 --steps 400

For each size a workout dataset is written to a temporary directory: sessions of the built-in
synthetic generator (joint angles, per-frame labels, rep starts, dropped frames), tiled under fresh
subject ids with fresh sensor noise and stored uncompressed, so 10 M frames take seconds to write.
Then for each size and backing a child process of its own (so that the numbers are independent)
sets the workout datamodule up and draws ``--steps`` training batches from its DataLoader (sampler,
gather, collate — what the Trainer consumes; one torch thread, as in a DataLoader worker), and
reports:

- peak anonymous memory (``RssAnon``, sampled every few ms): the memory the process needs. Pages of
  a memory-mapped file are page cache, counted in RSS while mapped but dropped by the kernel under
  memory pressure, so peak RSS (``VmHWM``, also printed) overstates what a mapped run needs;
- training windows/s over the timed batches, and the setup time, wall and process CPU (read, split,
  statistics; with memory mapping also hashing the recordings, spooling them to disk as they are
  read and, the first time, copying each split's store out of the spool).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from bench.table import Row, format_table, peak_memory_mb
from motionlab.data.workout.format import WORKOUT_CLASSES, read_workout_dir, write_workout_session
from motionlab.data.workout.synthetic import generate_workout_dataset

REPO = Path(__file__).resolve().parents[1]
SESSIONS_PER_SUBJECT = 4
# The workout data config's engine settings (configs/data/workout.yaml), built-in sample replaced.
DATA = {
    "cache_dir": "unused",
    "sample": {},
    "classes": list(WORKOUT_CLASSES),
    "rep_half_width": 4.0,
    "positive_ratio": 0.2,
    "window": 30,
    "stride": 10,
    "eval_stride": 15,
    "split": {"by": "subject"},
    "num_workers": 0,
    "pin_memory": False,
}


def write_dataset(directory: Path, frames: int, seed: int = 0) -> int:
    """Workout sessions totalling at least ``frames`` frames; returns the number of frames written."""
    pool = read_workout_dir(generate_workout_dataset(directory / "pool", num_subjects=8, seed=seed)[0].parent)
    rng = np.random.default_rng(seed)
    written = 0
    index = 0
    while written < frames:
        session = pool[index % len(pool)]
        noise = rng.normal(0.0, 0.5, session.frames.shape).astype(np.float32)
        write_workout_session(
            directory / "sessions" / f"session{index:05d}.npz",
            session.frames + noise,
            np.asarray(WORKOUT_CLASSES)[session.targets["label"]],
            session.events["rep_starts"],
            subject=f"subject{index // SESSIONS_PER_SUBJECT:04d}",
            fps=session.fps,
            compress=False,
        )
        written += len(session)
        index += 1
    shutil.rmtree(directory / "pool")
    return written


class AnonymousPeak:
    """Samples ``RssAnon`` on a background thread and keeps the largest value (MB)."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> AnonymousPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, peak_memory_mb()["RssAnon"])

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, peak_memory_mb()["RssAnon"])
            time.sleep(self.interval)


def endless(loader: Iterable) -> Iterator:
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def measure(data: Path, memory_map: bool, stores: Path, steps: int, batch_size: int) -> dict[str, float]:
    """Run in the child process: set up, draw ``steps`` batches (after 5 warm-up ones), measure."""
    import torch

    from motionlab.data.workout.datamodule import WorkoutDataModule

    torch.manual_seed(0)
    torch.set_num_threads(1)  # the data path alone, as in a DataLoader worker (also fairer on a busy machine)
    baseline = peak_memory_mb()["RssAnon"]
    with AnonymousPeak() as peak:
        started, cpu_started = time.perf_counter(), time.process_time()
        datamodule = WorkoutDataModule(
            path=str(data),
            batch_size=batch_size,
            memory_map=memory_map,
            memory_map_dir=str(stores),
            **DATA,
        )
        datamodule.setup("fit")
        setup_s, setup_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
        after_setup = peak_memory_mb()["RssAnon"]
        batches = endless(datamodule.train_dataloader())
        for _ in range(5):
            next(batches)
        started = time.perf_counter()
        windows = sum(len(next(batches)["x"]) for _ in range(steps))
        loop_s = time.perf_counter() - started
    return {
        "frames": int(datamodule.report.splits["train"].frames),
        "setup_s": setup_s,
        "setup_cpu_s": setup_cpu_s,
        "windows_per_s": windows / loop_s,
        "anon_peak_mb": peak.peak - baseline,
        "anon_after_setup_mb": after_setup - baseline,
        "rss_peak_mb": peak_memory_mb()["VmHWM"],
    }


def run_child(data: Path, memory_map: bool, stores: Path, steps: int, batch_size: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.bench_large_data", "--child", str(data), "--stores", str(stores)]
    command += ["--steps", str(steps), "--batch-size", str(batch_size)] + (
        ["--memory-map"] if memory_map else []
    )
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(
    quick: bool = False, sizes: tuple[float, ...] = (1e6, 1e7), steps: int = 300, batch_size: int = 256
) -> list[Row]:
    """Per size: in-memory and memory-mapped peak anonymous memory and windows/s; the memory-mapped
    run twice (the first writes the stores, the second reuses them). ``quick``: 100 k and 200 k frames."""
    if quick:
        sizes, steps = (1e5, 2e5), 5
    results = []
    with tempfile.TemporaryDirectory(prefix="motionlab-large-") as tmp:
        for size in sizes:
            data = Path(tmp) / f"data-{int(size)}"
            started = time.perf_counter()
            frames = write_dataset(data, int(size))
            written_s = time.perf_counter() - started
            stores = data / "stores"
            in_memory = run_child(data / "sessions", False, stores, steps, batch_size)
            first = run_child(data / "sessions", True, stores, steps, batch_size)
            mapped = run_child(data / "sessions", True, stores, steps, batch_size)
            results.append((frames, written_s, in_memory, first, mapped))
            shutil.rmtree(data)
    table = []
    for frames, written_s, in_memory, first, mapped in results:
        label = f"{frames / 1e6:.1f}M frames"
        note = f"train split {mapped['frames'] / 1e6:.1f}M frames; batch {batch_size}, {steps} batches"
        table += [
            Row(f"large data {label}: in-memory peak memory", in_memory["anon_peak_mb"], "MB", "RssAnon"),
            Row(f"large data {label}: memory-mapped peak memory", mapped["anon_peak_mb"], "MB", "RssAnon"),
            Row(
                f"large data {label}: memory-mapped peak RSS",
                mapped["rss_peak_mb"],
                "MB",
                "VmHWM, mapped file pages included (page cache)",
            ),
            Row(f"large data {label}: in-memory throughput", in_memory["windows_per_s"], "windows/s", note),
            Row(f"large data {label}: memory-mapped throughput", mapped["windows_per_s"], "windows/s", note),
            Row(
                f"large data {label}: setup in-memory / mapped (stores written) / mapped (reused)",
                mapped["setup_s"],
                "s",
                f"{in_memory['setup_s']:.1f} s / {first['setup_s']:.1f} s / {mapped['setup_s']:.1f} s "
                f"(CPU {in_memory['setup_cpu_s']:.1f} / {first['setup_cpu_s']:.1f} / "
                f"{mapped['setup_cpu_s']:.1f} s); dataset written in {written_s:.0f} s",
            ),
        ]
    if len(results) > 1:
        small, _, small_memory, _, small_mapped = results[0]
        large, _, large_memory, _, large_mapped = results[-1]
        table.append(
            Row(
                "large data: memory-mapped peak memory, largest / smallest size",
                large_mapped["anon_peak_mb"] / small_mapped["anon_peak_mb"],
                "x",
                f"for {large / small:.0f}x the frames (in memory: "
                f"{large_memory['anon_peak_mb'] / small_memory['anon_peak_mb']:.1f}x)",
            )
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frames", type=float, nargs="+", default=[1e6, 1e7], help="dataset sizes, in frames"
    )
    parser.add_argument("--steps", type=int, default=300, help="batches timed per run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stores", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-map", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.memory_map, args.stores, args.steps, args.batch_size)))
        return
    table = rows(sizes=tuple(args.frames), steps=args.steps, batch_size=args.batch_size)
    print(format_table(table, "large datasets"))


if __name__ == "__main__":
    main()
