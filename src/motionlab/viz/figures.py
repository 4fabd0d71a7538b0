"""Task figures: built with matplotlib's object API (no global pyplot state, safe in any thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure


def confusion_matrix_figure(matrix: np.ndarray, class_names: Sequence[str], title: str = "") -> Figure:
    """Row-normalised confusion matrix (true class per row) with the raw counts in each cell."""
    counts = np.asarray(matrix, dtype=np.int64)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.2 + 0.6 * len(class_names)
    figure = Figure(figsize=(size + 1.5, size))
    axes = figure.subplots()
    image = axes.imshow(rates, vmin=0, vmax=1, cmap="Blues")
    axes.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axes.set_yticks(range(len(class_names)), class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (row, col), count in np.ndenumerate(counts):
        colour = "white" if rates[row, col] > 0.5 else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=colour, fontsize=8)
    figure.colorbar(image, ax=axes, fraction=0.046, label="share of true class")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def rep_trace_figure(
    probability: np.ndarray,
    true_starts: np.ndarray,
    predicted_starts: np.ndarray,
    fps: float,
    threshold: float,
    title: str = "",
    seconds: float = 60.0,
) -> Figure:
    """Rep-start probability over the first ``seconds`` of a session, true and counted starts marked."""
    frames = min(len(probability), int(seconds * fps))
    t = np.arange(frames) / fps
    figure = Figure(figsize=(10, 3))
    axes = figure.subplots()
    axes.plot(t, probability[:frames], lw=1, label="rep-start probability")
    axes.axhline(threshold, color="grey", ls=":", lw=1, label=f"count threshold {threshold:.2f}")
    shown_true = true_starts[true_starts < frames]
    shown_pred = predicted_starts[predicted_starts < frames]
    axes.vlines(shown_true / fps, 0, 1, colors="green", lw=1, alpha=0.6, label="true start")
    axes.plot(shown_pred / fps, probability[shown_pred], "rv", ms=6, label="counted")
    axes.set_ylim(0, 1.05)
    axes.set_xlabel("seconds")
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize=7, ncol=4)
    figure.tight_layout()
    return figure


def trajectory_figure(
    sessions: Sequence[tuple[str, np.ndarray, np.ndarray]],
    feature_names: Sequence[str],
    groups: Mapping[str, Sequence[int]],
    fps: float,
    title: str = "",
) -> Figure:
    """Recorded vs predicted trajectories: one row per session, one column per feature group.

    ``sessions`` holds ``(name, recorded [T, F], predicted [T, F])``; predicted rows may be NaN (no
    prediction yet). Each panel shows the group's feature that moves most in that session.
    """
    figure = Figure(figsize=(3.2 * len(groups), 2.2 * max(len(sessions), 1)))
    axes = figure.subplots(max(len(sessions), 1), len(groups), squeeze=False)
    for row, (name, recorded, predicted) in enumerate(sessions):
        t = np.arange(len(recorded)) / fps
        for col, index in enumerate(groups.values()):
            feature = int(np.asarray(index)[np.argmax(recorded[:, index].std(axis=0))])
            panel = axes[row, col]
            panel.plot(t, recorded[:, feature], lw=1, color="black", label="recorded")
            panel.plot(t, predicted[:, feature], lw=1, ls="--", color="tab:red", label="forecast")
            panel.set_title(f"{name}: {feature_names[feature]}", fontsize=8)
            panel.tick_params(labelsize=7)
            if row == len(sessions) - 1:
                panel.set_xlabel("seconds", fontsize=8)
    axes[0, -1].legend(loc="upper right", fontsize=7)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    return figure


def rollout_figure(
    reference: np.ndarray,
    predicted: np.ndarray,
    joint_names: Sequence[str],
    fps: float,
    title: str = "",
    max_joints: int = 4,
) -> Figure:
    """A closed-loop rollout against its reference: the ``max_joints`` joints with the widest range of
    motion (reference dashed, rollout solid) and the mean absolute joint error at each step."""
    steps = np.arange(1, len(reference) + 1) / fps
    shown = np.argsort(np.ptp(reference, axis=0))[::-1][:max_joints]
    figure = Figure(figsize=(10, 5))
    joints_axes, error_axes = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    for i, column in enumerate(shown):
        colour = f"C{i}"
        joints_axes.plot(steps, reference[:, column], ls="--", color=colour, lw=1)
        joints_axes.plot(steps, predicted[:, column], color=colour, lw=1.2, label=joint_names[column])
    joints_axes.set_ylabel("joint value")
    joints_axes.legend(
        loc="upper right", fontsize=7, ncol=len(shown), title="solid: policy, dashed: reference"
    )
    error_axes.plot(steps, np.abs(predicted - reference).mean(axis=1), color="black", lw=1)
    error_axes.set_ylabel("mean |error|")
    error_axes.set_xlabel("seconds into the rollout")
    joints_axes.set_title(title)
    figure.tight_layout()
    return figure
