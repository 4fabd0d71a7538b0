"""The ``motionlab`` command as a user runs it: the installed console script, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motionlab.analyze.cli import parser as analyze_parser
from motionlab.cli.options import UsageError, to_argv
from motionlab.cli.verbs import VERBS
from tests.helpers import REPO, TINY

MOTIONLAB = Path(sys.executable).with_name("motionlab")
HYDRA_VERBS = ("train", "export", "evaluate")


def motionlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    if not MOTIONLAB.is_file():
        pytest.fail(f"{MOTIONLAB}: no console script — reinstall: pip install -e '.[dev]'")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [str(MOTIONLAB), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_help_lists_every_verb_with_its_description():
    done = motionlab("--help")
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")]
    assert listed == list(VERBS)
    for verb in VERBS.values():
        assert verb.summary in done.stdout


def test_an_unknown_verb_or_setting_is_a_usage_error_with_a_did_you_mean():
    verb = motionlab("trian", "experiment=workout_tcn")
    assert verb.returncode == 2 and "no verb 'trian' — did you mean train?" in verb.stderr
    key = motionlab("runs", "outptus=somewhere")
    assert key.returncode == 2 and "outptus: no such setting — did you mean outputs?" in key.stderr
    flag = motionlab("runs", "--json")  # the old --flag style is refused, not silently ignored
    assert flag.returncode == 2 and "key=value" in flag.stderr
    assert motionlab().returncode == 2


def test_key_value_arguments_mean_what_the_modules_flags_mean():
    parser = analyze_parser()
    argv = to_argv(parser, ["videos=[a.mp4,clips]", "model=m.onnx", "plot=true", "max_gap=0.5", "out='x,y'"])
    assert vars(parser.parse_args(argv)) == vars(
        parser.parse_args(
            ["a.mp4", "clips", "--model", "m.onnx", "--plot", "--max-gap", "0.5", "--out", "x,y"]
        )
    )
    assert not parser.parse_args(to_argv(parser, ["videos=[a]", "model=m", "plot=false"])).plot
    with pytest.raises(UsageError, match=r"missing model="):
        to_argv(parser, ["videos=[a.mp4]"])
    with pytest.raises(UsageError, match="max_gap: one value, not a list"):
        to_argv(parser, ["videos=[a]", "model=m", "max_gap=[1,2]"])
    with pytest.raises(UsageError, match="plot: true or false"):
        to_argv(parser, ["videos=[a]", "model=m", "plot=yes"])


@pytest.mark.slow
def test_every_verb_has_help():
    """Each verb's ``--help`` in its own process, all at once (the Hydra verbs import the training code)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = {
        name: subprocess.Popen(
            [str(MOTIONLAB), name, "--help"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        for name in VERBS
    }
    for name, process in processes.items():
        out = process.communicate(timeout=300)[0]
        assert process.returncode == 0, name
        if name in HYDRA_VERBS:
            assert f"{name} is powered by Hydra" in out and "== Config ==" in out
        else:
            assert f"motionlab {name}" in out, out
        if VERBS[name].parser:
            assert "settings:" in out


@pytest.mark.slow
def test_train_then_list_the_run_through_the_console_script(tmp_path, sample_cache):
    """Outside the repository, as a user's shell would: ``motionlab train`` then ``motionlab runs``."""
    run_dir = tmp_path / "outputs" / "tiny"
    trained = motionlab(
        "train",
        *TINY,
        "logger=none",
        f"hydra.run.dir={run_dir}",
        f"paths.cache_dir={sample_cache}",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (run_dir / "train.log").is_file()  # Hydra's job is still called "train"
    listed = motionlab("runs", f"outputs={tmp_path / 'outputs'}", "json=true", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    assert [(r["run_dir"], r["status"], r["epochs"]) for r in runs] == [(str(run_dir), "completed", "1/1")]
    assert runs[0]["best_checkpoint"] == str(run_dir / "checkpoints" / "best.ckpt")
