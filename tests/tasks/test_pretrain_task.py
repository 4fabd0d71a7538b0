"""task=pretrain with real runs: the masks, the pretext learning on a real recording set (well below the
copy-mean baseline), fine-tuning from the pretraining run (its encoder loads, the heads start fresh),
unlabelled CSVs, resuming, export's refusal and the bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from hydra.errors import InstantiationException

from motionlab.data.masking import SpanMask, masked_mse, visible_mean
from motionlab.errors import ConfigError, DataFormatError
from motionlab.runs.sources import run_source
from motionlab.training.run import train
from tests.helpers import QUIET_CPU, compose_config

SMALL_TCN = ["model.channels=16", "model.num_blocks=2"]


def test_span_masks_hide_the_share_asked_for_in_contiguous_spans_and_never_every_channel():
    mask = SpanMask(frame_ratio=0.3, span=5, channel_ratio=0.0)(
        torch.Size([2000, 100, 3]), torch.device("cpu")
    )
    frames = mask[..., 0]
    assert torch.equal(mask, frames.unsqueeze(-1).expand_as(mask))  # a span hides every channel
    assert abs(frames[:, 20:].float().mean().item() - 0.3) < 0.01
    starts = frames[:, 1:] & ~frames[:, :-1]
    run_lengths = (frames[:, 20:80].float().sum() / starts[:, 20:80].sum()).item()
    assert run_lengths >= 5  # spans of at least 5 frames (overlapping spans merge into longer runs)
    channels = SpanMask(frame_ratio=0.0, span=1, channel_ratio=0.5)(
        torch.Size([4000, 10, 2]), torch.device("cpu")
    )
    hidden = channels.all(dim=1)  # a channel is hidden in every frame of its window or in none
    assert torch.equal(channels, hidden.unsqueeze(1).expand_as(channels))
    # each channel drawn with probability 0.5, but never both: 0.5 × 0.5 of the windows hide one
    assert not hidden.all(dim=-1).any() and 0.22 < hidden.float().mean().item() < 0.28
    assert not SpanMask(0.0, 1, 0.9)(torch.Size([50, 10, 1]), torch.device("cpu")).any()  # one channel: none
    seeded = [
        SpanMask(0.3, 5, 0.2)(torch.Size([8, 40, 4]), "cpu", torch.Generator().manual_seed(0)) for _ in "ab"
    ]
    assert torch.equal(*seeded)
    with pytest.raises(ConfigError, match=r"task\.mask"):
        SpanMask(0.0, 5, 0.0)


def test_copy_mean_baseline_and_loss_count_masked_positions_only():
    values = torch.tensor([[[1.0], [3.0], [100.0], [5.0]]])
    mask = torch.tensor([[[False], [False], [True], [False]]])
    assert visible_mean(values, mask).item() == 3.0
    assert masked_mse(torch.zeros_like(values), values, mask).item() == 100.0**2
    assert visible_mean(values, torch.ones_like(mask)).item() == 0.0  # nothing visible: the training mean


@pytest.fixture(scope="module")
def pretrain_run(basic_motions, tmp_path_factory) -> Path:
    """experiment=imu_pretrain (its TCN, 32 filters × 4 blocks) on BasicMotions, labels ignored."""
    log_dir = tmp_path_factory.mktemp("pretrain")
    overrides = ["experiment=imu_pretrain", *basic_motions, *QUIET_CPU, "trainer.max_epochs=6"]
    cfg = compose_config(overrides, log_dir, log_dir / "cache")
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_the_pretext_task_learns_well_below_the_copy_mean_baseline_on_real_recordings(pretrain_run):
    summary = json.loads((pretrain_run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["data"]["test"]["recordings"] == 40
    test = summary["test_metrics"]
    # the masked values of held-out recordings: the encoder's error is well under predicting each
    # channel's visible mean (the relative loss is their ratio)
    assert test["test/loss"] < 0.75 * test["test/copy_mean_loss"]
    assert test["test/relative_loss"] == pytest.approx(
        test["test/loss"] / test["test/copy_mean_loss"], rel=1e-3
    )
    first, last = summary["history"][0], summary["history"][-1]
    assert last["val/loss"] < first["val/loss"]
    report = json.loads((pretrain_run / "evaluation_report.json").read_text())
    assert report["copy_mean_mse"] == pytest.approx(test["test/copy_mean_loss"], rel=1e-4)
    assert summary["details"]["test_reconstruction"]["relative_loss"] == pytest.approx(
        report["relative_loss"]
    )
    with pytest.raises(ConfigError, match="PretrainTask run: there is nothing to export or evaluate"):
        run_source(pretrain_run)


class EncoderAtStart(L.Callback):
    def on_fit_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.state = {name: value.clone() for name, value in module.state_dict().items()}
        self.trainable = [
            all(p.requires_grad for p in b.parameters()) for b in module.encoder.ordered_blocks()
        ]


def test_init_from_a_pretraining_run_loads_its_encoder_and_fine_tunes_with_frozen_blocks(
    pretrain_run, basic_motions, tmp_path
):
    overrides = [
        "experiment=imu_tcn",
        *basic_motions,
        *QUIET_CPU,
        "trainer.max_epochs=2",
        f"init_from={pretrain_run}",
        "finetune.freeze_blocks=2",
        "finetune.unfreeze_every=1",
    ]
    cfg = compose_config(overrides, tmp_path, tmp_path / "cache")
    watch = EncoderAtStart()
    train(cfg, [watch])
    source = torch.load(pretrain_run / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    encoder = [name for name in source if name.startswith("encoder.")]
    assert encoder and all(torch.equal(watch.state[name], source[name]) for name in encoder)
    assert watch.trainable == [False, False, True, True, True]  # input projection and 1st block frozen
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["test_metrics"]["test/acc"] > 0.5  # 4 classes
    skipped = summary["init_from"]["skipped"]
    assert skipped["reconstruction_head.0.weight"] == "not in this model"
    assert skipped["normalizer.mean"].startswith("buffer")  # statistics refitted on this run's data
    assert "head.0.weight" in summary["init_from"]["initialised_fresh"]


def write_csv(path: Path, recordings: int, frames: int, columns: dict[str, object] | None = None) -> Path:
    """Recordings of two smooth channels (and any ``columns`` given a constant value), no label."""
    t = np.arange(frames) / 10
    lines = ["recording,frame,a,b" + "".join(f",{name}" for name in columns or {})]
    for r in range(recordings):
        extra = "".join(f",{value}" for value in (columns or {}).values())
        lines += [f"r{r},{i},{np.sin(t[i] + r):.4f},{np.cos(2 * t[i]):.4f}{extra}" for i in range(frames)]
    path.write_text("\n".join(lines) + "\n")
    return path


def pose_pretrain(path: Path, tmp_path: Path, *extra: str):
    overrides = [
        "data=pose",
        "task=pretrain",
        "model=tcn",
        "model.attention_heads=0",
        *SMALL_TCN,
        *QUIET_CPU,
        "trainer.max_epochs=1",
        f"data.path={path}",
        "data.columns.label=null",
        "data.columns.subject=null",
        "data.columns.recording=recording",
        "data.augment.mirror_prob=0",
        "data.window=20",
        "data.stride=10",
        "data.split.fractions=[0.5,0.25,0.25]",
        *extra,
    ]
    return compose_config(overrides, tmp_path / "outputs", tmp_path / "cache")


def test_unlabelled_csvs_pretrain_and_resume_and_a_classifier_on_them_says_what_to_do(tmp_path):
    csv = write_csv(tmp_path / "unlabelled.csv", recordings=8, frames=60)
    cfg = pose_pretrain(csv, tmp_path)
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    report = json.loads((run_dir / "data_report.json").read_text())
    assert (
        report["labels"] is False
        and report["class_names"] == []
        and report["splits"]["train"]["recordings"] == 4
    )
    last = run_dir / "checkpoints" / "last.ckpt"
    train(pose_pretrain(csv, tmp_path, "trainer.max_epochs=2", f"ckpt_path={last}"))  # `make resume`
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and [r["from"] for r in summary["resumes"]] == [str(last)]
    assert [row["epoch"] for row in summary["history"]] == [0, 1]
    assert all("val/copy_mean_loss" in row for row in summary["history"])
    # (Hydra wraps the task's ConfigError in its own error when it builds the task)
    with pytest.raises(InstantiationException, match=r"data\.columns\.label=null have none.*task=pretrain"):
        train(pose_pretrain(csv, tmp_path, "task=classify", "overwrite=true"))
    with pytest.raises(
        DataFormatError, match=r"unlabelled.csv: has no column 'label'.*data.columns.label=null"
    ):
        train(pose_pretrain(csv, tmp_path, "data.columns.label=label", "overwrite=true"))


@pytest.mark.parametrize(
    ("recordings", "frames", "columns", "extra", "message"),
    [
        (
            8,
            60,
            None,
            ["data.columns.features=[]"],
            r"bad.csv: .*selects no column.*list the feature columns",
        ),
        (8, 60, {"c": 1.5}, ["data.columns.features=[c]"], r"bad.csv: no usable channel.*\['c'\].*features"),
        (
            8,
            12,
            None,
            [],
            r"bad.csv: all 8 recordings are shorter than the 20-frame window — lower data.window",
        ),
    ],
)
def test_a_pretraining_run_on_unusable_data_names_the_file_and_what_to_do(
    tmp_path, recordings, frames, columns, extra, message
):
    csv = write_csv(tmp_path / "bad.csv", recordings, frames, columns)
    with pytest.raises(DataFormatError, match=message):
        train(pose_pretrain(csv, tmp_path, *extra))
