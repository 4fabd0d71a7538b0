"""Self-training of a closed-form ridge head on unlabelled recordings.

The head fitted on the labelled windows pseudo-labels every unlabelled recording with **one** class
(the argmax of its windows' mean probability, or under ``assignment: person`` a protocol-aware
assignment per person, `protocol_assignment`), then is refitted on the labelled and pseudo-labelled
windows together; a few rounds. One class per recording is the assumption that makes the labels
worth having: a window alone is often ambiguous, a whole recording of one activity much less so.

A refit on wrong pseudo-labels can lose accuracy, so with ``guard`` the self-trained head is kept only
when it scores at least the labelled-only head's accuracy on the validation windows (labelled, held-out
people); otherwise the labelled-only head stays. Measured on held-out people: bench/screens/
selftrain_screen.md and docs/pretraining.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from motionlab.errors import ConfigError
from motionlab.tasks.common.group_standardization import group_means
from motionlab.tasks.common.ridge import RidgeFit, ridge_classifier

ASSIGNMENTS = ("person", "recording")


@dataclass(frozen=True)
class SelfTraining:
    """``task.self_training``: ``rounds`` of pseudo-labelling and refitting (0: off), how each round
    gives the unlabelled recordings their class (``assignment``), and whether the validation windows
    decide between the self-trained and the labelled-only head (``guard``)."""

    rounds: int = 0
    assignment: str = "person"
    guard: bool = True

    def __post_init__(self) -> None:
        if self.rounds < 0:
            raise ConfigError("task.self_training.rounds", f"is {self.rounds}", "use 0 (off) or more rounds")
        if self.assignment not in ASSIGNMENTS:
            raise ConfigError(
                "task.self_training.assignment",
                f"unknown assignment {self.assignment!r}",
                f"use one of {ASSIGNMENTS}",
            )

    @property
    def enabled(self) -> bool:
        return self.rounds > 0


@dataclass(frozen=True)
class UnlabelledPool:
    """The unlabelled windows' head inputs ``features [N, D]``, each window's recording
    (``recording [N]``, codes ``0..R-1``) and each recording's group (``recording_group [R]``, codes)."""

    features: Tensor
    recording: Tensor
    recording_group: Tensor

    @property
    def recordings(self) -> int:
        return len(self.recording_group)


def recording_class_shares(recording: Tensor, labels: Tensor, class_names: Sequence[str]) -> np.ndarray:
    """Each class's share of the labelled recordings (``recording [N]``: each window's recording code,
    ``labels [N]``: its class), the prior of `protocol_assignment`. Refuses recordings of several
    classes: self-training gives an unlabelled recording one class, which the labelled ones must bear out."""
    pairs = torch.unique(torch.stack([recording, labels.long()]), dim=1)
    recordings, counts = torch.unique(pairs[0], return_counts=True)
    if (counts > 1).any():
        mixed = pairs[1][pairs[0] == recordings[counts > 1][0]].tolist()
        raise ConfigError(
            "task.self_training.rounds",
            f"{int((counts > 1).sum())} labelled training recording(s) hold windows of several classes (one "
            f"holds {', '.join(repr(class_names[c]) for c in mixed)}), but self-training gives each "
            "unlabelled recording one class",
            "cut the recordings into one activity each (data.columns.recording), or set "
            "task.self_training.rounds=0",
        )
    return np.bincount(pairs[1].numpy(), minlength=len(class_names)) / len(recordings)


def protocol_assignment(mean_probabilities: np.ndarray, groups: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """One class per recording under the protocol prior "every person records each class about as often
    as the labelled people did": per group (person), a minimum-cost assignment (cost: minus the log mean
    probability) of its recordings to ``ceil(share × its recordings)`` slots of each class, ``shares``
    being the labelled recordings' class shares. A group of one recording gets its argmax."""
    assigned = mean_probabilities.argmax(1)
    cost_of = -np.log(np.clip(mean_probabilities, 1e-12, None))
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        slots = np.repeat(np.arange(len(shares)), np.ceil(shares * len(members) - 1e-9).astype(int))
        rows, columns = linear_sum_assignment(cost_of[members][:, slots])
        assigned[members[rows]] = slots[columns]
    return assigned


def self_trained_ridge(
    labelled: tuple[Tensor, Tensor],
    validation: tuple[Tensor, Tensor],
    pool: UnlabelledPool,
    num_classes: int,
    alphas: tuple[float, ...],
    class_shares: np.ndarray,
    settings: SelfTraining,
) -> tuple[RidgeFit, dict[str, Any]]:
    """The ridge head of ``settings.rounds`` rounds of self-training from the labelled windows
    (``features, labels``) over ``pool``, each fit's penalty chosen on ``validation``; with ``guard``,
    the labelled-only fit unless the last round's validation accuracy is at least its own. Also a
    report: per round the penalty, validation scores and how many recordings changed class."""
    features, labels = labelled
    fit = start = ridge_classifier(features, labels, num_classes, alphas, *validation)
    groups = pool.recording_group.numpy()
    previous: np.ndarray | None = None
    rounds = []
    for _ in range(settings.rounds):
        probabilities = (pool.features @ fit.weight + fit.bias).softmax(-1)
        mean = group_means(probabilities, pool.recording, pool.recordings).double().numpy()
        pseudo = (
            protocol_assignment(mean, groups, class_shares)
            if settings.assignment == "person"
            else mean.argmax(1)
        )
        window_labels = torch.from_numpy(pseudo)[pool.recording]
        fit = ridge_classifier(
            torch.cat([features, pool.features]),
            torch.cat([labels, window_labels]),
            num_classes,
            alphas,
            *validation,
        )
        rounds.append(
            {
                "alpha": fit.alpha,
                "val_log_loss": fit.val_log_loss,
                "val_accuracy": fit.val_accuracy,
                "changed_recordings": int(len(pseudo) if previous is None else (pseudo != previous).sum()),
                "recordings_per_class": np.bincount(pseudo, minlength=num_classes).tolist(),
            }
        )
        previous = pseudo
    kept = not settings.guard or fit.val_accuracy >= start.val_accuracy
    report = {
        "rounds": rounds,
        "assignment": settings.assignment,
        "unlabelled": {
            "recordings": pool.recordings,
            "windows": len(pool.features),
            "groups": len(np.unique(groups)),
        },
        "labelled_only": {
            "alpha": start.alpha,
            "val_log_loss": start.val_log_loss,
            "val_accuracy": start.val_accuracy,
        },
        "kept": kept,
    }
    return (fit if kept else start), report
