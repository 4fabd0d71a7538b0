import numpy as np
import pytest
import torch

from motionlab.data.workout.targets import majority_label, positive_ratio_weights, rep_targets


def test_rep_target_is_one_at_start_and_half_at_half_width():
    target = rep_targets(np.array([10, 40]), 60, half_width=4.0)
    assert target[10] == 1.0 and target[40] == 1.0
    np.testing.assert_allclose(target[[6, 14, 36, 44]], 0.5, rtol=1e-6)
    assert target[25] < 1e-4  # 15 frames from the nearest start: exp(-15²/(2σ²)), σ = 4/√(2 ln 2)
    assert rep_targets(np.array([], dtype=np.int64), 5, 4.0).tolist() == [0.0] * 5


def test_majority_label_per_window():
    labels = torch.tensor([[0, 0, 1], [2, 1, 1], [3, 3, 3]])
    assert majority_label(labels).tolist() == [0, 1, 3]


def test_positive_ratio_weights_hit_the_ratio():
    positive = torch.tensor([True] * 10 + [False] * 90)
    weights = positive_ratio_weights(positive, 0.2)
    assert weights[positive].sum().item() / weights.sum().item() == pytest.approx(0.2, rel=1e-12)
    assert torch.equal(
        positive_ratio_weights(torch.zeros(5, dtype=torch.bool), 0.2), torch.ones(5, dtype=torch.double)
    )
