"""Per-person (per split group) standardisation of a fixed encoder's features under a ridge head
(``task.standardize_per_group``): the statistics, the run that fits and evaluates with them, the
prediction files, and the exported model that takes a person's calibration as inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data.windows import GROUP_INDEX
from motionlab.errors import ConfigError
from motionlab.evaluation.predictions import predict_windows
from motionlab.runs.sources import load_task
from motionlab.tasks import ClassifyTask
from motionlab.tasks.common.group_standardization import MIN_STD, group_moments, standardized_by_group
from motionlab.tasks.common.ridge import ridge_classifier
from motionlab.training.run import train
from tests.helpers import POSE_TINY

SPEC = {"feature_names": ["a", "b"], "window": 20, "fps": 10.0, "class_names": ["x", "y"]}
ROCKET = {"_target_": "motionlab.models.encoders.RocketEncoder", "num_features": 168, "receptive_field": 20}
COMMON = {
    "data_spec": SPEC,
    "optimizer": {"name": "adam", "lr": 1e-3},
    "scheduler": None,
    "monitor": {"metric": "val/loss", "mode": "min"},
}


def test_each_group_is_standardised_by_its_own_mean_and_spread():
    generator = torch.Generator().manual_seed(0)
    groups = torch.tensor([0, 2, 2, 0, 2, 0, 0, 2])  # group 1 has no rows
    features = torch.randn(8, 3, generator=generator) * torch.tensor([1.0, 5.0, 0.0]) + 3.0
    mean, std = group_moments(features, groups, 3)
    for group in (0, 2):
        rows = features[groups == group].numpy()
        np.testing.assert_allclose(mean[group].numpy(), rows.mean(0), rtol=1e-6)
        np.testing.assert_allclose(std[group, :2].numpy(), rows.std(0)[:2], rtol=1e-5)
    # a feature constant within a group is divided by the floor, not by zero; an empty group is neutral
    assert torch.all(std[:, 2][[0, 2]] == MIN_STD)
    assert torch.equal(mean[1], torch.zeros(3)) and torch.equal(std[1], torch.ones(3))
    standardized = standardized_by_group(features, groups)
    for group in (0, 2):
        rows = standardized[groups == group]
        torch.testing.assert_close(rows[:, :2].mean(0), torch.zeros(2), atol=1e-5, rtol=0)
        torch.testing.assert_close(rows[:, :2].std(0, correction=0), torch.ones(2), atol=1e-5, rtol=0)
        assert torch.equal(rows[:, 2], torch.zeros(len(rows)))


def test_it_needs_fixed_features_and_a_ridge_head():
    for settings in ({}, {"head_fit": "ridge", "hidden": []}):  # no ridge head; features that still train
        with pytest.raises(
            ConfigError, match=r"task\.standardize_per_group: true with head_fit=.*model=rocket"
        ):
            ClassifyTask(ROCKET, **COMMON, standardize_per_group=True, **settings)
    task = ClassifyTask(
        ROCKET, **COMMON, hidden=[], head_fit="ridge", train_after_fit=False, standardize_per_group=True
    )
    assert task.calibration_inputs == ("calibration_mean", "calibration_std")
    assert {"calibration_mean", "calibration_std"} <= set(task.state_dict())


def test_groups_of_one_class_each_are_refused():
    """Split by recording with one activity per recording: centring each group would remove its class."""
    task = ClassifyTask(
        ROCKET, **COMMON, hidden=[], head_fit="ridge", train_after_fit=False, standardize_per_group=True
    )
    task.normalizer.set_stats(torch.zeros(2), torch.ones(2))
    generator = torch.Generator().manual_seed(0)
    labels = torch.tensor([0, 0, 1, 1, 0, 0, 1, 1])
    train = {"x": torch.randn(8, 20, 2, generator=generator), "label": labels}
    val = {**train, GROUP_INDEX: torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])}
    task.fit_encoder(train["x"])
    with pytest.raises(ConfigError, match=r"every training group .* one class only.*data\.columns\.subject"):
        task.fit_head({**train, GROUP_INDEX: torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])}, val)
    task.fit_head({**train, GROUP_INDEX: torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])}, val)
    assert task.eval_details["head_fit"]["groups"] == {"train": 2, "val": 2}


def calibrated_probs(task: ClassifyTask, x: torch.Tensor, groups: np.ndarray) -> torch.Tensor:
    """The per-person model by hand: pooled features, each person's own mean and spread, the head."""
    with torch.no_grad():
        pooled = task.pooled_features(x)
        people = torch.from_numpy(np.unique(groups, return_inverse=True)[1].reshape(-1))
        return task.head(standardized_by_group(pooled, people)).softmax(-1)


