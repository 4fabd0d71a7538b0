"""Every experiment recipe (configs/experiment/*.yaml) on CPU: training throughput, peak memory and
exported-model latency (ONNX Runtime vs PyTorch eager).

    python -m bench.bench_experiments                          # every experiment
    python -m bench.bench_experiments --experiments workout_tcn --steps 20

Each experiment runs in a child process of its own (so its peak memory is its own): a real
``train(cfg)`` on the recipe's data and model (``trainer=cpu``, one epoch limited to
``warmup + steps`` training batches and 2 validation batches, no test), timing the training batches
after the warm-up ones (data loading, augmentation, forward, backward, optimiser step: windows/s);
then the run is exported with the real export pipeline (``configs/export.yaml``: verified on the
test split, no int8) and its latency table (`motionlab.export.benchmark`) gives ONNX Runtime fp32
and PyTorch eager medians at batch 1 and 64 on one thread. Last, every export runs in one headless
Chromium (`bench.browser`: onnxruntime-web wasm, one thread, batch 1) over 8 windows of test
frames. The built-in samples are generated on first use into data/sample (the gait sample extracts
poses from videos: slower the first time). A recipe for real data (``experiment=imu``,
``landmarks``), or one that extends it (``imu_per_person``), runs on the first real set of its kind
(that names its people, for a recipe that names a subject column), converted on demand into data/real
(`motionlab.datasets`); a recipe that must start from another run (``init_from: ???``, e.g.
``pose_finetune``) starts from scratch, which trains and exports the same network.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import browser
from bench.table import Row, format_table, peak_memory_mb

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "configs"
REAL_DATA = REPO / "data" / "real"
EXPERIMENTS = sorted(path.stem for path in (CONFIG_DIR / "experiment").glob("*.yaml"))
BATCH_SIZES = (1, 64)
CASE_WINDOWS = 8  # windows of test frames the browser runs, each BROWSER_REPEAT times
BROWSER_REPEAT = 10


def recipe_overrides(experiment: str) -> list[str]:
    """The overrides that run ``experiment`` on data the project has (see the module docstring)."""
    from motionlab.datasets.registry import real_datasets

    recipe = yaml.safe_load((CONFIG_DIR / "experiment" / f"{experiment}.yaml").read_text()) or {}
    extends = (recipe.get("defaults") or [None])[0]
    needs_people = bool(recipe.get("data", {}).get("columns", {}).get("subject"))
    for kind in (experiment, extends):  # a set's recipe, or a recipe that extends one, on the set
        for dataset in real_datasets().values():
            names_people = any(o.startswith("data.columns.subject=") for o in dataset.overrides)
            if dataset.kind == kind and (names_people or not needs_people):
                return [f"experiment={experiment}", *dataset.train_overrides(dataset.ensure(REAL_DATA))[1:]]
    return [f"experiment={experiment}", *(["init_from=null"] if recipe.get("init_from") == "???" else [])]


def measure(experiment: str, out: Path, warmup: int, steps: int, iterations: int) -> dict:
    """Run in the child process: train, then export and time the exported model."""
    import lightning as L

    from motionlab.export.case import write_case
    from motionlab.export.pipeline import export_model
    from motionlab.runs.sources import run_source
    from motionlab.sweep.compose import compose_config, run_config
    from motionlab.training.run import train

    class StepTimer(L.Callback):
        def __init__(self) -> None:
            self.marks: list[tuple[float, int]] = []

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
            self.marks.append((time.perf_counter(), len(batch["x"])))

    run_dir = out / experiment
    cfg = run_config(
        CONFIG_DIR,
        [
            *recipe_overrides(experiment),
            "trainer=cpu",
            "trainer.max_epochs=1",
            f"++trainer.limit_train_batches={warmup + steps}",
            "++trainer.limit_val_batches=2",
            "trainer.enable_progress_bar=false",
            "trainer.enable_model_summary=false",
            "test=false",
            "logger=none",
            f"paths.log_dir={out}",
        ],
        run_dir,
    )
    timer = StepTimer()
    train(cfg, extra_callbacks=[timer])
    memory = peak_memory_mb()
    timed = timer.marks[warmup - 1 :]
    windows_per_s = sum(n for _, n in timed[1:]) / (timed[-1][0] - timed[0][0])

    export_cfg = compose_config(
        CONFIG_DIR,
        "export",
        [
            f"export.output_dir={run_dir / 'export'}",
            "quantize.enabled=false",
            "verify.windows=64",
            f"benchmark.batch_sizes=[{','.join(map(str, BATCH_SIZES))}]",
            "benchmark.threads=[1]",
            f"benchmark.iterations={iterations}",
        ],
    )
    result = export_model(run_source(run_dir), export_cfg)
    card = result.card
    latency = {f"{r['runtime']} {r['batch']}": r["median_ms"] for r in card["latency"]["rows"]}
    case = write_case(run_dir, result.model_path, result.model_path.with_name("case.json"), CASE_WINDOWS)
    return {
        "case": str(case),
        "windows_per_s": windows_per_s,
        "batch_size": int(cfg.data.batch_size),
        "timed_batches": len(timed) - 1,
        "peak_rss_mb": memory["VmHWM"],
        "latency_ms": latency,
    }


def run_child(experiment: str, out: Path, warmup: int, steps: int, iterations: int) -> dict:
    command = [sys.executable, "-m", "bench.bench_experiments", "--child", experiment, "--out", str(out)]
    command += ["--warmup", str(warmup), "--steps", str(steps), "--iterations", str(iterations)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{experiment}: benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(
    quick: bool = False,
    experiments: tuple[str, ...] = tuple(EXPERIMENTS),
    warmup: int = 3,
    steps: int = 10,
    iterations: int = 30,
) -> list[Row]:
    """Throughput, peak memory and latency rows per experiment (``quick``: workout_tcn, 2 steps)."""
    if quick:
        experiments, warmup, steps, iterations = ("workout_tcn",), 1, 2, 3
    table = []
    cases = {}
    with tempfile.TemporaryDirectory(prefix="motionlab-bench-") as tmp:
        for experiment in experiments:
            result = run_child(experiment, Path(tmp), warmup, steps, iterations)
            cases[experiment] = Path(result["case"])
            note = f"batch {result['batch_size']}, {result['timed_batches']} batches after {warmup} warm-up"
            table += [
                Row(f"{experiment}: training throughput (CPU)", result["windows_per_s"], "windows/s", note),
                Row(f"{experiment}: training peak RSS", result["peak_rss_mb"], "MB", "VmHWM, whole process"),
            ]
            for batch in BATCH_SIZES:
                onnx = result["latency_ms"][f"onnxruntime fp32 {batch}"]
                eager = result["latency_ms"][f"pytorch eager {batch}"]
                table.append(
                    Row(
                        f"{experiment}: ONNX Runtime speed-up over PyTorch, batch {batch}",
                        eager / onnx,
                        "x",
                        f"median {onnx:.2f} ms vs {eager:.2f} ms, 1 thread",
                    )
                )
        table += browser_rows(cases, 2 if quick else BROWSER_REPEAT)
    return table


def browser_rows(cases: dict[str, Path], repeat: int) -> list[Row]:
    """Per experiment: batch-1 latency per window in headless Chromium (onnxruntime-web wasm, 1 thread)."""
    if why := browser.missing():
        return [Row(f"{name}: browser wasm latency, batch 1", float("nan"), "ms", why) for name in cases]
    latency = browser.browser_latency(list(cases.values()), repeat)
    return [
        Row(
            f"{name}: browser wasm latency, batch 1",
            latency[path]["median_ms"],
            "ms",
            f"median of {CASE_WINDOWS} windows x {repeat} runs (p90 {latency[path]['p90_ms']:.1f}), headless "
            f"Chromium, onnxruntime-web {latency[path]['ort_web']}, 1 thread; "
            f"budget {browser.FRAME_BUDGET_MS:.1f} ms (30 fps)",
        )
        for name, path in cases.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiments", nargs="+", default=EXPERIMENTS, choices=EXPERIMENTS)
    parser.add_argument("--warmup", type=int, default=3, help="training batches before timing starts")
    parser.add_argument("--steps", type=int, default=10, help="training batches timed")
    parser.add_argument("--iterations", type=int, default=30, help="timed inference calls per latency row")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = measure(args.child, args.out, args.warmup, args.steps, args.iterations)
        print(json.dumps(result))
        return
    table = rows(
        experiments=tuple(args.experiments), warmup=args.warmup, steps=args.steps, iterations=args.iterations
    )
    print(format_table(table, "experiments"))


if __name__ == "__main__":
    main()
