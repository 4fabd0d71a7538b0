"""`build_ensemble`: trained tasks of one kind as one task that averages their app-facing outputs.

Why the app outputs (probabilities, values in original units) and not the raw ones (logits,
normalised values):

* averaging probabilities is the standard, well-calibrated way to combine classifiers: a member that
  is unsure weighs as much as one that is sure. Averaging logits is a geometric mean of the
  probabilities instead, where one over-confident member (logits of any scale: nothing ties the
  scales of separately trained models) outvotes the others;
* each member normalises with its own training split's statistics (folds of a cross-validation,
  different data), so normalised regression outputs of two members are not even in the same units.
  De-normalised values are, and their mean is the ensemble's estimate;
* the mean of identical members is that member exactly, and the exported graph's outputs keep
  their meaning (probabilities still sum to one, scores stay in their range).

The ensemble is an instance of the members' own task class (made by `ensemble_class`) whose `forward`
and `predict_outputs` are the averaged ones, so the task's losses, metrics, whole-recording
evaluation (which calls `predict_outputs`), figures, export metadata and ONNX export all apply to it
unchanged. Its `forward` returns the raw outputs equivalent to the averaged app outputs
(`MotionTask.raw_outputs`) in the first member's terms: the first member's normaliser, count
threshold or confidence calibration judge the average, exactly as they judge that member alone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from motionlab.errors import ConfigError
from motionlab.tasks.base import MotionTask


class EnsembleMixin:
    """The averaging half of an ensemble class; the other half is the members' task class."""

    members: nn.ModuleList
    member_sources: list[dict[str, Any]]

    def predict_outputs(self, x: Tensor) -> dict[str, Tensor]:
        """Every app-facing output averaged over the members, each member normalising ``x`` itself."""
        outputs = [member.predict_outputs(x) for member in self.members]
        return {name: torch.stack([out[name] for out in outputs]).mean(dim=0) for name in outputs[0]}

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return self.raw_outputs(self.predict_outputs(x), x)

    def export_metadata(self) -> dict[str, Any]:
        """The members' task (apps choose their post-processing by it) and the members."""
        return {
            **super().export_metadata(),
            "task": type(self.members[0]).__name__,
            "causal": all(bool(member.encoder.causal) for member in self.members),
            "ensemble": {
                "size": len(self.members),
                "averaging": "mean of the members' app outputs (probabilities, values in original units)",
                "members": self.member_sources,
            },
        }


@functools.cache
def ensemble_class(task_class: type[MotionTask]) -> type[MotionTask]:
    """``<Task>Ensemble``: `EnsembleMixin` in front of ``task_class``."""
    return type(f"{task_class.__name__}Ensemble", (EnsembleMixin, task_class), {"__module__": __name__})


def build_ensemble(members: Sequence[MotionTask], sources: Sequence[Mapping[str, Any]]) -> MotionTask:
    """One task averaging ``members`` (at least two, checked compatible; ``sources`` describes each).

    The ensemble is built from the first member's hyperparameters and takes over its state (shared,
    not copied): its normaliser, count threshold, confidence calibration and metric settings.
    """
    if len(members) < 2:
        raise ConfigError("ensemble", f"has {len(members)} member(s)", "give at least two runs")
    names = [str(source.get("run_dir", i)) for i, source in enumerate(sources)]
    for member, name in zip(members, names, strict=True):
        if member.calibration_inputs:  # its answers depend on each person's statistics, not one window
            raise ConfigError(
                "ensemble",
                f"member {name} standardises its features per person (task.standardize_per_group), "
                "which an average of members' outputs per window cannot do",
                "ensemble runs trained without task.standardize_per_group, or use the run alone",
            )
    check_compatible(members, names)
    first = members[0]
    ensemble = ensemble_class(type(first))(**first.hparams)
    ensemble.load_state_dict(first.state_dict(), assign=True)
    ensemble.members = nn.ModuleList(members)
    ensemble.member_sources = [dict(source) for source in sources]
    return ensemble.eval()


def check_compatible(members: Sequence[MotionTask], names: Sequence[str]) -> None:
    """Members must be one task class with the same inputs (features, frame rate, window) and the same
    outputs (names, shapes, classes, meanings: `output_descriptions`); encoders and sizes may differ."""
    reference = _interface(members[0])
    for member, name in zip(members[1:], names[1:], strict=True):
        interface = _interface(member)
        differing = [key for key in reference if interface[key] != reference[key]]
        if differing:
            details = "; ".join(f"{key}: {interface[key]} vs {reference[key]}" for key in differing)
            raise ConfigError(
                "ensemble",
                f"member {name} does not fit member {names[0]} ({details})",
                "ensemble runs of one task trained on data with the same features, classes and window",
            )


def _interface(task: MotionTask) -> dict[str, Any]:
    window = int(task.export_metadata()["window"])
    with torch.no_grad():
        outputs = task.predict_outputs(torch.zeros(2, window, task.spec.num_features))
    return {
        "task": type(task).__name__,
        "feature_names": list(task.spec.feature_names),
        "fps": task.spec.fps,
        "window": window,
        "class_names": list(task.spec.class_names),
        "outputs": {name: list(value.shape[1:]) for name, value in outputs.items()},
        "output_descriptions": task.output_descriptions(),
    }
