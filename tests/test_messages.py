"""Unclear messages made clear: each names the file or setting and says what to do."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from motionlab.data.recording import Recording, fill_gaps
from motionlab.data.tracking.format import read_tracking_file
from motionlab.errors import ConfigError, DataFormatError
from motionlab.exits import one_line_errors
from motionlab.suggest import run_with_hints, suggest_setting
from motionlab.training.run import train
from tests.data.tracking.test_tracking_format import frame
from tests.helpers import REPO


def test_an_all_nan_column_is_named():
    frames = np.zeros((6, 3), dtype=np.float32)
    frames[:, 1] = np.nan
    recording = Recording("s1", frames, ["a", "knee", "c"], 30.0, group="p1", source="data/s1.npz")
    with pytest.raises(
        DataFormatError, match=r"data/s1\.npz: feature column\(s\) \['knee'\] are NaN in every"
    ):
        fill_gaps(recording, max_gap=3)


def test_json_with_a_byte_order_mark_is_read_and_truncation_is_told_apart(tmp_path):
    document = json.dumps([[frame(), frame(0.5)]])
    bom = tmp_path / "bom.json"
    bom.write_bytes("\ufeff".encode() + document.encode())
    assert read_tracking_file(bom, fps=30.0)[0].frames.shape == (2, 12)
    cut = tmp_path / "cut.json"
    cut.write_text(document[:-30])
    with pytest.raises(DataFormatError, match="the file ends early: a collector that crashed mid-write"):
        read_tracking_file(cut, fps=30.0)
    typo = tmp_path / "typo.json"
    typo.write_text(document.replace(", ", ",, ", 1))
    with pytest.raises(DataFormatError, match=r"line 1, column \d+: .* — fix the file there$"):
        read_tracking_file(typo, fps=30.0)


def test_an_unreadable_data_directory_is_not_reported_as_empty():
    """As a user without access (root reads everything, so the check runs as 'nobody' then)."""
    root = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        root.chmod(0o755)
        data = root / "sessions"
        data.mkdir()
        (data / "a.csv").write_text("x\n1\n")
        data.chmod(0o000)
        check = (
            "import os\n"
            "from motionlab.data.files import data_files\n"  # imported first: 'nobody' may not read them
            "if os.geteuid() == 0: os.setgid(65534); os.setuid(65534)\n"
            f"data_files({str(data)!r}, '.csv', 'pose CSV', 'CSV files', 'add CSV files', 'data.path')\n"
        )
        done = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 1
        assert (
            f"DataFormatError: {data}: this pose CSV directory cannot be read (permission denied) — give "
            f"read access (chmod -R u+rX {data}) or point data.path elsewhere"
        ) in done.stderr
    finally:
        (root / "sessions").chmod(0o755)
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_permission_errors_are_one_line(capsys, monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)

    @one_line_errors
    def main() -> None:
        raise PermissionError(13, "Permission denied", "/srv/outputs/run")

    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 1
    assert capsys.readouterr().err.startswith(
        "error: /srv/outputs/run: permission denied — make it accessible"
    )


def test_a_trainer_setting_that_is_not_a_number_is_named(make_config):
    with pytest.raises(ConfigError, match=r"trainer\.max_epochs: 'abc' is not a whole number — e\.g\."):
        train(make_config("trainer.max_epochs=abc"))


def test_a_misspelt_setting_gets_a_did_you_mean(monkeypatch, capsys):
    configs = REPO / "configs"
    assert suggest_setting(configs, "train", ["model=tcn", "data.windw=30"]) == (
        "data.windw: no such setting — did you mean data.window? (+data.windw=... adds a new key)"
    )
    assert suggest_setting(configs, "train", ["data.window=30"]) is None

    def rejected_by_hydra() -> None:
        raise SystemExit(1)  # what hydra.main does after printing "Key 'max_epoch' is not in struct"

    monkeypatch.setattr(sys, "argv", ["train.py", "trainer.max_epoch=3"])
    with pytest.raises(SystemExit):
        run_with_hints(rejected_by_hydra, configs, "train")
    assert "did you mean trainer.max_epochs?" in capsys.readouterr().err


def test_an_unwritable_registry_fails_before_the_export_works():
    """export_model checks the registry first; as a user without write access ('nobody' under root)."""
    root = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        root.chmod(0o555)  # readable, not writable
        check = (
            "import os\n"
            "from pathlib import Path\n"
            "from motionlab.export.registry import check_writable\n"
            "if os.geteuid() == 0: os.setgid(65534); os.setuid(65534)\n"
            f"check_writable(Path({str(root)!r}) / 'models' / 'model_registry.json')\n"
        )
        done = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 1 and "PermissionError" in done.stderr and str(root) in done.stderr
    finally:
        root.chmod(0o755)
        subprocess.run(["rm", "-rf", str(root)], check=True)
