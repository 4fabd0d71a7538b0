"""A baseline's results per group beside the model's, on hand-made sections."""

from __future__ import annotations

from motionlab.baselines.report import compare_groups


def section(accuracies: dict[str, float]) -> dict:
    table = [
        {
            "group": name,
            "windows": 10,
            "accuracy": acc,
            "macro_f1": acc,
            "recordings": 2,
            "recording_accuracy": acc / 2,
        }
        for name, acc in sorted(accuracies.items(), key=lambda item: item[1])
    ]
    return {"order": "...", "table": table, "summary": {"groups": len(table), "worst": table[0]["group"]}}


def test_each_group_row_gets_the_baselines_numbers_and_the_baseline_keeps_its_summary():
    model = section({"p1": 0.9, "p2": 0.5})
    baselines = {
        "minirocket": {"accuracy": 0.7, "groups": section({"p2": 0.8, "p1": 0.6})},
        "other": {"skipped": "x"},
    }
    compare_groups(model, baselines)
    rows = {row["group"]: row for row in model["table"]}
    assert rows["p1"]["baselines"] == {"minirocket": {"accuracy": 0.6, "recording_accuracy": 0.3}}
    assert rows["p2"]["baselines"] == {"minirocket": {"accuracy": 0.8, "recording_accuracy": 0.4}}
    assert [row["group"] for row in model["table"]] == ["p2", "p1"]  # the model's order stays
    assert baselines["minirocket"]["groups"] == {"groups": 2, "worst": "p1"}
    assert baselines["other"] == {"skipped": "x"}
