"""K-fold cross-validation with real tiny runs: fold directories, cv_summary.json, resume, sweeps."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from motionlab.data import formats
from motionlab.errors import ConfigError
from motionlab.training.cross_validation import (
    derived_fold_config,
    train_or_cross_validate,
    with_fold_split,
)
from motionlab.training.resume import resume_command
from tests.helpers import compose_config
from tests.training.test_tensorboard import hparams_record, read_events
from tests.training.test_train import StopAt, read_summary

FAST = ["+trainer.limit_train_batches=3", "+trainer.limit_val_batches=2", "cv.folds=3"]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.slow
def test_interrupted_cross_validation_resumes_skipping_completed_folds_and_summarises_them(make_config):
    cfg = make_config(*FAST, "trainer.max_epochs=2")
    run_dir = Path(cfg.paths.output_dir)

    # 1. Ctrl-C during fold 0 (the extra callbacks join fold 0): its last.ckpt stays behind.
    with pytest.raises(SystemExit):
        train_or_cross_validate(cfg, [StopAt(4, KeyboardInterrupt())])
    assert read_json(run_dir / "cv_summary.json")["status"] == "interrupted"
    last = run_dir / "fold_0" / "checkpoints" / "last.ckpt"
    assert read_summary(run_dir / "fold_0")["status"] == "interrupted" and last.is_file()

    # 2. Resumed: fold 0 continues from its last.ckpt, fold 1 completes, Ctrl-C before fold 2 starts.
    def stop_before_fold_2(fold: int, directory: Path):
        if fold == 2:
            raise KeyboardInterrupt
        return derived_fold_config(cfg, fold, directory)

    with pytest.raises(KeyboardInterrupt):
        train_or_cross_validate(cfg, fold_config=stop_before_fold_2)
    fold_0 = read_summary(run_dir / "fold_0")
    assert fold_0["status"] == "completed" and [r["from"] for r in fold_0["resumes"]] == [str(last)]
    assert [row["epoch"] for row in fold_0["history"]] == [0, 1]
    interrupted = read_json(run_dir / "cv_summary.json")
    assert interrupted["status"] == "interrupted" and interrupted["completed_folds"] == 2

    # 3. Resumed again: completed folds are skipped (their files untouched), fold 2 trains.
    untouched = {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for fold in (0, 1)
        for path in [
            run_dir / f"fold_{fold}" / "summary.json",
            run_dir / f"fold_{fold}" / "checkpoints" / "best.ckpt",
        ]
    }
    value = train_or_cross_validate(cfg)
    assert all((p.read_bytes(), p.stat().st_mtime_ns) == before for p, before in untouched.items())

    cv = read_json(run_dir / "cv_summary.json")
    assert cv["status"] == "completed" and cv["completed_folds"] == 3 and len(cv["resumes"]) == 2
    summaries = [read_summary(run_dir / f"fold_{fold}") for fold in range(3)]
    best = np.array([s["best_score"] for s in summaries])
    assert math.isclose(value, best.mean(), rel_tol=1e-12)
    assert cv["metrics"]["val/loss"] == pytest.approx(
        {"mean": best.mean(), "std": best.std(ddof=1), "folds": 3}
    )
    for name in summaries[0]["test_metrics"]:
        values = np.array([s["test_metrics"][name] for s in summaries])
        assert cv["metrics"][name] == pytest.approx(
            {"mean": values.mean(), "std": values.std(ddof=1), "folds": 3}
        )
    for fold, (entry, summary) in enumerate(zip(cv["folds"], summaries, strict=True)):
        fold_dir = run_dir / f"fold_{fold}"
        assert entry["run_dir"] == str(fold_dir) and entry["best_checkpoint"] == summary["best_checkpoint"]
        assert Path(entry["best_checkpoint"]).is_file()
        config = OmegaConf.load(fold_dir / "config.yaml")
        assert (config.data.split.folds, config.data.split.fold, config.cv.fold) == (3, fold, fold)
        hparams, _ = hparams_record(read_events(fold_dir))
        assert (hparams["cv/folds"], hparams["cv/fold"]) == (3, fold)
        groups = read_json(fold_dir / "data_report.json")["splits"]
        assert entry["groups"] == {split: groups[split]["groups"] for split in ("train", "val", "test")}
        assert cv["test_groups"][str(fold)] == groups["test"]["groups"]
    subjects = sorted(g for split in cv["folds"][0]["groups"].values() for g in split)
    assert len(subjects) == 4 and sorted(g for test in cv["test_groups"].values() for g in test) == subjects


def test_resume_command_continues_the_whole_cross_validation(tmp_path):
    run_dir = tmp_path / "outputs" / "workout_tcn" / "2026-01-01_00-00-00"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("- cv.folds=5\n")
    (run_dir / "cv_summary.json").write_text(json.dumps({"status": "interrupted"}))
    (run_dir / "fold_1" / "checkpoints").mkdir(parents=True)
    expected = ["train.py", "cv.folds=5", f"hydra.run.dir={run_dir}"]  # no ckpt_path: each fold finds its own
    assert resume_command(run_dir, Path("train.py"))[1:] == expected
    assert resume_command(run_dir / "fold_1", Path("train.py"))[1:] == expected


def test_cross_validation_settings_fail_clearly(make_config):
    with pytest.raises(ConfigError, match=r"cv\.folds: 1 folds"):
        train_or_cross_validate(make_config("cv.folds=1"))
    with pytest.raises(ConfigError, match=r"cv\.fold: fold 3 of 3"):
        train_or_cross_validate(make_config("cv.folds=3", "cv.fold=3"))
    with pytest.raises(ConfigError, match="ckpt_path: set for a cross-validation"):
        train_or_cross_validate(make_config("cv.folds=3", "ckpt_path=x.ckpt"))
    fixed = with_fold_split(make_config("cv.folds=3", "cv.fold=0", "data.split.test=[S00]"))
    with pytest.raises(ConfigError, match=r"fixed val/test groups.*data.split.test=\[\]"):
        instantiate(fixed.data, _convert_="all").setup("fit")


@pytest.mark.slow
@pytest.mark.parametrize("data", list(formats()))
def test_every_data_config_folds_by_its_own_groups(data, tmp_path, sample_cache):
    """Each fold's train/val/test are disjoint by the config's group unit, and the folds' test sets
    partition the groups: the fold logic is the shared datamodule's, not a format's."""
    overrides = [f"data={data}", *formats()[data].small_sample, "cv.folds=3"]
    tests, universes = [], []
    for fold in range(3):
        cfg = with_fold_split(compose_config([*overrides, f"cv.fold={fold}"], tmp_path, sample_cache))
        datamodule = instantiate(cfg.data, _convert_="all")
        datamodule.setup("fit")
        groups = [set(datamodule.report.splits[s].groups) for s in ("train", "val", "test")]
        assert all(groups) and sum(map(len, groups)) == len(set().union(*groups))  # disjoint, none empty
        tests.append(groups[2])
        universes.append(set().union(*groups))
    assert universes[0] == universes[1] == universes[2]
    assert sum(map(len, tests)) == len(universes[0]) and set().union(*tests) == universes[0]
