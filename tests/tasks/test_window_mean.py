"""WindowMean: the epoch mean of per-batch loss means, weighted by each batch's windows."""

from __future__ import annotations

import math

import torch

from motionlab.tasks.base import WindowMean


def test_batches_weigh_by_their_windows_and_nan_stays_nan():
    mean = WindowMean()
    mean.update(torch.tensor(1.0), 1)
    mean.update(torch.tensor(3.0, dtype=torch.bfloat16), 3)
    assert mean.compute().item() == 2.5 and mean.compute().dtype == torch.float32
    mean.update(torch.tensor(float("nan")), 2)
    assert math.isnan(mean.compute().item())
    mean.reset()
    mean.update(torch.tensor(4.0), 2)
    assert mean.compute().item() == 4.0