def test_a_run_fits_evaluates_and_predicts_per_person(make_config, tmp_path: Path):
    """A real pose-CSV run (people held out) with model=rocket, a ridge head and per-person
    standardisation: the head is the ridge fit on the training people's own standardised features, the
    run's validation and test accuracy are those of each evaluated person standardised by their own
    windows, and the prediction files agree (the exported model: tests/export/test_calibration_export.py)."""
    overrides = [o for o in POSE_TINY if not o.startswith(("model.", "model=", "task.hidden"))]
    cfg = make_config(
        *overrides,
        "model=rocket",
        "model.num_features=336",
        "logger=none",
        "task.hidden=[]",
        "task.head_fit=ridge",
        "task.train_after_fit=false",
        "task.standardize_per_group=true",
        tiny=False,
    )
    train(cfg)
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed"
    task = load_task(summary["best_checkpoint"], cfg.task._target_).eval()
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    split = {}
    for name, windows in datamodule.windows.items():
        batch = windows.gather(torch.arange(len(windows)))
        people = np.array(datamodule.recording_groups(windows.recordings))[windows.recording_index.numpy()]
        split[name] = (batch["x"], batch["label"], people)
    assert summary["details"]["head_fit"]["groups"] == {
        name: len(set(split[name][2])) for name in ("train", "val")
    }
    assert len(set(split["test"][2])) >= 1 and len(set(split["train"][2])) >= 2

    # the head: ridge on the training people's features, each person standardised by their own
    with torch.no_grad():
        pooled = {name: task.pooled_features(x) for name, (x, _, _) in split.items()}
    codes = {
        name: torch.from_numpy(np.unique(p, return_inverse=True)[1].reshape(-1))
        for name, (_, _, p) in split.items()
    }
    fit = ridge_classifier(
        standardized_by_group(pooled["train"], codes["train"]),
        split["train"][1],
        task.spec.num_classes,
        task.ridge_alphas,
        standardized_by_group(pooled["val"], codes["val"]),
        split["val"][1],
    )
    torch.testing.assert_close(task.head[-1].weight, fit.weight.T)
    assert summary["details"]["head_fit"]["alpha"] == fit.alpha

    # the run's evaluation: each held-out person by their own windows' statistics
    for stage, metrics in (("val", summary["history"][-1]), ("test", summary["test_metrics"])):
        x, labels, people = split[stage]
        probs = calibrated_probs(task, x, people)
        accuracy = (probs.argmax(1) == labels).double().mean().item()
        assert metrics[f"{stage}/acc"] == pytest.approx(accuracy, abs=1e-6)
    x, labels, people = split["test"]
    probs = calibrated_probs(task, x, people)
    outputs, _ = predict_windows(task, datamodule, datamodule.windows["test"], batch_size=7)
    torch.testing.assert_close(outputs["class_probs"], probs, atol=1e-5, rtol=0)
    assert list(outputs) == ["class_probs"]  # no column per window feature in the prediction files
    with torch.no_grad():
        uncalibrated = task.predict_outputs(x)["class_probs"]
        assert not torch.allclose(uncalibrated, probs, atol=1e-3)  # the calibration changes the answers
        torch.testing.assert_close(task.predict_outputs(x)["window_features"], pooled["test"])


def test_an_ensemble_of_per_person_models_is_refused():
    """An ensemble averages its members' outputs window by window; a per-person member needs each
    person's statistics first, which the average cannot give it."""
    from motionlab.ensemble.module import build_ensemble

    settings = {"hidden": [], "head_fit": "ridge", "train_after_fit": False}
    members = [ClassifyTask(ROCKET, **COMMON, **settings, standardize_per_group=True) for _ in range(2)]
    with pytest.raises(ConfigError, match=r"ensemble: member a standardises its features per person"):
        build_ensemble(members, [{"run_dir": "a"}, {"run_dir": "b"}])
    plain = [ClassifyTask(ROCKET, **COMMON, **settings) for _ in range(2)]
    assert build_ensemble(plain, [{"run_dir": "a"}, {"run_dir": "b"}]).members[1] is plain[1]
