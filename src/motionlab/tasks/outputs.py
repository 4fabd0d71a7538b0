"""A task's outputs, declared once: `Output` says, for each one, the raw name `forward` returns, the
app-facing name, how one becomes the other (both ways), what the last axis's entries are called and
what each means. `MotionTask` derives from the declaration the app outputs, their inverse, the labels
of prediction-file columns and the descriptions that export metadata, model cards and ensembles use.

Transforms take the output and the model's input ``x`` (``[B, T, F]`` raw features), which an output
that is relative to the input (a change from the current joints) needs; most ignore it.

Probabilities of exactly 0 or 1 (a saturated softmax or sigmoid in float32) have no finite inverse;
`softmax_logits` and `sigmoid_logits` clamp them to the nearest representable ones, which the forward
functions map back to within float32 precision of the original.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from motionlab.models.normalizer import Normalizer

#: ``(output, x) → output``: one direction of an output's transform.
Direction = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Transform:
    """Raw → app (``to_app``) and its inverse (``to_raw``): ``to_app(to_raw(app, x), x) == app``."""

    to_app: Direction
    to_raw: Direction


@dataclass(frozen=True)
class Output:
    """One output of a task.

    Attributes:
        raw: the name `forward` gives it (logits, normalised values).
        app: the name `predict_outputs` gives it (probabilities, values in original units).
        transform: raw → app and back.
        raw_description / app_description: one line each, shape and meaning.
        labels: names of the app output's last axis (classes, features, joints, issues), if it has names.
        tabulated: whether prediction files carry it (a column per value); not for an output an app
            computes with rather than reads, such as a per-person model's window features.
    """

    raw: str
    app: str
    transform: Transform
    raw_description: str
    app_description: str
    labels: Sequence[str] | None = None
    tabulated: bool = True


def softmax_logits(probs: Tensor) -> Tensor:
    """Log-probabilities: logits whose softmax is ``probs`` (along the last axis, rows summing to 1)."""
    return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


def sigmoid_logits(probs: Tensor) -> Tensor:
    """Logits whose sigmoid is ``probs``."""
    return torch.logit(probs, eps=torch.finfo(probs.dtype).eps)


#: logits → probabilities over the last axis.
SOFTMAX = Transform(lambda raw, x: raw.softmax(dim=-1), lambda app, x: softmax_logits(app))
#: logits → independent probabilities.
SIGMOID = Transform(lambda raw, x: raw.sigmoid(), lambda app, x: sigmoid_logits(app))


def scaled_sigmoid(scale: float) -> Transform:
    """A logit → ``scale · sigmoid(logit)``, a value in ``[0, scale]``."""
    return Transform(lambda raw, x: scale * raw.sigmoid(), lambda app, x: sigmoid_logits(app / scale))


def window_classes(raw: str, app: str, class_names: Sequence[str], meaning: str) -> Output:
    """A window's class scores ``[B, C]`` → its softmax over ``class_names``, which ``meaning`` names
    (the activity, the exercise)."""
    return Output(
        raw,
        app,
        SOFTMAX,
        "[B, C] raw class scores of the window, C = class_names",
        f"[B, C] softmax over class_names: {meaning}",
        class_names,
    )


#: an output an app reads as it is.
IDENTITY = Transform(lambda raw, x: raw, lambda app, x: app)


def window_features(width: int) -> Output:
    """A window's pooled encoder features ``[B, width]``, as the head reads them before a per-person
    standardisation: an app averages them over a person's windows to calibrate for that person."""
    description = (
        f"[B, {width}] the window's features before per-person standardisation: their mean and standard "
        "deviation over a person's windows are that person's calibration_mean / calibration_std"
    )
    return Output("window_features", "window_features", IDENTITY, description, description, tabulated=False)


def denormalised(normalizer: Normalizer) -> Transform:
    """Normalised values → original units, with a `Normalizer`'s statistics (and back)."""
    return Transform(lambda raw, x: normalizer.inverse(raw), lambda app, x: normalizer(app))
