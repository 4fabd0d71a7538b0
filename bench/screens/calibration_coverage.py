"""Screen (issue 19): how much of a new person's motion does per-person standardisation need?

A per-person model (``task.standardize_per_group=true``, e.g. ``experiment=imu_per_person``) standardises
each held-out person's features by the mean and spread of that person's own windows; the run and
`bench.bench_pretrain` take them over *every* test window of the person. An app has only what a user
has recorded so far. Per completed run given (a run directory of such a model, e.g. under
`bench.bench_pretrain --keep`), per test person, this computes the statistics from part of the
person's recordings and scores every window of the person with them:

- ``recordings k``: k of the person's recordings drawn at random (10 draws);
- ``activities m``: every recording of m of the person's activities drawn at random (10 draws);
- ``one of each``: one recording of each activity the person has (10 draws);
- ``all``: every recording (what the run reports); ``none``: the model's defaults (no calibration).

    .venv/bin/python -m bench.screens.calibration_coverage <run dir> [<run dir> ...]

Builds nothing and trains nothing: the runs' best checkpoints and their test windows only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from motionlab.runs.layout import BEST_CHECKPOINT, checkpoint_path
from motionlab.runs.sources import load_task
from motionlab.tasks.common.group_standardization import MIN_STD

DRAWS = 10


def person_accuracies(run_dir: Path, seed: int = 0) -> dict[str, list[float]]:
    """Per calibration (`module docstring`), one test-window accuracy per person and draw."""
    cfg = OmegaConf.load(run_dir / "config.yaml")
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    task = load_task(checkpoint_path(run_dir, BEST_CHECKPOINT), cfg.task._target_).eval()
    windows = datamodule.windows["test"]
    batch = windows.gather(torch.arange(len(windows)))
    labels = batch["label"]
    with torch.no_grad():
        features = torch.cat([task.pooled_features(chunk) for chunk in batch["x"].split(256)])
    recording = windows.recording_index.numpy()
    people = np.array(datamodule.recording_groups(windows.recordings))
    activity = np.array(
        [np.bincount(labels[recording == r].numpy()).argmax() for r in range(len(windows.recordings))]
    )

    def accuracy(scored: np.ndarray, calibration: np.ndarray | None) -> float:
        rows = torch.from_numpy(scored)
        if calibration is None:
            mean, std = task.calibration_mean, task.calibration_std
        else:
            own = features[torch.from_numpy(np.isin(recording, calibration))]
            mean, std = own.mean(0), own.std(0, correction=0).clamp_min(MIN_STD)
        with torch.no_grad():
            predicted = task.head((features[rows] - mean) / std).argmax(1)
        return (predicted == labels[rows]).double().mean().item()

    rng = np.random.default_rng(seed)
    results: dict[str, list[float]] = {}
    for person in np.unique(people):
        recordings = np.flatnonzero(people == person)
        scored = np.isin(recording, recordings)
        for name in calibrations(len(np.unique(activity[recordings])), len(recordings)):
            draws = [draw(name, recordings, activity[recordings], rng) for _ in range(DRAWS)]
            results.setdefault(name, []).extend(accuracy(scored, chosen) for chosen in draws)
        results.setdefault("all", []).append(accuracy(scored, recordings))
        results.setdefault("none", []).append(accuracy(scored, None))
    return results


def calibrations(activities: int, recordings: int) -> list[str]:
    """The partial calibrations drawn for a person with ``activities`` activities in ``recordings``
    recordings."""
    return [
        *(f"recordings {k}" for k in (1, 2, 4, 7) if k < recordings),
        *(f"activities {m}" for m in (1, 2, 4) if m < activities),
        "one of each",
    ]


def draw(name: str, recordings: np.ndarray, activities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random draw of calibration ``name``'s recordings among a person's ``recordings`` (whose
    activities are ``activities``)."""
    kind, _, count = name.rpartition(" ")
    classes = np.unique(activities)
    if kind == "recordings":
        return rng.choice(recordings, int(count), replace=False)
    if kind == "activities":
        return recordings[np.isin(activities, rng.choice(classes, int(count), replace=False))]
    return np.array([rng.choice(recordings[activities == c]) for c in classes])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    everything: dict[str, list[float]] = {}
    for run_dir in args.runs:
        for name, values in person_accuracies(run_dir).items():
            everything.setdefault(name, []).extend(values)
            print(f"{run_dir}: {name}: mean {np.mean(values):.3f}", flush=True)
    print("\n| calibration from | window accuracy, mean over people and draws | lowest |\n|---|---|---|")
    for name, values in everything.items():
        print(f"| {name} | {np.mean(values):.3f} | {np.min(values):.3f} |")


if __name__ == "__main__":
    main()
