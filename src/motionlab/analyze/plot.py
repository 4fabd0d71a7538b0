"""A PNG of one video's per-frame predictions: pose seen, class probabilities, and reps or form."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlab.analyze.results import GAIT, VideoAnalysis
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.pose.extractor import PoseSequence


def plot_analysis(
    path: str | Path, analysis: VideoAnalysis, pose: PoseSequence, model: OnnxMotionModel
) -> Path:
    """Write the figure of ``analysis`` to ``path`` (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    predictions = analysis.predictions
    summary = analysis.summary
    gait = summary["task"] == GAIT
    fig, axes = plt.subplots(3, 1, figsize=(11, 7), sharex=True, constrained_layout=True)
    video_time = np.arange(len(pose.landmarks)) / pose.fps
    visibility = (
        np.nanmean(pose.landmarks[..., 3], axis=1) if pose.detected.any() else np.zeros(len(video_time))
    )
    axes[0].fill_between(
        video_time, 0, pose.detected.astype(float), step="mid", alpha=0.25, label="pose found"
    )
    axes[0].plot(video_time, np.nan_to_num(visibility), label="mean landmark visibility")
    axes[0].set(ylim=(0, 1.05), ylabel="pose")
    axes[0].legend(loc="lower right", fontsize=8)
    time = np.arange(len(predictions.covered)) / predictions.fps
    names = model.metadata.get("phase_names", model.class_names) if gait else model.class_names
    probs = predictions.outputs.get("phase_probs" if gait else "exercise_probs")
    if probs is not None:
        axes[1].stackplot(time, np.nan_to_num(probs).T, labels=names, alpha=0.85)
        axes[1].legend(loc="upper right", fontsize=8, ncol=len(names))
    axes[1].set(ylim=(0, 1), ylabel="phase" if gait else "exercise")
    if gait:
        if "form_score" in predictions.outputs:
            axes[2].plot(time, predictions.outputs["form_score"], label="form score (0-10)")
            axes[2].plot(time, 10 * predictions.outputs["confidence"], label="confidence × 10", alpha=0.7)
        steps = summary["gait"].get("step_times_s", [])
        axes[2].vlines(steps, 0, 10, colors="k", linewidth=0.6, alpha=0.4, label="initial contacts")
        axes[2].set(ylim=(0, 10.5), ylabel="form")
    else:
        if "rep_start_prob" in predictions.outputs:
            axes[2].plot(time, predictions.outputs["rep_start_prob"], label="rep-start probability")
        axes[2].axhline(
            float(model.metadata.get("rep_threshold", 0.5)), color="grey", linestyle="--", linewidth=0.8
        )
        axes[2].vlines(
            summary["workout"]["rep_times_s"], 0, 1, colors="k", linewidth=0.8, label="counted reps"
        )
        axes[2].set(ylim=(0, 1.05), ylabel="reps")
    axes[2].legend(loc="upper right", fontsize=8)
    axes[2].set_xlabel("time (s)")
    confidence = summary["confidence"]
    fig.suptitle(f"{summary.get('video', '')} — confidence {confidence['level']} ({confidence['score']:.0%})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
