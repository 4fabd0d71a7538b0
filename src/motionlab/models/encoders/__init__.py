"""Sequence encoders: ``[B, T, input_dim] -> [B, T, output_dim]``, interchangeable under any task."""

from motionlab.models.encoders.base import Encoder
from motionlab.models.encoders.mlp import MLPEncoder
from motionlab.models.encoders.recurrent import RecurrentEncoder
from motionlab.models.encoders.rocket import RocketEncoder
from motionlab.models.encoders.tcn import TCNEncoder
from motionlab.models.encoders.transformer import TransformerEncoder

__all__ = ["Encoder", "MLPEncoder", "RecurrentEncoder", "RocketEncoder", "TCNEncoder", "TransformerEncoder"]
