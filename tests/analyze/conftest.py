"""Rendered stick-figure videos with workout labels, the sessions built from them, and two tiny exported
models (a workout model trained on those sessions, a gait model on the gait sample), once per session.

The tests of this package run on one pytest-xdist worker (``xdist_group``), so each is made once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.data.workout.build import BuildReport, build_workout_dataset
from motionlab.data.workout.labels import labels_path
from motionlab.pose.extractor import ExtractorSettings
from motionlab.pose.files import read_landmarks
from tests.helpers import CONFIG_DIR, TINY, compose_config

FPS = 30.0
SUBJECTS = ("anna", "ben", "carla")
# Export settings of the tiny models: verified as always, without the int8 copy and the latency runs.
EXPORT = [
    "quantize.enabled=false",
    "benchmark.enabled=false",
    "export.fresh_process=false",
    "verify.windows=32",
]
GAIT_TCN = [
    "data=gait",
    "model=tcn",
    *(o for o in TINY if not o.startswith(("data.sample", "task."))),
    "data.sample.num_runners=8",
    "data.sample.videos_per_runner=1",
    "data.sample.seconds=6",
    "data.pose.progress=false",
    "task.phase_hidden=[16]",
    "task.pooled_hidden=[16]",
    "logger=none",
]


@dataclass
class Videos:
    folder: Path
    labelled: dict[str, Path]  # subject -> video
    blank: Path
    broken: Path
    unlabelled: Path
    cache_dir: Path
    settings: ExtractorSettings


@pytest.fixture(scope="session")
def videos(pose_bundle, tmp_path_factory) -> Videos:
    """Three subjects' videos (running stick figures, 2.5 s) labelled as exercise sets; a video without a
    person, an unreadable one and one without labels."""
    from motionlab.pose.render import render_pose_video

    root = tmp_path_factory.mktemp("workout-videos")
    folder = root / "videos"
    files = generate_gait_dataset(
        root / "landmarks", num_runners=3, videos_per_runner=1, seconds=2.5, dropout_rate=0, long_gap_share=0
    )
    labelled = {}
    for subject, file in zip(SUBJECTS, files, strict=True):
        landmarks, _ = read_landmarks(file)
        video = render_pose_video(folder / subject / f"{subject}_set1.avi", landmarks, FPS, 320, 240)
        exercise = "squat" if subject == "ben" else "push_up"
        segment = f"{{exercise: {exercise}, start: 0.3, end: 2.2, reps: [0.5, 1.2, 1.9]}}"
        labels_path(video).write_text(f"subject: {subject}\nsegments:\n  - {segment}\n")
        labelled[subject] = video
    blank = render_pose_video(folder / "empty_room.avi", np.full((20, 33, 4), np.nan), FPS, 320, 240)
    labels_path(blank).write_text("subject: nobody\nsegments: []\n")
    broken = folder / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    labels_path(broken).write_text("subject: nobody\nsegments: []\n")
    unlabelled = render_pose_video(folder / "unlabelled.avi", np.full((2, 33, 4), np.nan), FPS, 64, 48)
    return Videos(
        folder, labelled, blank, broken, unlabelled, root / "pose_cache", ExtractorSettings(str(pose_bundle))
    )


@pytest.fixture(scope="session")
def built(videos) -> tuple[Path, BuildReport]:
    out = videos.folder.parent / "sessions"
    report = build_workout_dataset(videos.folder, out, videos.settings, videos.cache_dir, progress=False)
    return out, report


def train_and_export(overrides: list[str], log_dir: Path, cache_dir: Path) -> Path:
    """Train a run with ``overrides``, export its best checkpoint; the model's path."""
    from motionlab.export.pipeline import export_model
    from motionlab.runs.sources import resolve_source
    from motionlab.training.run import train

    cfg = compose_config(overrides, log_dir, cache_dir, run="trained")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR)):
        export_cfg = compose("export", overrides=[f"run={run_dir}", f"paths.log_dir={log_dir}", *EXPORT])
    return export_model(resolve_source(export_cfg.run, None, log_dir, log_dir), export_cfg).model_path


@pytest.fixture(scope="session")
def workout_model(built, tmp_path_factory, sample_cache) -> Path:
    """A tiny workout TCN trained on the built sessions (one subject per split) and exported."""
    out, _ = built
    overrides = [*TINY, f"data.path={out}", "data.split.val=[ben]", "data.split.test=[carla]", "logger=none"]
    return train_and_export(overrides, tmp_path_factory.mktemp("workout-run") / "outputs", sample_cache)


@pytest.fixture(scope="session")
def gait_model(tmp_path_factory, sample_cache) -> Path:
    """A tiny gait TCN trained on a small gait sample and exported."""
    return train_and_export(GAIT_TCN, tmp_path_factory.mktemp("gait-run") / "outputs", sample_cache)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())
