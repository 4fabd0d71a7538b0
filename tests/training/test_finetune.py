"""Fine-tuning with real runs: ``init_from`` loads a source run's weights (never its statistics), skips and
reports what does not fit, refuses encoders where nothing would fit; frozen blocks stay fixed while the
rest trains; gradual unfreezing follows its schedule, also across a resume."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import pytest
import torch

from motionlab.errors import ConfigError
from motionlab.tasks import WorkoutTask
from motionlab.training.finetune import GradualUnfreezing, load_pretrained
from motionlab.training.run import train
from tests.helpers import POSE_TINY, TINY, compose_config

# A few batches per epoch and no test stage: enough to see which weights move.
FAST = ["+trainer.limit_train_batches=2", "+trainer.limit_val_batches=1", "test=false", "logger=none"]
# TINY's TCN: input projection, 2 temporal blocks, attention.
BLOCKS = 4


class BlockWatch(L.Callback):
    """Records the model's state at the start of fitting and, per training epoch, which encoder blocks
    changed, which were trainable and the optimizer's learning rate per parameter group."""

    def __init__(self) -> None:
        self.at_fit_start: dict[str, torch.Tensor] = {}
        self.epochs: list[dict] = []
        self._before: list[list[torch.Tensor]] = []

    def on_fit_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.at_fit_start = {name: value.clone() for name, value in module.state_dict().items()}

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._before = [[p.detach().clone() for p in b.parameters()] for b in module.encoder.ordered_blocks()]

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        blocks = module.encoder.ordered_blocks()
        self.epochs.append(
            {
                "changed": [
                    not all(torch.equal(a, p) for a, p in zip(before, block.parameters(), strict=True))
                    for before, block in zip(self._before, blocks, strict=True)
                ],
                "trainable": [all(p.requires_grad for p in block.parameters()) for block in blocks],
                "lrs": [group["lr"] for group in trainer.optimizers[0].param_groups],
            }
        )


@pytest.fixture(scope="module")
def source_run(tmp_path_factory: pytest.TempPathFactory, sample_cache: Path) -> Path:
    """A completed workout run (tiny TCN) to start from."""
    cfg = compose_config([*TINY, *FAST], tmp_path_factory.mktemp("source"), sample_cache)
    train(cfg)
    return Path(cfg.paths.output_dir)


def best_state(run_dir: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    path = Path(json.loads((run_dir / "summary.json").read_text())["best_checkpoint"])
    return path, torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def source_task(source_run: Path, **changes: object) -> WorkoutTask:
    """A fresh task like the source's, with some constructor arguments or data-spec entries changed."""
    hparams = dict(
        torch.load(best_state(source_run)[0], map_location="cpu", weights_only=True)["hyper_parameters"]
    )
    spec_changes = {k: changes.pop(k) for k in list(changes) if k in hparams["data_spec"]}
    hparams["data_spec"] = {**hparams["data_spec"], **spec_changes}
    torch.manual_seed(1)
    return WorkoutTask(**{**hparams, **changes})


def test_init_from_a_run_loads_every_weight_of_its_best_checkpoint_but_not_its_statistics(
    source_run, make_config
):
    cfg = make_config(*FAST, f"init_from={source_run}", "data.sample.seed=1")  # other subjects
    watch = BlockWatch()
    train(cfg, [watch])
    checkpoint, source = best_state(source_run)
    buffers = {"normalizer.mean", "normalizer.std", "count_threshold"}
    parameters = [name for name in watch.at_fit_start if name not in buffers]
    assert set(parameters) == set(source) - buffers
    for name in parameters:
        assert torch.equal(watch.at_fit_start[name], source[name]), name
    # Statistics are this run's, from its own training split.
    assert not torch.allclose(watch.at_fit_start["normalizer.mean"], source["normalizer.mean"])
    run_dir = Path(cfg.paths.output_dir)
    _, tuned = best_state(run_dir)
    assert torch.equal(watch.at_fit_start["normalizer.mean"], tuned["normalizer.mean"])
    report = json.loads((run_dir / "summary.json").read_text())["init_from"]
    assert report["source"] == str(checkpoint) and sorted(report["loaded"]) == sorted(parameters)
    assert report["skipped"]["normalizer.mean"].startswith("buffer") and report["initialised_fresh"] == []


def test_across_datasets_the_encoder_loads_and_the_input_block_and_heads_are_reported(
    source_run, tmp_path, sample_cache
):
    """Workout sessions (25 angles, exercise + rep heads) → pose CSVs (10 features, 7 activities)."""
    pose = [
        *POSE_TINY,
        *FAST,
        f"init_from={source_run}",
    ]
    cfg = compose_config(pose, tmp_path / "outputs", sample_cache)
    watch = BlockWatch()
    train(cfg, [watch])
    _, source = best_state(source_run)
    report = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())["init_from"]
    assert "input features differ (25 in the source" in report["skipped"]["encoder.input_projection.weight"]
    assert report["skipped"]["cls_head.0.weight"] == "not in this model"
    assert {"head.0.weight", "encoder.input_projection.weight"} <= set(report["initialised_fresh"])
    encoder = {
        n for n in source if n.startswith("encoder.") and not n.startswith("encoder.input_projection.")
    }
    assert set(report["loaded"]) == encoder
    for name in encoder:
        assert torch.equal(watch.at_fit_start[name], source[name]), name
    assert len(watch.epochs) == 1


