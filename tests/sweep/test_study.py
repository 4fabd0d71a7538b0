"""Real studies in this process: SQLite storage, real Lightning trials, failures, pruning, best files."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import optuna
import optuna_dashboard
import pytest
import torch
import yaml
from omegaconf import OmegaConf
from optuna.trial import TrialState

from motionlab.errors import ConfigError
from motionlab.sweep.cli import load_sweep, main
from motionlab.sweep.compose import compose_config
from motionlab.sweep.space import SearchSpace
from motionlab.sweep.study import make_storage, run_sweep
from tests.helpers import CONFIG_DIR


def settings_for(sweep_dir: Path, *overrides: str):
    settings, _ = load_sweep(CONFIG_DIR, [f"sweep.dir={sweep_dir}", "sweep.study=test", *overrides])
    return settings


def dashboard_json(storage: str, path: str) -> dict:
    """What optuna-dashboard's web app answers at ``path`` (its API, in this process, no server)."""
    path, _, query = path.partition("?")
    environ = {"PATH_INFO": path, "QUERY_STRING": query}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    app = optuna_dashboard.wsgi(storage)
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"], body[:500]
    return json.loads(body)


def recipe(cfg) -> dict:
    """A composed config without what is not part of a recipe (Hydra's node, the machine's paths, name)."""
    container = OmegaConf.to_container(cfg, resolve=False)
    return {k: v for k, v in container.items() if k not in ("hydra", "paths", "name")}


@pytest.mark.slow
def test_study_records_failed_and_diverged_trials_goes_on_and_stores_the_best(tmp_path, trial_overrides):
    sweep_dir = tmp_path / "sweeps" / "test"
    settings = settings_for(sweep_dir, "sweep.n_trials=4", "sweep.pruner.name=none")
    space = SearchSpace.parse(
        {"model.attention_heads": "choice(2, 3)", "task.optimizer.lr": "choice(1e-3, 3e-3, 1e30)"}
    )
    overrides = [o for o in trial_overrides if not o.startswith("model.attention_heads=")]
    queued = optuna.create_study(study_name="test", storage=make_storage(settings))
    # 3 heads do not divide 16 channels (an exception); lr=1e30 diverges (a non-finite loss, which the
    # finite-loss guard stops).
    for heads, lr in [(3, 1e-3), (2, 1e30), (2, 1e-3), (2, 3e-3)]:
        queued.enqueue_trial({"model.attention_heads": heads, "task.optimizer.lr": lr})

    run_sweep(settings, space, overrides, CONFIG_DIR)

    study = optuna.load_study(study_name="test", storage=settings.storage)  # what the database holds
    trials = study.get_trials()
    failed, complete = TrialState.FAIL, TrialState.COMPLETE
    assert [t.state for t in trials] == [failed, failed, complete, complete]
    summaries = [json.loads((Path(t.user_attrs["run_dir"]) / "summary.json").read_text()) for t in trials]
    assert (
        summaries[0]["status"] == "failed" and "divisor of the attention dimension" in summaries[0]["error"]
    )
    # the diverged trial was stopped by the finite-loss guard
    assert summaries[1]["status"] == "failed" and summaries[1]["stopped_by"] == "non_finite_loss"
    assert "training loss went non-finite" in summaries[1]["error"]
    for trial, summary in zip(trials[2:], summaries[2:], strict=True):
        assert math.isclose(trial.value, summary["best_score"], rel_tol=1e-6)
        assert Path(trial.user_attrs["best_checkpoint"]).is_file()
    best = min(trials[2:], key=lambda t: t.value)
    assert study.best_trial.number == best.number
    # the study describes itself: its metric's name and where it came from
    assert study.metric_names == ["val/loss"]
    assert study.user_attrs["search_file"] == "configs/search/workout_tcn.yaml"
    assert study.user_attrs["search_params"]["task.optimizer.lr"] == "tag(log, interval(1e-4, 3e-3))"
    assert study.user_attrs["git_commit"] is None or len(study.user_attrs["git_commit"]) >= 40
    detail = dashboard_json(settings.storage, f"/api/studies/{study._study_id}?after=0")
    assert detail["objective_names"] == ["val/loss"]  # what optuna-dashboard labels the objective
    assert {a["key"]: a["value"] for a in detail["user_attrs"]}["search_file"] == study.user_attrs[
        "search_file"
    ]

    pointer = json.loads((sweep_dir / "best.json").read_text())
    assert pointer == {
        "study": "test",
        "trial": best.number,
        "value": best.value,
        "params": best.params,
        "run_dir": str(sweep_dir / f"trial_{best.number}"),
        "best_checkpoint": str(sweep_dir / f"trial_{best.number}" / "checkpoints" / "best.ckpt"),
    }
    best_params = yaml.safe_load((sweep_dir / "best_params.yaml").read_text())
    assert best_params["params"] == best.params
    assert best_params["monitor"] == {"metric": "val/loss", "mode": "min"}

    # best_experiment.yaml, installed as an experiment, composes the best trial's config
    experiments = tmp_path / "extra_configs" / "experiment"
    experiments.mkdir(parents=True)
    (experiments / "test_best.yaml").write_text((sweep_dir / "best_experiment.yaml").read_text())
    installed = compose_config(
        CONFIG_DIR, "train", ["experiment=test_best", f"hydra.searchpath=[file://{experiments.parent}]"]
    )
    assert installed.name == "test_best"
    assert recipe(installed) == recipe(compose_config(CONFIG_DIR, "train", best.user_attrs["overrides"]))
    # on demand: sweep.py sweep.report_only=true rewrites the files from the database alone
    for name in ("best.json", "best_params.yaml", "best_experiment.yaml"):
        (sweep_dir / name).unlink()
    assert main(["sweep.report_only=true", f"sweep.dir={sweep_dir}", "sweep.study=test"], CONFIG_DIR) == 0
    assert json.loads((sweep_dir / "best.json").read_text()) == pointer
    assert (experiments / "test_best.yaml").read_text() == (sweep_dir / "best_experiment.yaml").read_text()
    # the trial directory is resumable like a train.py run
    assert (
        yaml.safe_load((sweep_dir / f"trial_{best.number}" / ".hydra" / "overrides.yaml").read_text())
        == (best.user_attrs["overrides"])
    )


