"""``threads``: a run's torch CPU threads, set for the run and restored after it."""

from __future__ import annotations

import pytest
import torch

from motionlab.errors import ConfigError
from motionlab.training.threads import cpu_threads


def test_threads_are_set_inside_the_block_and_restored_after_it():
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), cpu_threads(1):  # restored when the run fails too
        raise RuntimeError("run failed")
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before


@pytest.mark.parametrize("count", [0, -1, 1.5, "2", True])
def test_a_thread_count_that_is_not_a_positive_integer_is_refused(count):
    with (
        pytest.raises(
            ConfigError, match=r"threads: .* is not a number of threads — use an integer >= 1, or null"
        ),
        cpu_threads(count),
    ):
        pass