def test_other_class_names_skip_the_heads_and_other_features_the_input_block(source_run):
    checkpoint, source = best_state(source_run)
    names = source_task(source_run).spec
    task = source_task(
        source_run,
        class_names=[names.class_names[1], names.class_names[0], *names.class_names[2:]],  # same count
        feature_names=[f"angle_{i}" for i in range(names.num_features)],
    )
    report = load_pretrained(task, checkpoint)
    skipped = report["skipped"]
    assert {n for n in skipped if n.startswith(("cls_head.", "seg_head."))} == {
        n for n in source if n.startswith(("cls_head.", "seg_head."))
    }
    assert all("classes differ" in skipped[n] for n in skipped if "_head." in n)
    heads = {n for n, _ in task.named_parameters() if not n.startswith("encoder.")}
    input_block = {"encoder.input_projection.weight", "encoder.input_projection.bias"}
    assert set(report["initialised_fresh"]) == heads | input_block
    assert "input features differ" in skipped["encoder.input_projection.weight"]
    for name in report["loaded"]:
        assert name.startswith("encoder.") and torch.equal(task.state_dict()[name], source[name])
    assert "encoder.blocks.1.conv.weight" in report["loaded"]


def test_more_features_skip_the_input_block_and_more_classes_the_output_layer(source_run):
    checkpoint, _ = best_state(source_run)
    spec = source_task(source_run).spec
    task = source_task(
        source_run,
        feature_names=[*spec.feature_names, "extra"],
        class_names=[*spec.class_names, "lunge"],
    )
    skipped = load_pretrained(task, checkpoint)["skipped"]
    assert "input features differ (25 in the source" in skipped["encoder.input_projection.weight"]
    assert "classes differ" in skipped["cls_head.0.weight"]
    assert not any(n.startswith("encoder.blocks.") for n in skipped)


@pytest.mark.parametrize(
    ("encoder", "message"),
    [
        (
            {"_target_": "motionlab.models.encoders.RecurrentEncoder", "cell": "lstm", "hidden_size": 16},
            r"has a motionlab\.models\.encoders\.TCNEncoder encoder, this run a .*RecurrentEncoder",
        ),
        (
            {"channels": 8},
            r"no encoder weight .* fits this run's encoder \(channels: 16 in the source, 8 here\)",
        ),
    ],
    ids=["other_encoder_class", "other_hidden_size"],
)
def test_an_encoder_where_nothing_would_load_is_a_config_error(source_run, encoder, message):
    checkpoint, _ = best_state(source_run)
    base = dict(source_task(source_run).hparams.encoder)
    task = source_task(source_run, encoder=encoder if "_target_" in encoder else {**base, **encoder})
    with pytest.raises(ConfigError, match=message):
        load_pretrained(task, checkpoint)


