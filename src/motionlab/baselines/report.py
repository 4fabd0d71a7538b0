"""The MiniRocket baseline of a run: fitted on the run's training windows, scored on its test windows
and recordings exactly as the model is, for ``evaluation_report.json``'s ``baselines`` section."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from motionlab.baselines.minirocket import aeon_missing, fit_minirocket, score_minirocket
from motionlab.data.windows import WindowSet
from motionlab.tasks.common.classification_metrics import (
    classification_report,
    confusion_matrix,
    labelled_segments,
    recording_confusions,
    recording_predictions,
    recording_report,
)
from motionlab.tasks.common.group_results import group_results

# Test windows gathered (raw frames) at once for scoring.
GATHER_BLOCK = 8192


def minirocket_baseline(
    train: WindowSet,
    test: WindowSet,
    class_target: str,
    class_names: Sequence[str],
    settings: Mapping[str, Any],
    seed: int,
    test_groups: Sequence[str],
) -> dict[str, Any]:
    """MiniRocket's window and recording accuracy and macro-F1 on ``test`` after fitting on ``train``
    (at most ``settings["max_train_windows"]`` of them, a random subset beyond; ``n_kernels``,
    ``n_jobs``), with its fit time; ``{"skipped": note}`` when aeon is not installed or the training
    windows cannot be fitted. ``total_seconds`` is everything it added to the run (wall): importing
    aeon, compiling, fitting and scoring. ``groups`` holds its results per group of the test
    recordings (``test_groups``: each one's split group; `group_results`), which
    `compare_groups` moves beside the model's."""
    started = time.perf_counter()
    missing = aeon_missing()
    if missing is not None:
        return {"skipped": missing}
    chosen = training_subset(len(train), settings.get("max_train_windows"), seed)
    try:
        model = fit_minirocket(
            train.gather(chosen)["x"].numpy(),
            train.window_targets[class_target][chosen].numpy(),
            len(class_names),
            seed=seed,
            n_kernels=settings["n_kernels"],
            n_jobs=settings["n_jobs"],
        )
    except ValueError as error:  # e.g. a single class among the training windows
        return {"skipped": f"no MiniRocket baseline: {error}"}
    scores = np.concatenate(
        [
            score_minirocket(model, test.gather(block)["x"].numpy())
            for block in torch.arange(len(test)).split(GATHER_BLOCK)
        ]
    )
    labels = test.window_targets[class_target].numpy()
    num_classes = len(class_names)
    windows = classification_report(confusion_matrix(labels, scores.argmax(axis=1), num_classes), class_names)
    segments = labelled_segments(test.recording_index.numpy(), labels)
    recordings = recording_report(
        *recording_confusions(recording_predictions(scores, segments, labels), num_classes), class_names
    )
    return {
        "accuracy": windows["accuracy"],
        "macro_f1": windows["macro_f1"],
        "windows": windows["windows"],
        "recording_accuracy": recordings["accuracy"],
        "recording_macro_f1": recordings["macro_f1"],
        "recording_majority_vote": recordings["majority_vote"],
        "recordings": recordings["recordings"],
        "groups": group_results(scores, labels, test.recording_index.numpy(), test_groups, class_names),
        "fit_seconds": model.fit_seconds,
        "fit_cpu_seconds": model.fit_cpu_seconds,
        "compile_seconds": model.compile_seconds,
        "total_seconds": time.perf_counter() - started,
        "train_windows": model.windows,
        "train_windows_total": len(train),
        "n_kernels": settings["n_kernels"],
    }


def compare_groups(groups: dict[str, Any], baselines: Mapping[str, dict[str, Any]]) -> None:
    """Put each baseline's results per group beside the model's, in place: every row of the model's
    ``groups`` section gets ``baselines: {<name>: {accuracy, recording_accuracy}}`` from the
    baseline's own table; the baseline's ``groups`` keeps only its summary."""
    for name, baseline in baselines.items():
        if "groups" not in baseline:
            continue
        theirs = {row["group"]: row for row in baseline["groups"]["table"]}
        baseline["groups"] = baseline["groups"]["summary"]
        for row in groups["table"]:
            if row["group"] in theirs:
                results = {key: theirs[row["group"]][key] for key in ("accuracy", "recording_accuracy")}
                row.setdefault("baselines", {})[name] = results


def training_subset(total: int, cap: int | None, seed: int) -> torch.Tensor:
    """Indices of the training windows to fit on: all of them, or ``cap`` drawn at random (in order)."""
    if not cap or total <= cap:
        return torch.arange(total)
    chosen = np.sort(np.random.default_rng(seed).choice(total, size=cap, replace=False))
    return torch.from_numpy(chosen)


def summary_line(baseline: Mapping[str, Any], model: Mapping[str, Any]) -> str:
    """One line comparing the baseline with the model's ``evaluation_report`` (and their fit times, when
    the report has the run's)."""
    if "skipped" in baseline:
        return f"MiniRocket baseline skipped: {baseline['skipped']}"
    line = (
        f"MiniRocket baseline: window accuracy {baseline['accuracy']:.3f} (model {model['accuracy']:.3f}), "
        f"macro-F1 {baseline['macro_f1']:.3f} (model {model['macro_f1']:.3f})"
    )
    if "recording" in model:
        line += (
            f", recording accuracy {baseline['recording_accuracy']:.3f} "
            f"(model {model['recording']['accuracy']:.3f})"
        )
    line = (
        f"{line}; fit {baseline['fit_seconds']:.1f} s ({baseline['fit_cpu_seconds']:.1f} s CPU) on "
        f"{baseline['train_windows']} of {baseline['train_windows_total']} training windows"
    )
    if "fit_cpu_seconds" in model:
        line += f" (model {model['fit_seconds']:.1f} s, {model['fit_cpu_seconds']:.1f} s CPU)"
    return line
