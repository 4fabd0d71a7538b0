"""Task heads: MLPs on features and pooling of per-frame features into one vector per window."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}
POOL_MODES = ("mean", "last", "max", "attention")


def mlp_layers(in_dim: int, hidden_sizes: Sequence[int], dropout: float, activation: str) -> list[nn.Module]:
    """``Linear → activation → Dropout`` per hidden size: the part shared by MLPHead and MLPEncoder."""
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; valid activations are {', '.join(map(repr, ACTIVATIONS))}"
        )
    layers: list[nn.Module] = []
    for size in hidden_sizes:
        layers += [nn.Linear(in_dim, size), ACTIVATIONS[activation](), nn.Dropout(dropout)]
        in_dim = size
    return layers


class MLPHead(nn.Sequential):
    """``Linear → activation → Dropout`` per hidden size, then a final ``Linear`` to ``out_dim``.

    Acts on the last axis, so it maps ``[..., in_dim]`` to ``[..., out_dim]``: pooled ``[B, D]`` features
    for window-level tasks, or per-frame ``[B, T, D]`` features for frame-level tasks. Empty
    ``hidden_sizes`` gives a linear head. The output is raw (logits or unbounded values).
    ``input_dropout > 0`` puts a ``Dropout`` on the input first (seed 001's dropout after its last
    LSTM layer).
    """

    def __init__(
        self,
        in_dim: int,
        hidden_sizes: Sequence[int],
        out_dim: int,
        dropout: float = 0.0,
        activation: str = "relu",
        input_dropout: float = 0.0,
    ) -> None:
        sizes = list(hidden_sizes)
        last = sizes[-1] if sizes else in_dim
        first = [nn.Dropout(input_dropout)] if input_dropout > 0 else []
        super().__init__(*first, *mlp_layers(in_dim, sizes, dropout, activation), nn.Linear(last, out_dim))
        self.out_dim = out_dim


class SequencePool(nn.Module):
    """Reduces per-frame features ``[B, T, D]`` to one vector per window ``[B, D]``.

    Modes: ``mean`` and ``max`` over time; ``last`` takes the final frame (the natural choice for a
    causal encoder, whose last frame has seen the whole window; it assumes no right padding);
    ``attention`` is a softmax over time of a learned score ``w · x_t`` (attention pooling), giving a
    weighted mean of the frames.
    """

    def __init__(self, dim: int, mode: str = "mean") -> None:
        super().__init__()
        if mode not in POOL_MODES:
            raise ValueError(
                f"unknown pool mode {mode!r}; valid modes are {', '.join(map(repr, POOL_MODES))}"
            )
        self.mode = mode
        self.score = nn.Linear(dim, 1, bias=False) if mode == "attention" else None

    def attention_weights(self, x: Tensor) -> Tensor:
        """``[B, T]`` pooling weights of ``attention`` mode; each row sums to 1."""
        if self.score is None:
            raise ValueError(f"attention weights exist only in 'attention' mode, not {self.mode!r}")
        return torch.softmax(self.score(x).squeeze(-1), dim=1)

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "mean":
            return x.mean(dim=1)
        if self.mode == "last":
            return x[:, -1]
        if self.mode == "max":
            return x.amax(dim=1)
        return torch.einsum("bt,btd->bd", self.attention_weights(x), x)
