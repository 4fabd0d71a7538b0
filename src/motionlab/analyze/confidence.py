"""Confidence levels of an analysis (seed 003): High > 90 %, Good 75-90 %, Moderate 60-75 %, Low < 60 %.

The score is the product of three shares, each in [0, 1]: frames in which a person was found, the
mean visibility of their body parts, and the model's own confidence (gait: its calibrated confidence
output; workouts: the probability of the exercise it picked), averaged over the analysed windows.
A product, because each can spoil the result on its own. Below Good, a one-line explanation names the
weakest of the three and what to do about it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from motionlab.analyze.features import PoseQuality

LEVELS: tuple[tuple[str, float], ...] = (("High", 0.90), ("Good", 0.75), ("Moderate", 0.60), ("Low", 0.0))


@dataclass(frozen=True)
class Confidence:
    level: str
    score: float
    pose: float
    model: float
    explanation: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def level_of(score: float) -> str:
    """The level of a score in [0, 1]: the first whose threshold it exceeds (Low otherwise)."""
    return next(name for name, threshold in LEVELS if score > threshold or threshold == 0.0)


def assess(quality: PoseQuality, model_confidence: float | None, window_seconds: float) -> Confidence:
    """The confidence of an analysis; ``model_confidence`` is ``None`` when no window could be analysed."""
    pose = quality.detected_share * quality.visibility
    score = pose * (model_confidence or 0.0)
    level = level_of(score)
    explanation = None
    if model_confidence is None:
        explanation = (
            f"no stretch of {window_seconds:g} s with a person in view (a person was found in "
            f"{quality.detected_share:.0%} of the frames): film the whole body, in good light"
        )
    elif level in ("Moderate", "Low"):
        factors = {
            f"a person was found in only {quality.detected_share:.0%} of the frames: keep the whole "
            "body in the picture all along": quality.detected_share,
            f"body parts are often hidden (mean visibility {quality.visibility:.0%}): film from further "
            "away, with the whole body in view and in good light": quality.visibility,
            f"the model is unsure (mean confidence {model_confidence:.0%}): the movement may differ "
            "from what it was trained on": model_confidence,
        }
        explanation = min(factors, key=factors.__getitem__)
    return Confidence(level, round(score, 4), round(pose, 4), round(model_confidence or 0.0, 4), explanation)
