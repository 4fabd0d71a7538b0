"""Mixed precision on every task (one per data config): bf16 autocast on CPU, as
``trainer.precision=bf16-mixed`` runs it, gives float32 losses that are finite and close to the float32
ones, half-precision outputs with extreme logits still give finite float32 losses, and a few real
bf16-mixed training steps keep every loss and weight finite."""

from __future__ import annotations

import copy

import lightning as L
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data import formats
from motionlab.data.datamodule import MotionDataModule
from motionlab.tasks.base import MotionTask
from motionlab.training.run import build_task
from tests.helpers import GAIT_TINY, TINY, applicable_overrides, compose_config

DATA_CONFIGS = list(formats())  # every data format (src/motionlab/data/<format>/)


@pytest.fixture(scope="module", params=DATA_CONFIGS)
def task_and_data(request, tmp_path_factory, sample_cache) -> tuple[MotionTask, MotionDataModule]:
    """The data config's task, built as `train` builds it, with its datamodule set up at test size."""
    data = request.param
    log_dir = tmp_path_factory.mktemp(f"precision-{data}")
    overrides = (
        GAIT_TINY
        if data == "gait"
        else [
            f"data={data}",
            *formats()[data].data_path,
            *applicable_overrides(TINY, [f"data={data}"], log_dir, sample_cache),
        ]
    )
    cfg = compose_config(overrides, log_dir, sample_cache)
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.prepare_data()
    datamodule.setup("fit")
    torch.manual_seed(0)
    task = build_task(cfg, datamodule.spec.to_dict())
    task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
    return task, datamodule


def first_batch(datamodule: MotionDataModule) -> dict[str, torch.Tensor]:
    """A training batch as the task receives it (the datamodule's batch hooks applied, no trainer: no
    augmentation)."""
    batch = datamodule.on_before_batch_transfer(next(iter(datamodule.train_dataloader())), 0)
    return datamodule.on_after_batch_transfer(batch, 0)


@torch.no_grad()
def test_bf16_autocast_losses_are_float32_and_close_to_float32_losses(task_and_data):
    task, datamodule = task_and_data
    task.eval()
    batch = first_batch(datamodule)
    full = task.compute_losses(task(batch["x"]), batch)
    computed_in = set()
    hooks = [
        module.register_forward_hook(lambda _, __, out: computed_in.add(getattr(out, "dtype", None)))
        for module in task.modules()
    ]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = task.compute_losses(task(batch["x"]), batch)
    for hook in hooks:
        hook.remove()
    assert torch.bfloat16 in computed_in  # autocast did run layers in bfloat16
    for name, value in mixed.items():
        assert value.dtype == torch.float32 and torch.isfinite(value), name
        torch.testing.assert_close(value, full[name], rtol=0.05, atol=0.01, msg=name)


@torch.no_grad()
def test_half_precision_outputs_with_extreme_values_give_finite_float32_losses(task_and_data):
    task, datamodule = task_and_data
    task.eval()
    batch = first_batch(datamodule)
    # near float16's largest value: exp overflows, squares overflow, 1 - sigmoid rounds to 0
    extreme = {name: (value.sign() * 6e4 + value).half() for name, value in task(batch["x"]).items()}
    losses = task.compute_losses(extreme, batch)
    for name, value in losses.items():
        assert value.dtype == torch.float32 and torch.isfinite(value), name


def test_bf16_mixed_training_and_validation_keep_losses_and_weights_finite(task_and_data):
    task, datamodule = task_and_data
    task = copy.deepcopy(task).train()
    before = [p.detach().clone() for p in task.parameters()]
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        precision="bf16-mixed",
        max_epochs=1,
        limit_train_batches=3,
        limit_val_batches=1,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(task, datamodule=datamodule)
    assert trainer.global_step == 3
    losses = {name: value for name, value in trainer.callback_metrics.items() if "loss" in name}
    assert {"train/loss_step", "train/loss_epoch", "val/loss"} <= set(losses)
    assert all(torch.isfinite(value) for value in losses.values()), losses
    after = list(task.parameters())
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))
