"""Self-training of the ridge head on unlabelled recordings (``task.self_training``): the per-person
protocol assignment, the rounds, the validation guard, the refusals, and a real run that reads
``data.unlabelled`` (the benchmark on held-out people: docs/pretraining.md)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.errors import ConfigError, DataFormatError, DataSplitError
from motionlab.runs.sources import load_task
from motionlab.tasks import ClassifyTask
from motionlab.tasks.common.group_standardization import group_means, standardized_by_group
from motionlab.tasks.common.ridge import ridge_classifier
from motionlab.tasks.common.self_training import (
    SelfTraining,
    UnlabelledPool,
    protocol_assignment,
    recording_class_shares,
    self_trained_ridge,
)
from motionlab.training.run import train
from tests.helpers import POSE_TINY
from tests.tasks.test_group_standardization import COMMON, ROCKET

CLASSES = ["a", "b", "c"]
ALPHAS = (0.1, 1.0, 10.0, 100.0)


def recordings_of(seed: int, people: int, windows: int = 8, noise: float = 2.0, dim: int = 20):
    """Features of ``people`` people who each record every class twice, ``windows`` windows per
    recording around the class's mean: ``(features, labels, recording codes, each recording's person)``."""
    generator = torch.Generator().manual_seed(seed)
    means = torch.randn(len(CLASSES), dim, generator=torch.Generator().manual_seed(99))
    features, labels, recording, person = [], [], [], []
    for p in range(people):
        for c in range(len(CLASSES)):
            for _ in range(2):
                features.append(means[c] + noise * torch.randn(windows, dim, generator=generator))
                labels += [c] * windows
                recording += [len(person)] * windows
                person.append(p)
    return torch.cat(features), torch.tensor(labels), torch.tensor(recording), torch.tensor(person)


def test_each_person_s_recordings_are_spread_over_the_classes_as_the_labelled_people_s():
    """Argmax would call all three of person 0's recordings class 0; the protocol (one recording of each
    class per person) assigns them at the least cost instead. A one-recording person keeps its argmax."""
    probabilities = np.array(
        [[0.5, 0.4, 0.1], [0.6, 0.1, 0.3], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]  # person 0 ×3, person 1
    )
    assigned = protocol_assignment(probabilities, np.array([0, 0, 0, 1]), np.full(3, 1 / 3))
    assert assigned.tolist() == [1, 2, 0, 2]
    one_each = protocol_assignment(probabilities, np.array([0, 1, 2, 3]), np.full(3, 1 / 3))
    assert one_each.tolist() == probabilities.argmax(1).tolist() == [0, 0, 0, 2]


def test_class_shares_count_recordings_and_refuse_a_recording_of_several_classes():
    recording = torch.tensor([0, 0, 1, 1, 1, 2, 3])
    shares = recording_class_shares(recording, torch.tensor([0, 0, 1, 1, 1, 1, 2]), CLASSES)
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25])  # per recording, however many windows
    with pytest.raises(
        ConfigError, match=r"1 labelled training recording\(s\) hold windows of several classes .*'b', 'c'"
    ):
        recording_class_shares(recording, torch.tensor([0, 0, 1, 1, 2, 1, 2]), CLASSES)


def test_each_recording_s_mean_probability_averages_its_windows():
    probabilities = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.2, 0.8]])
    means = group_means(probabilities, torch.tensor([1, 1, 0]), 2)
    torch.testing.assert_close(means, torch.tensor([[0.2, 0.8], [0.5, 0.5]]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_self_training_on_other_people_s_recordings_lifts_validation_accuracy(seed):
    """One labelled person with two windows per recording; six unlabelled people. The pseudo-labels of
    every unlabelled recording come out right, and the refitted head scores well above the
    labelled-only one on the validation people."""
    labelled = recordings_of(seed, 1, windows=2)
    val_x, val_y, _, _ = recordings_of(100 + seed, 2)
    pool_x, pool_y, pool_recording, pool_person = recordings_of(200 + seed, 6)
    pool = UnlabelledPool(pool_x, pool_recording, pool_person)
    shares = recording_class_shares(labelled[2], labelled[1], CLASSES)
    fit, report = self_trained_ridge(
        labelled[:2], (val_x, val_y), pool, 3, ALPHAS, shares, SelfTraining(rounds=3)
    )
    start = report["labelled_only"]["val_accuracy"]
    assert report["kept"] and fit.val_accuracy == report["rounds"][-1]["val_accuracy"]
    assert fit.val_accuracy >= start + 0.08 and fit.val_accuracy >= 0.88
    assert report["unlabelled"] == {"recordings": 36, "windows": 288, "groups": 6}
    assert report["rounds"][0]["changed_recordings"] == 36
    assert report["rounds"][-1]["recordings_per_class"] == [12, 12, 12]
    truth = torch.zeros(36, dtype=torch.long).index_put_((pool_recording,), pool_y)
    mean = group_means((pool_x @ fit.weight + fit.bias).softmax(-1), pool_recording, 36)
    assert torch.equal(mean.argmax(1), truth)


def test_the_guard_keeps_the_labelled_only_head_when_self_training_loses_on_validation():
    """Unlabelled recordings that all look like class 0, but the protocol spreads them over the three
    classes: the refit learns wrong labels and loses on validation, so the labelled-only fit stays;
    without the guard the self-trained one is returned."""
    labelled = recordings_of(0, 1)
    val_x, val_y, _, _ = recordings_of(100, 2)
    pool_x, _, pool_recording, pool_person = recordings_of(200, 6)
    class_0 = recordings_of(200, 6)[0][:16].mean(0)
    pool = UnlabelledPool(0.2 * (pool_x - pool_x.mean(0)) + class_0, pool_recording, pool_person)
    shares = recording_class_shares(labelled[2], labelled[1], CLASSES)
    only = ridge_classifier(*labelled[:2], 3, ALPHAS, val_x, val_y)
    fit, report = self_trained_ridge(
        labelled[:2], (val_x, val_y), pool, 3, ALPHAS, shares, SelfTraining(rounds=2)
    )
    assert not report["kept"] and report["rounds"][-1]["val_accuracy"] < only.val_accuracy
    assert torch.equal(fit.weight, only.weight) and fit.alpha == only.alpha
    unguarded, _ = self_trained_ridge(
        labelled[:2], (val_x, val_y), pool, 3, ALPHAS, shares, SelfTraining(rounds=2, guard=False)
    )
    assert unguarded.val_accuracy == report["rounds"][-1]["val_accuracy"] < only.val_accuracy


def test_settings_are_checked():
    with pytest.raises(ConfigError, match=r"task\.self_training\.assignment: unknown assignment 'class'"):
        SelfTraining(rounds=1, assignment="class")
    with pytest.raises(ConfigError, match=r"task\.self_training\.rounds: is -1"):
        SelfTraining(rounds=-1)
    with pytest.raises(
        ConfigError, match=r"task\.self_training\.rounds: is 2 without a head fitted in closed form"
    ):
        ClassifyTask(ROCKET, **COMMON, self_training={"rounds": 2})


def write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def split_sample(make_config, tmp_path: Path, one_activity_each: bool = True):
    """The built-in pose sample (its videos cut into one recording per activity) as a labelled CSV (one
    training person, the validation and test people) and an unlabelled one (the other training people,
    label column dropped), with the first split's people fixed, and the overrides of a rocket + ridge
    run over it."""
    overrides = [o for o in POSE_TINY if not o.startswith(("model.", "model=", "task.hidden"))]
    overrides += ["model=rocket", "model.num_features=336", "logger=none", "task.hidden=[]"]
    overrides += ["task.head_fit=ridge", "task.train_after_fit=false"]
    cfg = make_config(*overrides, tiny=False)
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    groups = {split: datamodule.report.splits[split].groups for split in ("train", "val", "test")}
    rows: list[dict[str, str]] = []
    for path in sorted(Path(datamodule.sample_path()).rglob("*.csv")):
        with path.open() as handle:
            rows += list(csv.DictReader(handle))
    if one_activity_each:  # self-training gives a recording one class: cut each video per activity
        rows = [{**r, "video": f"{r['video']}-{r['label']}"} for r in rows]
    fields = list(rows[0])
    unlabelled_people = groups["train"][1:]  # the first stays labelled
    unlabelled = [
        {k: v for k, v in r.items() if k != "label"} for r in rows if r["subject"] in unlabelled_people
    ]
    paths = {
        "labelled": write_csv(
            tmp_path / "labelled.csv", fields, [r for r in rows if r["subject"] not in unlabelled_people]
        ),
        "unlabelled": write_csv(tmp_path / "unlabelled.csv", [f for f in fields if f != "label"], unlabelled),
        "held_out": write_csv(
            tmp_path / "held_out.csv", fields, [r for r in rows if r["subject"] in groups["test"]]
        ),
    }
    fixed = [f"data.split.val=[{','.join(groups['val'])}]", f"data.split.test=[{','.join(groups['test'])}]"]
    return overrides + fixed + [f"data.path={paths['labelled']}"], paths, unlabelled_people


def test_a_run_self_trains_on_the_unlabelled_csv(make_config, tmp_path: Path, caplog):
    """A real run reads data.unlabelled (its label column ignored), self-trains the per-person ridge
    head on it, and reports the rounds; the head is the one `self_trained_ridge` gives on the run's
    own features, and the run's test accuracy is that head's."""
    overrides, paths, unlabelled_people = split_sample(make_config, tmp_path)
    cfg = make_config(
        *overrides,
        f"data.unlabelled={paths['unlabelled']}",
        "task.standardize_per_group=true",
        "task.self_training.rounds=2",
        "task.self_training.guard=false",
        tiny=False,
    )
    with caplog.at_level(logging.INFO, logger="motionlab.training.run"):
        train(cfg)
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed"
    report = summary["details"]["head_fit"]["self_training"]
    assert (
        f"self-trained on {report['unlabelled']['recordings']} unlabelled recording(s) of "
        f"{len(unlabelled_people)} group(s)" in caplog.text
    )
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    unlabelled = datamodule.unlabelled
    assert report["unlabelled"] == {
        "recordings": len(unlabelled.recordings),
        "windows": len(unlabelled),
        "groups": len(unlabelled_people),
    }
    assert datamodule.report.extras["unlabelled"]["windows"] == len(unlabelled)
    assert {r.meta["subject"] for r in unlabelled.recordings} == set(unlabelled_people)
    assert len(report["rounds"]) == 2 and report["kept"]
    assert summary["details"]["head_fit"]["val_accuracy"] == report["rounds"][-1]["val_accuracy"]
    assert summary["details"]["head_fit"]["windows"] == summary["data"]["train"]["windows"]
    assert sum(report["rounds"][-1]["recordings_per_class"]) == len(unlabelled.recordings)

    # the head by hand: each person's features standardised by their own statistics (the unlabelled
    # people's too), the labelled recordings' class shares, two rounds over the unlabelled recordings
    task = load_task(summary["best_checkpoint"], cfg.task._target_).eval()

    def inputs(windows):
        people = np.array(datamodule.recording_groups(windows.recordings))[windows.recording_index.numpy()]
        with torch.no_grad():
            pooled = task.pooled_features(windows.gather(torch.arange(len(windows)))["x"])
        return standardized_by_group(pooled, torch.from_numpy(np.unique(people, return_inverse=True)[1]))

    train_windows, val_windows = datamodule.windows["train"], datamodule.windows["val"]
    train_labels = train_windows.window_targets["label"]
    unlabelled_people_codes = np.unique(
        datamodule.recording_groups(unlabelled.recordings), return_inverse=True
    )[1]
    fit, _ = self_trained_ridge(
        (inputs(train_windows), train_labels),
        (inputs(val_windows), val_windows.window_targets["label"]),
        UnlabelledPool(
            inputs(unlabelled), unlabelled.recording_index, torch.from_numpy(unlabelled_people_codes)
        ),
        task.spec.num_classes,
        task.ridge_alphas,
        recording_class_shares(train_windows.recording_index, train_labels, task.spec.class_names),
        SelfTraining(rounds=2, guard=False),
    )
    torch.testing.assert_close(task.head[-1].weight, fit.weight.T)
    assert summary["details"]["head_fit"]["alpha"] == fit.alpha


def test_unlabelled_recordings_no_task_learns_from_are_reported_unused(make_config, tmp_path: Path, caplog):
    overrides, paths, _ = split_sample(make_config, tmp_path)
    cfg = make_config(*overrides, f"data.unlabelled={paths['unlabelled']}", tiny=False)
    with caplog.at_level(logging.WARNING, logger="motionlab.training.run"):
        train(cfg)
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed" and "self_training" not in summary["details"]["head_fit"]
    assert "unlabelled recording(s) of data.unlabelled go unused" in caplog.text


def test_unlabelled_recordings_of_held_out_people_are_refused(make_config, tmp_path: Path):
    overrides, paths, _ = split_sample(make_config, tmp_path)
    cfg = make_config(*overrides, f"data.unlabelled={paths['held_out']}", tiny=False)
    datamodule = instantiate(cfg.data, _convert_="all")
    with pytest.raises(
        DataSplitError,
        match=r"held_out\.csv \(recording '.*'\): this unlabelled recording belongs to subject '.*' of "
        r"the test split.*data\.unlabelled",
    ):
        datamodule.setup("fit")


def test_self_training_without_unlabelled_recordings_is_refused(make_config, tmp_path: Path):
    overrides, _, _ = split_sample(make_config, tmp_path)
    cfg = make_config(*overrides, "task.self_training.rounds=1", tiny=False)
    with pytest.raises(ConfigError, match=r"no unlabelled recordings to learn from.*data\.unlabelled"):
        train(cfg)


def test_labelled_recordings_of_several_activities_are_refused(make_config, tmp_path: Path):
    """The sample's videos each hold several activities: one class per unlabelled recording would be
    wrong, and the labelled recordings show it."""
    overrides, paths, _ = split_sample(make_config, tmp_path, one_activity_each=False)
    cfg = make_config(
        *overrides, f"data.unlabelled={paths['unlabelled']}", "task.self_training.rounds=1", tiny=False
    )
    with pytest.raises(
        ConfigError, match=r"labelled training recording\(s\) hold windows of several classes"
    ):
        train(cfg)


def test_an_unlabelled_csv_without_a_feature_column_names_the_file_and_column(make_config, tmp_path: Path):
    overrides, paths, _ = split_sample(make_config, tmp_path)
    with paths["unlabelled"].open() as handle:
        rows = list(csv.DictReader(handle))
    feature = next(f for f in rows[0] if f not in ("video", "subject", "frame"))
    fields = [f for f in rows[0] if f != feature]
    broken = write_csv(tmp_path / "broken.csv", fields, [{f: r[f] for f in fields} for r in rows])
    datamodule = instantiate(
        make_config(*overrides, f"data.unlabelled={broken}", tiny=False).data, _convert_="all"
    )
    with pytest.raises(DataFormatError, match=rf"broken\.csv.*{feature}"):
        datamodule.setup("fit")
