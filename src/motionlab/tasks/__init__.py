"""One LightningModule per task; every task works with any encoder."""

from motionlab.tasks.base import MotionTask
from motionlab.tasks.gait import GaitTask
from motionlab.tasks.workout import WorkoutTask

__all__ = ["GaitTask", "MotionTask", "WorkoutTask"]
