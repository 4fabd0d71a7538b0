"""Results per evaluated group (person, session) on hand-made window scores with known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from motionlab.tasks.common.group_results import ORDER, group_results, group_table_text

CLASSES = ["lift", "push", "row"]
# Twelve windows of five recordings, in split order; recording 4 changes label midway (two
# labelled segments). Recording 5 ("p4") has no window.
SCORES = np.array(
    [
        [0.6, 0.3, 0.1],  # rec 0 (p2, lift): windows lift, lift, push; mean → lift (right)
        [0.6, 0.3, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.8, 0.1],  # rec 1 (p1, push): both right
        [0.1, 0.8, 0.1],
        [0.5, 0.1, 0.4],  # rec 2 (p2, row): lift, row; mean [0.3, 0.1, 0.6] → row (right)
        [0.1, 0.1, 0.8],
        [0.1, 0.9, 0.0],  # rec 3 (p3, lift): push, push; mean → push: every answer wrong
        [0.2, 0.5, 0.3],
        [0.2, 0.7, 0.1],  # rec 4 (p1): push (right), then row: push (wrong), row; mean → row (right)
        [0.3, 0.4, 0.3],
        [0.1, 0.2, 0.7],
    ]
)
LABELS = np.array([0, 0, 0, 1, 1, 2, 2, 0, 0, 1, 2, 2])
RECORDING = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4])
RECORDING_GROUPS = ["p2", "p1", "p2", "p3", "p1", "p4"]


def test_each_group_scores_its_own_windows_and_recordings_worst_first():
    section = group_results(SCORES, LABELS, RECORDING, RECORDING_GROUPS, CLASSES)
    assert section["order"] == ORDER
    table = {row["group"]: row for row in section["table"]}
    assert [row["group"] for row in section["table"]] == ["p3", "p2", "p1"]  # p4 has no window
    assert table["p1"] == {
        "group": "p1",
        "windows": 5,
        "accuracy": pytest.approx(0.8),
        # push: precision 3/4, recall 1 → 6/7; row: precision 1, recall 1/2 → 2/3; lift occurs nowhere
        "macro_f1": pytest.approx((6 / 7 + 2 / 3) / 2),
        "recordings": 3,  # recording 1 and recording 4's two labelled segments
        "recording_accuracy": 1.0,
    }
    # p2: lift F1 2/3, push predicted once and never true (F1 0, counted), row F1 2/3
    assert (table["p2"]["windows"], table["p2"]["accuracy"]) == (5, pytest.approx(0.6))
    assert table["p2"]["macro_f1"] == pytest.approx(4 / 9)
    assert (table["p2"]["recordings"], table["p2"]["recording_accuracy"]) == (2, 1.0)
    assert table["p3"] == {
        "group": "p3",
        "windows": 2,
        "accuracy": 0.0,
        "macro_f1": 0.0,
        "recordings": 1,
        "recording_accuracy": 0.0,
    }
    assert section["summary"] == {
        "groups": 3,
        "worst": {"group": "p3", "accuracy": 0.0, "recording_accuracy": 0.0},
        "accuracy": {"mean": pytest.approx(1.4 / 3), "min": 0.0, "max": pytest.approx(0.8)},
        "recording_accuracy": {"mean": pytest.approx(2 / 3), "min": 0.0, "max": 1.0},
    }


def test_one_group_is_the_whole_evaluation_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        section = group_results(SCORES, LABELS, RECORDING, ["only"] * 6, CLASSES)
    (row,) = section["table"]
    assert (row["windows"], row["accuracy"]) == (12, pytest.approx(7 / 12))
    assert (row["recordings"], row["recording_accuracy"]) == (6, pytest.approx(5 / 6))
    assert section["summary"]["worst"]["group"] == "only"
    assert section["summary"]["accuracy"] == {
        "mean": row["accuracy"],
        "min": row["accuracy"],
        "max": row["accuracy"],
    }


def test_ties_go_by_name_and_the_printed_table_lists_the_worst_first():
    # 25 recordings, one group each ("g00" ... "g24"), one window each: every 2nd window wrong
    labels = np.zeros(25, dtype=np.int64)
    scores = np.tile([[0.9, 0.1, 0.0]], (25, 1))
    scores[::2] = [0.1, 0.9, 0.0]
    names = [f"g{i:02d}" for i in range(25)]
    section = group_results(scores, labels, np.arange(25), names, CLASSES)
    order = [row["group"] for row in section["table"]]
    assert order == names[::2] + names[1::2]
    text = group_table_text(section, "report.json")
    lines = text.splitlines()
    assert lines[0] == "per group (25), worst first:"
    assert [line.split()[0] for line in lines[2:12]] == order[:10]
    assert lines[12] == "... and 15 more groups in report.json"
    assert lines[13].startswith("worst group g00: window accuracy 0.000; over groups mean 0.480")
    # up to 20 groups are listed in full
    small = group_results(scores[:20], labels[:20], np.arange(20), names[:20], CLASSES)
    assert len(group_table_text(small, "report.json").splitlines()) == 2 + 20 + 1