def test_init_from_a_missing_path_or_an_unfinished_run_is_a_config_error(source_run, make_config, tmp_path):
    with pytest.raises(ConfigError, match="no such run directory or checkpoint file"):
        train(make_config(*FAST, f"init_from={tmp_path / 'nowhere'}"))
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "summary.json").write_text(json.dumps({"status": "running"}))
    with pytest.raises(ConfigError, match=r"init_from: .*status 'running'"):
        train(make_config(*FAST, f"init_from={unfinished}", run="second"))


def test_frozen_blocks_stay_fixed_while_the_later_blocks_and_heads_train(source_run, make_config):
    cfg = make_config(*FAST, f"init_from={source_run}", "finetune.freeze_blocks=2")
    watch = BlockWatch()
    train(cfg, [watch])
    assert watch.epochs == [
        {"changed": [False, False, True, True], "trainable": [False, False, True, True], "lrs": [5e-4]}
    ]
    _, source = best_state(source_run)
    _, tuned = best_state(Path(cfg.paths.output_dir))
    assert torch.equal(tuned["encoder.blocks.0.conv.weight"], source["encoder.blocks.0.conv.weight"])
    assert not torch.equal(tuned["cls_head.0.weight"], source["cls_head.0.weight"])


def test_gradual_unfreezing_unfreezes_one_block_per_period_from_the_output_side(source_run, make_config):
    cfg = make_config(
        *FAST,
        "logger=tensorboard",  # the LR monitor must follow the parameter groups added on the way
        f"init_from={source_run}",
        "trainer.max_epochs=3",
        "finetune.freeze_blocks=3",
        "finetune.unfreeze_every=1",
        "finetune.unfrozen_lr_factor=0.5",
    )
    watch = BlockWatch()
    train(cfg, [watch])
    assert [epoch["changed"] for epoch in watch.epochs] == [
        [False, False, False, True],
        [False, False, True, True],
        [False, True, True, True],
    ]
    assert [epoch["trainable"] for epoch in watch.epochs] == [epoch["changed"] for epoch in watch.epochs]
    assert [epoch["lrs"] for epoch in watch.epochs] == [[5e-4], [5e-4, 2.5e-4], [5e-4, 2.5e-4, 2.5e-4]]


def test_a_resumed_run_keeps_its_unfrozen_blocks_and_goes_on_unfreezing(source_run, make_config):
    settings = [*FAST, f"init_from={source_run}", "finetune.freeze_blocks=3", "finetune.unfreeze_every=1"]
    first = make_config(*settings, "trainer.max_epochs=2")
    train(first)
    last = Path(first.paths.output_dir) / "checkpoints" / "last.ckpt"
    watch = BlockWatch()
    train(make_config(*settings, "trainer.max_epochs=3", f"ckpt_path={last}"), [watch])
    assert watch.epochs == [
        {"changed": [False, True, True, True], "trainable": [False, True, True, True], "lrs": [5e-4] * 3}
    ]


def test_freezing_more_blocks_than_the_encoder_has_is_a_config_error(source_run):
    with pytest.raises(ConfigError, match=r"finetune\.freeze_blocks: 5, but this TCNEncoder has 4 blocks"):
        GradualUnfreezing(freeze_blocks=5).check(source_task(source_run).encoder)
    schedule = GradualUnfreezing(3, unfreeze_every=2)
    assert [schedule.frozen_at(epoch) for epoch in range(8)] == [3, 3, 2, 2, 1, 1, 0, 0]
