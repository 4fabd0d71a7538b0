"""Inverses of the squashing functions in the tasks' `app_outputs`, for `MotionTask.raw_outputs`.

Probabilities of exactly 0 or 1 (a saturated softmax or sigmoid in float32) have no finite inverse;
they are clamped to the nearest representable ones, which the forward functions map back to within
float32 precision of the original.
"""

from __future__ import annotations

import torch
from torch import Tensor


def softmax_logits(probs: Tensor) -> Tensor:
    """Log-probabilities: logits whose softmax is ``probs`` (along the last axis, rows summing to 1)."""
    return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


def sigmoid_logits(probs: Tensor) -> Tensor:
    """Logits whose sigmoid is ``probs``."""
    return torch.logit(probs, eps=torch.finfo(probs.dtype).eps)
