"""One LightningModule per task; every task works with any encoder."""

from motionlab.tasks.base import MotionTask
from motionlab.tasks.forecast import ForecastTask
from motionlab.tasks.workout import WorkoutTask

__all__ = ["ForecastTask", "MotionTask", "WorkoutTask"]
