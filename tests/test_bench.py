"""The benchmark suite's runner and table (bench/): real benchmark code at toy size, no timing asserts."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
from bench.__main__ import SUITE, run_suite
from bench.table import Row, format_table


def test_table_aligns_columns_and_marks_missing_values():
    rows = [Row("a", 1234.5, "windows/s", "note"), Row("longer name", 0.5, "x"), Row("c", math.nan, "MB")]
    lines = format_table(rows, "title").splitlines()
    assert lines[0] == "## title"
    table = lines[2:]
    assert len(table) == 2 + len(rows) and len({len(line) for line in table}) == 1
    assert "1,234" in table[2] and "0.50" in table[3] and "n/a" in table[4]


def test_runner_collects_rows_and_printed_tables_into_one_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the foundation benchmark generates its sample under ./data
    plugin = tmp_path / "bench_printing.py"
    plugin.write_text(
        textwrap.dedent(
            """
            def main():
                print("| compile | 1.3 | x |")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "results.json"
    rows, report = run_suite(["bench.bench_foundation", "bench_printing"], quick=True, out=out)
    names = [row.name for row in rows]
    assert "training: Lightning / raw PyTorch loop" in names
    assert "windowing: speed-up over per-window dataset" in names
    assert all(math.isfinite(row.value) and row.value > 0 for row in rows)
    saved = json.loads(out.read_text())
    assert [r["name"] for r in saved["rows"]] == names and set(saved["seconds"]) == {
        "bench.bench_foundation",
        "bench_printing",
    }
    assert all(name in report for name in names) and "| compile | 1.3 | x |" in report
    assert {b.module for b in SUITE if not b.slow} >= {"bench.bench_foundation", "bench.bench_large_data"}


def test_real_data_scores_aggregate_window_probabilities_per_recording():
    import numpy as np
    from bench.bench_real_data import scores

    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.45, 0.55], [0.2, 0.8], [0.7, 0.3]])
    labels = np.array([0, 0, 0, 1, 1])
    recordings = np.array([0, 0, 0, 1, 1])
    result = scores(probs, labels, recordings)
    # windows: 0 right, 1 wrong, 2 wrong, 3 right, 4 wrong → 2/5; recording 0's mean prob favours class 0
    # (0.583 vs 0.417), recording 1's class 1 (0.55 vs 0.45) → both right
    assert result["window accuracy"] == 0.4
    assert result["recording accuracy"] == 1.0 and result["recording macro-F1"] == 1.0
    assert abs(result["window macro-F1"] - 0.4) < 1e-9


def test_real_data_benchmark_runs_every_method_on_identical_windows():
    """Quick mode (one seed, two epochs) on the real smartwatch set: a row per method and measure,
    accuracies in [0, 1] (MiniRocket's above chance even at this size), CPU seconds measured."""
    pytest.importorskip("aeon", reason="the real data sets and MiniRocket need the 'classical' extra")
    from bench.bench_real_data import METHODS, rows

    table = {row.name: row for row in rows(quick=True, sets=["basic_motions"])}
    for method in METHODS:
        for measure in ("window accuracy", "recording accuracy", "window macro-F1", "recording macro-F1"):
            assert 0.0 <= table[f"real basic_motions: {method} {measure}"].value <= 1.0
        assert table[f"real basic_motions: {method} fit seconds"].value > 0
    # the run's fitting phase is part of the whole run, which is measured too
    run_seconds = table["real basic_motions: motionlab run seconds"].value
    assert 0 < table["real basic_motions: motionlab fit seconds"].value < run_seconds
    assert table["real basic_motions: minirocket window accuracy"].value > 0.5


def test_every_experiment_composes_on_data_the_project_has(tmp_path, monkeypatch):
    """`make bench` runs every recipe: the real-data ones on their real set, the fine-tuning one from
    scratch; none is left with a mandatory value missing or without data to read."""
    from bench import bench_experiments
    from omegaconf import OmegaConf

    from motionlab.sweep.compose import run_config

    monkeypatch.setattr(bench_experiments, "REAL_DATA", tmp_path / "real")
    for experiment in bench_experiments.EXPERIMENTS:
        overrides = bench_experiments.recipe_overrides(experiment)
        cfg = run_config(bench_experiments.CONFIG_DIR, overrides, tmp_path / experiment)
        assert not OmegaConf.missing_keys(cfg), (experiment, OmegaConf.missing_keys(cfg))
        path = cfg.data.get("path")  # None: the built-in sample; else shipped or converted real data
        assert path is None or (bench_experiments.REPO / path).exists(), (experiment, path)
    assert "init_from=null" in bench_experiments.recipe_overrides("pose_finetune")


def test_pretrain_benchmark_draws_labelled_groups_per_class_from_training_recordings_only():
    """Without a subject column a group is one training recording per class; a quarter is rounded
    down, so the 25 % cell never labels more than a quarter of a class (7 per class: 1, not 2)."""
    from bench.bench_pretrain import labelled_recordings

    for per_split, quarter in ((8, 2), (7, 1)):
        rows = [
            {"recording": f"{split}{c}{i}", "label": c, "split": split}
            for split, count in (("train", per_split), ("val", 2), ("test", 3))
            for c in "ab"
            for i in range(count)
        ]
        for fraction, per_class in (("1 group", 1), ("2 groups", 2), ("25 %", quarter), ("100 %", per_split)):
            chosen = labelled_recordings(rows, fraction, seed=1)
            assert all(name.startswith("train") for name in chosen)
            assert sorted(name[5] for name in chosen) == ["a"] * per_class + ["b"] * per_class
    assert labelled_recordings(rows, "2 groups", 1) != labelled_recordings(rows, "2 groups", 2)


