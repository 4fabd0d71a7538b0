"""Per-group standardisation of window features: each split group's (person's) windows by that group's
own mean and spread, so that a head reads how a window differs from its person's usual.

People differ in how they move and wear a sensor more than a few labelled people can show a head:
with one labelled person, a ridge head on the IMU recipe's features standardised per person scored
+5.9 (`shoulder_exercises`) and +7.9 (`smartphone_activities`) window-accuracy points over the same
head on features standardised once for everyone, over six seeds on held-out people
(bench/screens/selftrain_screen.md). No label is read: a person's statistics come from that person's
own windows, the evaluated (new) people's included, as an app calibrates on a user's own recordings.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: the smallest spread a feature is divided by: a feature constant over a group's windows (a PPV that
#: never fires for that person) is 0 after centring, not a division by zero.
MIN_STD = 1e-6


def group_means(features: Tensor, groups: Tensor, num_groups: int) -> Tensor:
    """``features [N, D]`` and each row's group ``groups [N]`` (codes ``0..num_groups-1``) → each
    group's mean ``[num_groups, D]`` (0 for a group without rows). Scatter-added, no loop."""
    counts = torch.bincount(groups, minlength=num_groups).unsqueeze(1).to(features.dtype)
    sums = features.new_zeros(num_groups, features.shape[1]).index_add_(0, groups, features)
    return sums / counts.clamp_min(1)


def group_moments(features: Tensor, groups: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    """Each group's `group_means` and standard deviation ``[num_groups, D]`` (population, floored at
    `MIN_STD`; a group without rows gets mean 0 and spread 1). Scatter-added, no loop over groups or
    rows."""
    mean = group_means(features, groups, num_groups)
    std = group_means((features - mean[groups]) ** 2, groups, num_groups).sqrt().clamp_min(MIN_STD)
    empty = torch.bincount(groups, minlength=num_groups).unsqueeze(1) == 0
    return mean, torch.where(empty, torch.ones_like(std), std)


def standardized_by_group(features: Tensor, groups: Tensor) -> Tensor:
    """``features [N, D]`` with each group's rows standardised by that group's own `group_moments`."""
    mean, std = group_moments(features, groups, int(groups.max()) + 1 if len(groups) else 0)
    return (features - mean[groups]) / std[groups]
