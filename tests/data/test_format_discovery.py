"""A data format is one folder under src/motionlab/data/ plus one configs/data/<name>.yaml, found by
looking: every folder is a format, every data config belongs to one, and a new folder is found
without editing any list."""

from __future__ import annotations

import sys

import pytest
import yaml
from omegaconf import OmegaConf

import motionlab.data
from motionlab.data import data_format, formats
from motionlab.errors import ConfigError
from tests.helpers import CONFIG_DIR, REPO, compose_config

DATA_DIR = REPO / "src" / "motionlab" / "data"
BASE = "base"  # configs/data/base.yaml: the engine's shared keys, not a format


def data_config(name: str) -> dict:
    return yaml.safe_load((CONFIG_DIR / "data" / f"{name}.yaml").read_text())


def test_every_folder_is_a_format_with_its_own_config():
    folders = sorted(p.parent.name for p in DATA_DIR.glob("*/__init__.py"))
    assert sorted(f.package.rsplit(".", 1)[1] for f in formats().values()) == folders
    for name, entry in formats().items():
        config = data_config(name)
        assert config["_target_"].startswith(f"{entry.package}."), name
        assert config["defaults"][0] == BASE, f"configs/data/{name}.yaml does not start from {BASE}.yaml"
        assert entry.title and entry.small_sample, name


def test_every_data_config_is_a_format_an_alias_or_the_base():
    aliases = {alias: entry.name for entry in formats().values() for alias in entry.aliases}
    for path in sorted((CONFIG_DIR / "data").glob("*.yaml")):
        name = path.stem
        assert name in (BASE, *formats(), *aliases), f"{path}: no format in src/motionlab/data/"
        if name in aliases:
            assert data_config(name)["defaults"] == [aliases[name]], path
            assert data_format(name) == formats()[aliases[name]]
    base = data_config(BASE)
    assert "_target_" not in base and {"batch_size", "memory_map", "split"} <= set(base)


def test_an_alias_composes_the_same_data_as_its_format(tmp_path):
    for entry in formats().values():
        for alias in entry.aliases:
            composed = [
                OmegaConf.to_container(compose_config([f"data={n}"], tmp_path, tmp_path).data, resolve=True)
                for n in (alias, entry.name)
            ]
            assert composed[0] == composed[1], alias
    with pytest.raises(ConfigError, match="unknown data format 'nope'"):
        data_format("nope")


def test_a_new_folder_is_found_without_editing_a_list(tmp_path, monkeypatch):
    package = tmp_path / "example_format"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from motionlab.data.registry import DataFormat\n"
        "FORMAT = DataFormat(name='example', title='an example', small_sample=('data.path=x.csv',))\n"
    )
    monkeypatch.setattr(motionlab.data, "__path__", [*motionlab.data.__path__, str(tmp_path)])
    try:
        found = formats()["example"]
        assert found.package == "motionlab.data.example_format" and found.small_sample == ("data.path=x.csv",)
        assert set(formats()) > {"example"}
    finally:
        sys.modules.pop("motionlab.data.example_format", None)
