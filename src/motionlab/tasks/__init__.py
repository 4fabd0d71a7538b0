"""One LightningModule per task; every task works with any encoder."""

from motionlab.tasks.base import MotionTask
from motionlab.tasks.classify import ClassifyTask
from motionlab.tasks.forecast import ForecastTask
from motionlab.tasks.gait import GaitTask
from motionlab.tasks.imitation import ImitationTask
from motionlab.tasks.pretrain import PretrainTask, SelfSupervisedTask
from motionlab.tasks.transform_pretrain import TransformPretrainTask
from motionlab.tasks.workout import WorkoutTask

__all__ = [
    "ClassifyTask",
    "ForecastTask",
    "GaitTask",
    "ImitationTask",
    "MotionTask",
    "PretrainTask",
    "SelfSupervisedTask",
    "TransformPretrainTask",
    "WorkoutTask",
]
