"""Task figures: built with matplotlib's object API (no global pyplot state, safe in any thread)."""

from __future__ import annotations

from collections.abc import Sequence

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


def reliability_figure(
    bin_confidence: np.ndarray,
    bin_outcome: np.ndarray,
    bin_count: np.ndarray,
    ece: float,
    title: str = "",
    outcome_label: str = "observed accuracy",
) -> Figure:
    """Reliability diagram: mean outcome per confidence bin against the diagonal of perfect
    calibration, with the share of samples per bin below."""
    counts = np.asarray(bin_count, dtype=np.float64)
    num_bins = len(counts)
    edges = np.linspace(0, 1, num_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    filled = counts > 0
    figure = Figure(figsize=(5, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
    top.bar(
        centres[filled],
        np.asarray(bin_outcome)[filled],
        width=1 / num_bins,
        alpha=0.7,
        edgecolor="black",
        label=outcome_label,
    )
    top.plot(
        np.asarray(bin_confidence)[filled],
        np.asarray(bin_outcome)[filled],
        "ro-",
        ms=3,
        lw=1,
        label="mean confidence",
    )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel(outcome_label)
    top.set_title(f"{title}  ECE {ece:.3f}".strip())
    top.legend(loc="upper left", fontsize=7)
    bottom.bar(centres, counts / max(counts.sum(), 1), width=1 / num_bins, color="grey", edgecolor="black")
    bottom.set_xlabel("predicted confidence")
    bottom.set_ylabel("share")
    figure.tight_layout()
    return figure
