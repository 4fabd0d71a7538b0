"""Recording-level results: window scores aggregated per labelled segment (mean probability and
majority vote), on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlab.tasks.common.classification_metrics import (
    WindowScores,
    labelled_segments,
    recording_confusions,
    recording_predictions,
    recording_report,
)

CLASSES = ["sit", "stand", "walk"]
# Six windows of three recordings (group ids 7, 2 and 5; labels 0, 1 and 2).
SCORES = np.array(
    [
        [0.45, 0.55, 0.0],  # group 7: two windows vote 'stand', one is sure of 'sit':
        [0.45, 0.55, 0.0],  #   mean [0.633, 0.367, 0] → 'sit' (right), vote 2:1 → 'stand' (wrong)
        [1.0, 0.0, 0.0],
        [0.2, 0.3, 0.5],  # group 2: votes tie 1:1 between 'stand' and 'walk';
        [0.1, 0.6, 0.3],  #   mean [0.15, 0.45, 0.4] → 'stand', and the tie goes to it too
        [0.9, 0.05, 0.05],  # group 5 ('walk'): 'sit' either way
    ]
)
GROUPS = np.array([7, 7, 7, 2, 2, 5])
LABELS = np.array([0, 0, 0, 1, 1, 2])


def test_mean_probability_and_majority_vote_per_recording():
    result = recording_predictions(SCORES, GROUPS, LABELS)
    assert result.groups.tolist() == [2, 5, 7]
    np.testing.assert_allclose(
        result.scores, [[0.15, 0.45, 0.4], [0.9, 0.05, 0.05], [1.9 / 3, 1.1 / 3, 0.0]], atol=1e-12
    )
    assert result.votes.tolist() == [[0, 1, 1], [1, 0, 0], [1, 2, 0]]
    assert result.labels.tolist() == [1, 2, 0] and result.windows.tolist() == [2, 1, 3]
    assert result.predicted.tolist() == [1, 0, 0]
    assert result.voted.tolist() == [1, 0, 1]


def test_recording_report_numbers():
    report = recording_report(
        *recording_confusions(recording_predictions(SCORES, GROUPS, LABELS), 3), CLASSES
    )
    assert report["recordings"] == 3
    assert report["accuracy"] == pytest.approx(2 / 3)
    # per class F1: sit 2/3 (precision 1/2, recall 1), stand 1, walk 0
    assert report["macro_f1"] == pytest.approx(5 / 9)
    # votes [stand, sit, stand] against [stand, walk, sit]: only 'stand' scores, F1 2/3
    assert report["majority_vote"] == {"accuracy": pytest.approx(1 / 3), "macro_f1": pytest.approx(2 / 9)}
    assert report["confusion_matrix"]["counts"] == [[1, 0, 0], [0, 1, 0], [1, 0, 0]]
    assert report["per_class"]["walk"]["support"] == 1 and report["majority_baseline"]["accuracy"] == 1 / 3


def test_segments_are_runs_of_one_recording_and_label():
    recording = np.array([0, 0, 0, 1, 1, 1, 1])
    labels = np.array([2, 2, 1, 1, 1, 2, 1])
    assert labelled_segments(recording, labels).tolist() == [0, 0, 1, 2, 2, 3, 4]


def test_a_group_with_two_labels_is_refused():
    with pytest.raises(ValueError, match="group 7 holds windows of different labels"):
        recording_predictions(SCORES, GROUPS, np.array([0, 1, 0, 1, 1, 2]))
    with pytest.raises(ValueError, match="same windows"):
        recording_predictions(SCORES[:5], GROUPS, LABELS)


def test_window_scores_come_back_in_split_order_whatever_the_batch_order():
    """Batches arrive in any order (a distributed sampler deals windows out by process); the collected
    windows come back sorted by their position in the split."""
    metric = WindowScores()
    order = [torch.tensor([4, 1, 5]), torch.tensor([0, 3, 2])]
    for window in order:
        metric.update(torch.as_tensor(SCORES[window]), torch.as_tensor(LABELS[window]), window, window // 3)
    windows = metric.compute()
    assert windows["window"].tolist() == [0, 1, 2, 3, 4, 5]
    assert windows["recording"].tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(windows["scores"], SCORES.astype(np.float32))
    assert windows["label"].tolist() == LABELS.tolist()
