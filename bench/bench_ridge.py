"""The closed-form ridge head's fit: one Cholesky factorisation per penalty against the one
eigendecomposition it replaced.

    python -m bench.bench_ridge [--quick]

`motionlab.tasks.common.ridge.ridge_classifier` fits ten penalties (``configs/task/classify.yaml``'s
``ridge_alphas``) on rocket-sized features and keeps the best on the validation windows. Until it
factorised ``Gram + αI`` once per penalty, it eigendecomposed the Gram matrix once and solved every
penalty from it. Both are timed here in process CPU, one thread, on random features of the shapes
``experiment=imu`` fits on the real sets (4,116 features: 2,688 of the recording, 1,428 of its first
difference; the training windows of `shoulder_exercises` and `smartphone_activities`), and their
weights compared.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from bench.table import Row, format_table
from motionlab.tasks.common.ridge import ridge_classifier

ALPHAS = (1.0e-3, 4.6e-3, 2.2e-2, 0.1, 0.46, 2.2, 10.0, 46.0, 220.0, 1000.0)
CLASSES = 6
SHAPES = {  # (windows, features): the Gram matrix is the smaller side squared
    "shoulder_exercises 4,344 windows × 4,116 features": (4344, 4116),
    "smartphone_activities 6,717 windows × 4,116 features": (6717, 4116),
}
QUICK_SHAPES = {"300 windows × 200 features": (300, 200)}


def eigen_ridge_weights(features: torch.Tensor, labels: torch.Tensor, alpha: float) -> torch.Tensor:
    """The replaced fit: one ``eigh`` of the smaller Gram matrix, every penalty solved from it (here
    the weights of ``alpha``, after the decomposition all penalties share)."""
    z = features.double()
    targets = 2.0 * F.one_hot(labels, CLASSES).double() - 1.0
    centred, centred_targets = z - z.mean(0), targets - targets.mean(0)
    primal = len(z) >= z.shape[1]
    eigenvalues, vectors = torch.linalg.eigh(centred.T @ centred if primal else centred @ centred.T)
    projected = vectors.T @ (centred.T @ centred_targets if primal else centred_targets)
    solved = vectors @ (projected / (eigenvalues.clamp(min=0) + alpha).unsqueeze(1))
    return solved if primal else centred.T @ solved


def cpu_seconds(function, *args) -> tuple[float, object]:
    started = time.process_time()
    result = function(*args)
    return time.process_time() - started, result


def rows(quick: bool = False) -> list[Row]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        table = []
        for name, (windows, width) in (QUICK_SHAPES if quick else SHAPES).items():
            generator = torch.Generator().manual_seed(0)
            labels = torch.randint(0, CLASSES, (windows,), generator=generator)
            features = torch.randn(windows, width, generator=generator) + labels[:, None] * 0.05
            val_labels = torch.randint(0, CLASSES, (500,), generator=generator)
            val = torch.randn(500, width, generator=generator) + val_labels[:, None] * 0.05
            cholesky_s, fit = cpu_seconds(
                ridge_classifier, features, labels, CLASSES, ALPHAS, val, val_labels
            )
            eigen_s, weight = cpu_seconds(eigen_ridge_weights, features, labels, fit.alpha)
            difference = (fit.weight.double() - weight).abs().max().item() / weight.abs().max().item()
            note = f"{len(ALPHAS)} penalties, 1 thread; weights differ by {difference:.1e} (relative)"
            table += [
                Row(f"ridge head {name}: Cholesky per penalty", cholesky_s, "s (CPU)", note),
                Row(f"ridge head {name}: one eigendecomposition", eigen_s, "s (CPU)", note),
                Row(
                    f"ridge head {name}: speed-up", eigen_s / cholesky_s, "x", "eigendecomposition ÷ Cholesky"
                ),
            ]
        return table
    finally:
        torch.set_num_threads(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a toy size: checks the benchmark runs")
    print(format_table(rows(parser.parse_args().quick), "closed-form ridge head"))


if __name__ == "__main__":
    main()
