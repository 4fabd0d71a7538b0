"""What a run's fitting phase cost, for ``summary.json`` and the evaluation report.

The phase runs from the in-memory training windows to the best checkpoint: building the task, fitting
a data-dependent encoder and a closed-form head, and ``trainer.fit`` (epochs, validation,
checkpoints). Reading the data before it and testing and reports after it are not part of it, so the
number compares with a classical baseline's fit time (MiniRocket's ``fit_cpu_seconds``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class FitClock:
    """Started when created; `seconds` reads wall and process CPU time (every thread) since then."""

    wall_started: float = field(default_factory=time.perf_counter)
    cpu_started: float = field(default_factory=time.process_time)

    def seconds(self) -> dict[str, float]:
        """``{"fit_seconds": wall, "fit_cpu_seconds": CPU}`` so far, the keys MiniRocket's report uses."""
        return {
            "fit_seconds": round(time.perf_counter() - self.wall_started, 3),
            "fit_cpu_seconds": round(time.process_time() - self.cpu_started, 3),
        }
