"""The AWD Go-BDX recipe (``experiment=reference_awd``) against standing still, over seeds.

    python -m bench.bench_reference_awd                 # seeds 1 2 3, the recipe's epochs
    python -m bench.bench_reference_awd --seeds 1 --epochs 2

Each seed is a real ``train(cfg)`` of the recipe on the shipped clips (datasets/awd_go_bdx: trained
on the slow and fast clips, tested on held-out medium ones, whole 10 s clips rolled out closed
loop). A row per seed and one for the mean give the test rollout error as a ratio to the best
policy that needs no training (hold the first pose, the mean pose or the start velocity); the
recipe's bar is a mean <= 0.65 x.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np

from bench.table import Row, format_table

REPO = Path(__file__).resolve().parents[1]
SEEDS = (1, 2, 3)
BAR = 0.65


def run_seed(out: Path, seed: int, epochs: int | None) -> dict[str, float]:
    """Train one seed; its test metrics."""
    from motionlab.files import read_json
    from motionlab.runs.layout import SUMMARY
    from motionlab.sweep.compose import run_config
    from motionlab.training.run import train

    run_dir = out / f"seed_{seed}"
    overrides = [
        "experiment=reference_awd",
        f"seed={seed}",
        "trainer=cpu",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "logger=none",
        f"paths.root_dir={REPO}",
        f"paths.log_dir={out}",
    ]
    if epochs is not None:
        overrides.append(f"trainer.max_epochs={epochs}")
    train(run_config(REPO / "configs", overrides, run_dir))
    return read_json(run_dir / SUMMARY)["test_metrics"]


def rows(quick: bool = False, seeds: tuple[int, ...] = SEEDS, epochs: int | None = None) -> list[Row]:
    """Test rollout error / best constant-policy error per seed, and their mean."""
    if quick:
        seeds, epochs = seeds[:1], 1
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        results = [run_seed(Path(tmp), seed, epochs) for seed in seeds]
    ratios = [m["test/rollout_ratio"] for m in results]
    table = [
        Row(
            f"reference_awd seed {seed}: test rollout error vs best constant policy",
            ratio,
            "x",
            f"{m['test/rollout_error']:.4f} rad vs hold-first {m['test/baseline/hold_first']:.4f}, "
            f"mean pose {m['test/baseline/mean_pose']:.4f}",
        )
        for seed, ratio, m in zip(seeds, ratios, results, strict=True)
    ]
    table.append(
        Row(
            "reference_awd: mean test rollout ratio",
            float(np.mean(ratios)),
            "x",
            f"seeds {list(seeds)}, range {min(ratios):.3f}-{max(ratios):.3f}, bar <= {BAR}",
        )
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's max_epochs")
    args = parser.parse_args()
    print(format_table(rows(seeds=tuple(args.seeds), epochs=args.epochs)))


if __name__ == "__main__":
    main()