@pytest.mark.slow
def test_a_pruned_trial_is_marked_pruned_after_its_first_epoch(tmp_path, trial_overrides):
    sweep_dir = tmp_path / "sweeps" / "test"
    settings = settings_for(sweep_dir, "sweep.n_trials=1")
    space = SearchSpace.parse({"task.optimizer.lr": "tag(log, interval(1e-4, 1e-2))"})
    always = optuna.pruners.ThresholdPruner(upper=0.0)  # any positive val/loss is pruned at once

    study = run_sweep(settings, space, [*trial_overrides, "trainer.max_epochs=3"], CONFIG_DIR, pruner=always)

    (trial,) = study.get_trials()
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # reported epoch 0, then stopped
    summary = json.loads((sweep_dir / "trial_0" / "summary.json").read_text())
    assert summary["status"] == "pruned" and summary["error"].startswith("TrialPruned")
    last = torch.load(
        sweep_dir / "trial_0" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False
    )
    assert last["global_step"] == 4  # one epoch of limit_train_batches=4 out of max_epochs=3
    assert not (sweep_dir / "best.json").exists()  # no completed trial, no best


def test_a_study_keeps_its_direction(tmp_path, trial_overrides):
    settings = settings_for(tmp_path, "sweep.n_trials=0")
    space = SearchSpace.parse({"task.optimizer.lr": "interval(1e-4, 1e-2)"})
    run_sweep(settings, space, trial_overrides, CONFIG_DIR)  # creates the study (minimize val/loss)
    maximise = [*trial_overrides, "monitor.metric=val/f1", "monitor.mode=max"]
    with pytest.raises(ConfigError, match=r"monitor\.mode: study 'test' was created to minimize"):
        run_sweep(settings, space, maximise, CONFIG_DIR)


def test_multi_device_trials_are_refused_before_the_study_starts(tmp_path, trial_overrides):
    settings = settings_for(tmp_path, "sweep.n_trials=1")
    space = SearchSpace.parse({"task.optimizer.lr": "interval(1e-4, 1e-2)"})
    with pytest.raises(ConfigError, match=r"^trainer\.devices: "):
        run_sweep(settings, space, [*trial_overrides, "trainer=ddp_cpu"], CONFIG_DIR)
    assert not (tmp_path / "trial_0").exists()


def test_report_only_on_a_missing_study_says_so(tmp_path, capsys):
    assert main(["sweep.report_only=true", f"sweep.dir={tmp_path}", "sweep.study=nothing"], CONFIG_DIR) == 2
    assert "sweep.study: no study named 'nothing'" in capsys.readouterr().err
    assert not (tmp_path / "study.db").exists()


@pytest.mark.slow
def test_a_worker_whose_budget_is_spent_still_retries_a_dead_workers_trial(tmp_path, trial_overrides):
    """The study's last trial belongs to a worker that died: the budget counts it as running, so no
    new trial starts, but the worker does not leave before its parameters have run again."""
    settings = settings_for(
        tmp_path, "sweep.n_trials=1", "sweep.heartbeat.interval=1", "sweep.heartbeat.grace_period=1"
    )
    space = SearchSpace.parse({"task.optimizer.lr": "choice(1e-3, 2e-3)"})
    storage = make_storage(settings)
    dead = optuna.create_study(study_name="test", storage=storage).ask(
        {"task.optimizer.lr": space.distributions["task.optimizer.lr"]}
    )
    storage.record_heartbeat(dead._trial_id)  # then nothing: its worker is gone
    # past the 1 s grace period by more than SQLite's CURRENT_TIMESTAMP resolution (whole seconds):
    # 1.5 s could read as 1 s, not stale, when the sweep's own start is quick
    time.sleep(2.5)

    study = run_sweep(settings, space, trial_overrides, CONFIG_DIR)

    first, retry = study.get_trials()
    assert first.state == TrialState.FAIL and retry.state == TrialState.COMPLETE
    assert retry.system_attrs["failed_trial"] == 0 and retry.params == first.params
