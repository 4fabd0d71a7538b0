"""Fine-tuning: start a run from another run's weights, freeze the encoder's first blocks, unfreeze them
gradually (ULMFiT style).

``init_from`` copies *parameters* only (learned weights), where name and shape match; unlike
``ckpt_path`` it restores no optimizer state, epoch or scheduler. Buffers are never copied: they hold
what the new data says — the normaliser's mean/std from this run's training split, calibrated
thresholds — and a model paired with another dataset's statistics would mis-scale every input (the
statistics are baked into the export, so the app would inherit the mismatch). Fine-tuning on new
data therefore normalises with the new data's statistics, and the pretrained input layer adapts to
the slightly different scaling in the first epochs.

What loads, per source tensor:

* the encoder's input block (``ordered_blocks()[0]``) is skipped when the feature names differ;
* the heads (everything outside the encoder) are skipped when the class names differ;
* anything else loads when this model has a parameter of that name and shape.

Every source tensor that is not loaded is reported with its reason (log and ``summary.json``'s
``init_from``). A source whose encoder is another class, or of which no encoder weight fits, is a
`ConfigError`: nothing useful would load.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BaseFinetuning
from torch import Tensor, nn
from torch.optim import Optimizer

from motionlab.errors import ConfigError
from motionlab.models.encoders import Encoder
from motionlab.runs.find import completed_run_checkpoint
from motionlab.tasks.base import MotionTask

log = logging.getLogger(__name__)

ENCODER = "encoder."


def setup_finetuning(
    task: MotionTask, init_from: str | None, settings: Mapping[str, Any], resuming: bool
) -> tuple[list[L.Callback], dict[str, Any] | None]:
    """Load ``init_from`` into ``task`` and build the freezing callback from ``settings`` (the
    ``finetune`` config section). Returns the callbacks and the ``init_from`` report for
    ``summary.json`` (``None`` without ``init_from``, or when ``resuming``: the resumed checkpoint's
    weights win and the first session's report stays)."""
    report = None
    if init_from and resuming:
        log.info("init_from=%s not loaded: resuming from ckpt_path restores all weights", init_from)
    elif init_from:
        report = load_pretrained(task, init_checkpoint(init_from))
    freeze_blocks = int(settings["freeze_blocks"])
    if not freeze_blocks:
        return [], report
    if not init_from:
        log.warning(
            "finetune.freeze_blocks=%d without init_from: frozen blocks keep random weights", freeze_blocks
        )
    callback = GradualUnfreezing(
        freeze_blocks, int(settings["unfreeze_every"]), float(settings["unfrozen_lr_factor"])
    )
    callback.check(task.encoder)
    return [callback], report


def init_checkpoint(init_from: str | Path) -> Path:
    """A ``.ckpt`` file as is; a run directory → its best checkpoint (via its ``summary.json``)."""
    path = Path(init_from)
    if path.is_dir():
        return completed_run_checkpoint(path, key="init_from")[1]
    if not path.is_file():
        raise ConfigError(
            "init_from",
            f"{path}: no such run directory or checkpoint file",
            "give a completed run's directory (outputs/<name>/<time>) or a .ckpt file",
        )
    return path


def load_pretrained(task: MotionTask, checkpoint: Path) -> dict[str, Any]:
    """Copy the parameters of ``checkpoint`` that fit into ``task``; return what loaded and what not."""
    source = torch.load(checkpoint, map_location="cpu", weights_only=True)
    hparams = source.get("hyper_parameters") or {}
    if "encoder" not in hparams or "data_spec" not in hparams:
        raise ConfigError(
            "init_from",
            f"{checkpoint} is not a motionlab checkpoint (no encoder or data_spec in it)",
            "give a checkpoint written by train.py",
        )
    _check_encoder_class(checkpoint, hparams["encoder"], task.hparams.encoder)
    skip_rules = _skip_rules(task, hparams["data_spec"])
    parameters = dict(task.named_parameters())
    buffers = dict(task.named_buffers())
    loaded: list[str] = []
    skipped: dict[str, str] = {}
    for name, tensor in source["state_dict"].items():
        reason = _skip_reason(name, tensor, parameters, buffers, skip_rules)
        if reason:
            skipped[name] = reason
        else:
            loaded.append(name)
    if not any(name.startswith(ENCODER) for name in loaded):
        raise ConfigError(
            "init_from",
            f"no encoder weight of {checkpoint} fits this run's encoder "
            f"({_encoder_differences(hparams['encoder'], task.hparams.encoder)})",
            "train with the source's model settings (model=... as in its config.yaml), or drop init_from",
        )
    with torch.no_grad():
        for name in loaded:
            parameters[name].copy_(source["state_dict"][name])
    loaded_names = set(loaded)
    fresh = [name for name in parameters if name not in loaded_names]
    log.info(
        "init_from=%s: loaded %d tensors, skipped %d, %d parameters of this model start fresh%s",
        checkpoint,
        len(loaded),
        len(skipped),
        len(fresh),
        "".join(f"\n  skipped {name}: {reason}" for name, reason in skipped.items()),
    )
    return {"source": str(checkpoint), "loaded": loaded, "skipped": skipped, "initialised_fresh": fresh}


def _check_encoder_class(checkpoint: Path, source: Mapping[str, Any], here: Mapping[str, Any]) -> None:
    if source.get("_target_") != here.get("_target_"):
        raise ConfigError(
            "init_from",
            f"{checkpoint} has a {source.get('_target_')} encoder, this run a {here.get('_target_')}: "
            "no encoder weight would load",
            "choose the source's model (model=... with the same encoder class and sizes), or drop init_from",
        )


def _skip_rules(task: MotionTask, source_spec: Mapping[str, Any]) -> dict[str, str]:
    """Parameter name → reason to skip it, for the parts that the source's data makes meaningless
    here: the input block when the features differ, the heads when the classes differ."""
    names = {id(p): n for n, p in task.named_parameters()}
    rules = {}
    features, source_features = list(task.spec.feature_names), list(source_spec.get("feature_names", []))
    if features != source_features:
        reason = (
            f"input features differ ({len(source_features)} in the source: {_short(source_features)}; "
            f"{len(features)} here: {_short(features)})"
        )
        rules.update({names[id(p)]: reason for p in task.encoder.ordered_blocks()[0].parameters()})
    classes, source_classes = list(task.spec.class_names), list(source_spec.get("class_names", []))
    if classes != source_classes:
        reason = f"head, and the classes differ (source: {_short(source_classes)}; here: {_short(classes)})"
        rules.update({name: reason for name in names.values() if not name.startswith(ENCODER)})
    return rules


def _skip_reason(
    name: str,
    tensor: Tensor,
    parameters: Mapping[str, nn.Parameter],
    buffers: Mapping[str, Tensor],
    rules: Mapping[str, str],
) -> str | None:
    if name in buffers:
        return "buffer: this run's own (data statistics come from this run's training split)"
    if name not in parameters:
        return "not in this model"
    if name in rules:
        return rules[name]
    if tuple(tensor.shape) != tuple(parameters[name].shape):
        return f"shape {list(tensor.shape)} in the source, {list(parameters[name].shape)} here"
    return None


def _encoder_differences(source: Mapping[str, Any], here: Mapping[str, Any]) -> str:
    keys = sorted(set(source) | set(here))
    differing = [
        f"{k}: {source.get(k)!r} in the source, {here.get(k)!r} here"
        for k in keys
        if source.get(k) != here.get(k)
    ]
    return "; ".join(differing) or "same settings, different data"


def _short(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown}, … ({len(names)} in all)" if len(names) > limit else shown


class GradualUnfreezing(BaseFinetuning):
    """Freeze the encoder's first ``freeze_blocks`` blocks (input side) before training; with
    ``unfreeze_every = E > 0``, unfreeze one of them every E epochs, the one nearest the output
    first (ULMFiT's gradual unfreezing): at epoch ``k·E`` the last ``k`` frozen blocks train again.

    An unfrozen block joins the optimizer as a new parameter group whose learning rate is
    ``unfrozen_lr_factor`` × the first group's current rate (1 = the same rate; below 1 moves
    pretrained weights more gently). ``unfreeze_every = 0`` keeps the blocks frozen (train the rest).
    """

    def __init__(self, freeze_blocks: int, unfreeze_every: int = 0, unfrozen_lr_factor: float = 1.0) -> None:
        super().__init__()
        if freeze_blocks < 0 or unfreeze_every < 0 or unfrozen_lr_factor <= 0:
            raise ConfigError(
                "finetune",
                f"freeze_blocks={freeze_blocks}, unfreeze_every={unfreeze_every}, "
                f"unfrozen_lr_factor={unfrozen_lr_factor}",
                "use freeze_blocks >= 0, unfreeze_every >= 0 and unfrozen_lr_factor > 0",
            )
        self.freeze_blocks = freeze_blocks
        self.unfreeze_every = unfreeze_every
        self.unfrozen_lr_factor = unfrozen_lr_factor

    def check(self, encoder: Encoder) -> None:
        """Raise a `ConfigError` when ``encoder`` has fewer blocks than there are to freeze."""
        count = len(encoder.ordered_blocks())
        if self.freeze_blocks > count:
            raise ConfigError(
                "finetune.freeze_blocks",
                f"{self.freeze_blocks}, but this {type(encoder).__name__} has {count} blocks",
                f"freeze at most {count} blocks",
            )

    def frozen_at(self, epoch: int) -> int:
        """How many of the first blocks are frozen during ``epoch``."""
        if not self.unfreeze_every:
            return self.freeze_blocks
        return max(0, self.freeze_blocks - epoch // self.unfreeze_every)

    def freeze_before_training(self, pl_module: L.LightningModule) -> None:
        self.check(pl_module.encoder)
        self.freeze(pl_module.encoder.ordered_blocks()[: self.freeze_blocks], train_bn=False)

    def finetune_function(self, pl_module: L.LightningModule, epoch: int, optimizer: Optimizer) -> None:
        blocks = pl_module.encoder.ordered_blocks()
        in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
        for index in reversed(range(self.frozen_at(epoch), self.freeze_blocks)):
            block = blocks[index]
            if all(p.requires_grad for p in block.parameters()):
                continue
            if any(id(p) in in_optimizer for p in block.parameters()):
                self.make_trainable(block)  # its parameter group was restored with a resumed checkpoint
                continue
            lr = optimizer.param_groups[0]["lr"] * self.unfrozen_lr_factor
            self.unfreeze_and_add_param_group(block, optimizer, lr=lr, train_bn=False)
            log.info(
                "epoch %d: unfroze encoder block %d (%s) at lr %.3g", epoch, index, type(block).__name__, lr
            )
