"""A run's CPU threads (``threads`` in configs/train.yaml).

torch runs CPU operations on one thread per core by default. For the small models of this project
the extra threads buy little speed, and on a shared or busy CPU they cost CPU time: a thread waiting
for the others spins. On the real-data benchmark's 2-core machine, a ``model=rocket`` run fitted in
2.3 s of process CPU on one thread and 14.8 s on two (docs/real-data.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from motionlab.errors import ConfigError


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op CPU threads set to ``count`` inside the block and restored after it (a sweep
    runs many trials in one process); ``None`` leaves them as they are."""
    if count is None:
        yield
        return
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError("threads", f"{count!r} is not a number of threads", "use an integer >= 1, or null")
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
