"""Frame-wise MLP: no mixing across time, hence causal and usable on single frames."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from motionlab.models.encoders.base import Encoder
from motionlab.models.heads import mlp_layers


class MLPEncoder(Encoder):
    """``Linear → activation → Dropout`` per hidden size, applied to every frame independently.

    Maps ``[B, T, input_dim]`` to ``[B, T, hidden_sizes[-1]]``. With ``T = 1`` it is a plain MLP
    policy network (seed 002: hidden layers of 256). Each frame's output depends on that frame alone,
    so the encoder is causal.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_sizes: Sequence[int] = (256, 256),
        dropout: float = 0.0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        sizes = [int(size) for size in hidden_sizes]
        if not sizes:
            raise ValueError("hidden_sizes is empty; give at least one hidden layer size")
        self.layers = nn.Sequential(*mlp_layers(input_dim, sizes, dropout, activation))
        self.output_dim = sizes[-1]
        self.causal = True

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

    def ordered_blocks(self) -> list[nn.Module]:
        """One block per hidden layer (its ``Linear``; activation and dropout have no parameters)."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]
