"""Test helpers shared across test packages: composing the real train config with tiny settings."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "configs"

# A recipe run as it is, on the CPU without progress bars, loggers or the MiniRocket baseline, at seed 1.
QUIET_CPU = [
    "trainer=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "logger=none",
    "baseline.minirocket.enabled=false",
    "seed=1",
]

# Small enough for seconds per run on 2 CPU cores, big enough to exercise every code path.
TINY = [
    "trainer=cpu",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "data.sample.num_subjects=4",
    "data.sample.sessions_per_subject=1",
    "data.batch_size=32",
    "data.stride=15",
    "model.channels=16",
    "model.num_blocks=2",
    "model.attention_heads=2",
    "task.cls_hidden=[16]",
    "task.seg_hidden=[16]",
    # the MiniRocket baseline has tests of its own (tests/baselines); plumbing tests skip its seconds
    "baseline.minirocket.enabled=false",
]

# A per-frame CSV classifier (data=csv, ClassifyTask) on the pose sample: 8 videos of 4 subjects, TINY's TCN.
POSE_TINY = [
    "data=csv",
    "model=tcn",
    "model.channels=16",
    "model.num_blocks=2",
    "model.attention_heads=2",
    "task.hidden=[16]",
    "trainer=cpu",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "data.sample.num_sources=1",
    "data.sample.videos_per_source=8",
    "data.sample.num_subjects=4",
    "baseline.minirocket.enabled=false",
]


def compose_config(overrides: list[str], log_dir: Path, cache_dir: Path, run: str = "run") -> DictConfig:
    """The composed train config; the run writes to ``log_dir/<name>/<run>`` like a real run does, and
    sample data is cached in ``cache_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR)):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.log_dir = str(log_dir)
        cfg.paths.output_dir = str(log_dir / cfg.name / run)
        cfg.paths.cache_dir = str(cache_dir)
        del cfg.hydra
    return cfg


def compose_entry(name: str, overrides: list[str]) -> DictConfig:
    """The config of an entry point other than train.py (``evaluate``, ``export``) with ``overrides``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR)):
        return compose(name, overrides=overrides)


# The gait recipe (data=gait) at test size: a small synthetic sample and a small BiLSTM.
GAIT_TINY = [
    "data=gait",
    "model=bilstm_attn",
    "trainer=cpu",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "data.sample.num_runners=8",
    "data.sample.videos_per_runner=1",
    "data.sample.seconds=6",
    "data.batch_size=32",
    "data.pose.progress=false",
    "model.hidden_size=16",
    "model.num_layers=1",
    "model.attention_heads=2",
    "task.phase_hidden=[16]",
    "task.pooled_hidden=[16]",
]


def applicable_overrides(overrides: list[str], base: list[str], log_dir: Path, cache_dir: Path) -> list[str]:
    """``overrides`` minus those whose key the config composed from ``base`` does not have (e.g.
    another task's head sizes), so that one list of tiny settings fits every data config."""
    config = compose_config(base, log_dir, cache_dir)
    missing = object()

    def applies(override: str) -> bool:
        key = override.split("=", 1)[0]
        if key.startswith("+"):  # adds the key (or sets it where it exists): applies to any config
            return True
        return "." not in key or OmegaConf.select(config, key, default=missing) is not missing

    return [override for override in overrides if applies(override)]