def test_pretrain_benchmark_draws_whole_training_people_where_the_set_names_them():
    """With a subject column a group is a person: every recording of the drawn training people and
    none of anyone else's; validation and test people are never drawn; 25 % of 5 people is 1."""
    from bench.bench_pretrain import labelled_recordings

    split_of = {f"p{n}": "train" if n <= 5 else "val" if n <= 7 else "test" for n in range(1, 11)}
    rows = [
        {"recording": f"{person}_{arm}_{c}", "label": c, "split": split, "subject": person}
        for person, split in split_of.items()
        for arm in ("left", "right")
        for c in "abc"
    ]
    people_of = {row["recording"]: row["subject"] for row in rows}
    for fraction, count in (("1 group", 1), ("2 groups", 2), ("25 %", 1), ("100 %", 5)):
        draws = [labelled_recordings(rows, fraction, seed) for seed in (1, 2, 3)]
        for chosen in draws:
            people = {people_of[name] for name in chosen}
            assert len(people) == count and all(split_of[person] == "train" for person in people)
            assert chosen == {row["recording"] for row in rows if row["subject"] in people}
        assert count == 5 or len({frozenset(chosen) for chosen in draws}) > 1  # the seed draws


def test_pretrain_benchmark_reuses_only_a_completed_pretraining_run_of_the_same_overrides(
    tmp_path, monkeypatch
):
    """--keep: a completed pretraining run of the same overrides and seed is reused, not retrained; an
    unfinished one, another seed or other overrides train their own."""
    import json

    from bench import bench_pretrain

    trained = []

    def train(overrides, seed, run_dir):
        trained.append(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "summary.json").write_text(json.dumps({"status": "completed"}))

    monkeypatch.setattr(bench_pretrain, "train_quietly", train)
    first = bench_pretrain.pretraining_run(["a=1"], 1, tmp_path)
    assert bench_pretrain.pretraining_run(["a=1"], 1, tmp_path) == first and trained == [first]
    (first / "summary.json").write_text(json.dumps({"status": "failed"}))
    others = {bench_pretrain.pretraining_run(o, s, tmp_path) for o, s in ((["a=2"], 1), (["a=1"], 2))}
    assert len(others | {first}) == 3
    assert bench_pretrain.pretraining_run(["a=1"], 1, tmp_path) == first  # the failed one: trained again
    assert trained[-1] == first and len(trained) == 4
    assert first.parent == tmp_path and first.name.startswith("pretrain_seed1_")


def test_pretrain_benchmark_fine_tunes_the_recipe_each_pretext_recipe_builds_on():
    """--pretext picks <kind>_pretrain_<pretext>; scratch and fine-tuning train that recipe's base, so
    the encoder they build is the one pretrained."""
    from bench.bench_pretrain import finetune_recipe, pretrain_recipe

    assert pretrain_recipe("imu") == "imu_pretrain" and finetune_recipe("imu_pretrain") == "imu_tcn"
    assert pretrain_recipe("imu", "transforms") == "imu_pretrain_transforms"
    assert finetune_recipe("imu_pretrain_transforms") == "imu_tcn"
    assert finetune_recipe(pretrain_recipe("landmarks")) == "landmarks_tcn"


def test_pretrain_benchmark_runs_every_method_on_one_real_set():
    """Quick mode (BasicMotions, one seed, the smallest fraction, one epoch, a small TCN): pretraining,
    scratch, fine-tuning, the set's recipe and MiniRocket all run and score the held-out recordings;
    the per-person recipe and its self-training do not run where the set names no people (a group is a
    recording)."""
    pytest.importorskip("aeon", reason="the real data sets and MiniRocket need the 'classical' extra")
    from bench.bench_pretrain import METHODS, rows

    table = {row.name: row.value for row in rows(quick=True)}
    measured = [method for method in METHODS if method not in ("calibrated", "selftrained")]
    assert len(table) == 2 * len(measured)
    for method in measured:
        for measure in ("window accuracy", "recording accuracy"):
            assert 0.0 <= table[f"real basic_motions 1 group: {method} {measure}"] <= 1.0


def test_calibration_coverage_draws_part_of_one_person_s_recordings():
    """The screen's partial calibrations: k of the person's recordings, every recording of m of their
    activities, or one recording of each activity; never another person's, never more than asked."""
    import numpy as np
    from bench.screens.calibration_coverage import calibrations, draw

    recordings = np.arange(20, 34)  # one person's 14 recordings: 7 activities × both arms
    activities = np.repeat(np.arange(7), 2)
    assert calibrations(7, 14) == [
        "recordings 1",
        "recordings 2",
        "recordings 4",
        "recordings 7",
        "activities 1",
        "activities 2",
        "activities 4",
        "one of each",
    ]
    assert calibrations(2, 3) == ["recordings 1", "recordings 2", "activities 1", "one of each"]
    rng = np.random.default_rng(0)
    for _ in range(5):
        chosen = draw("recordings 4", recordings, activities, rng)
        assert len(set(chosen)) == 4 and set(chosen) <= set(recordings)
        chosen = draw("activities 2", recordings, activities, rng)
        assert len(chosen) == 4 and len(set(activities[chosen - 20])) == 2
        chosen = draw("one of each", recordings, activities, rng)
        assert sorted(activities[chosen - 20]) == list(range(7))
