"""Pre-norm Transformer encoder over the frames of a window."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from motionlab.models.encoders.attention import causal_mask, check_num_heads
from motionlab.models.encoders.base import Encoder


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the sine/cosine position code of "Attention Is All You Need" to ``[B, T, D]`` inputs.

    The code is computed from the runtime length on every call (only the ``D / 2`` frequencies are
    stored), so any ``T`` works, including a dynamic time axis in an ONNX export. The first ``D / 2``
    features are the sines, the last ``D / 2`` the cosines.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"sinusoidal positional encoding needs an even dimension, got {dim}")
        frequencies = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10_000.0) / dim))
        self.register_buffer("frequencies", frequencies, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        positions = torch.arange(x.shape[1], device=x.device, dtype=self.frequencies.dtype)
        angles = positions.unsqueeze(1) * self.frequencies
        return x + torch.cat((angles.sin(), angles.cos()), dim=-1).to(x.dtype)


class TransformerEncoder(Encoder):
    """Linear projection to ``d_model`` → sinusoidal positions → pre-norm encoder layers → LayerNorm.

    With ``causal=True`` frame ``t`` attends only to frames ``<= t``. The mask is passed together with
    ``is_causal=True``: the hint spares PyTorch a data-dependent check of the mask (which would break
    export) and the explicit mask keeps the eval fast path (``torch._transformer_encoder_layer_fwd``,
    taken in eval mode without autograd) causal too. That fast path computes the same function as the
    regular path up to float rounding; both are deterministic.
    """

    def __init__(
        self,
        input_dim: int,
        d_model: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        causal: bool = False,
    ) -> None:
        super().__init__()
        check_num_heads(d_model, num_heads)
        self.input_projection = nn.Linear(input_dim, d_model)
        self.positional_encoding = SinusoidalPositionalEncoding(d_model)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model,
            num_heads,
            dim_feedforward,
            dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.output_dim = d_model
        self.causal = causal

    def forward(self, x: Tensor) -> Tensor:
        h = self.dropout(self.positional_encoding(self.input_projection(x)))
        if self.causal:
            return self.encoder(h, mask=causal_mask(h.shape[1], h.device), is_causal=True)
        return self.encoder(h)

    def ordered_blocks(self) -> list[nn.Module]:
        """The input projection, then one block per encoder layer; the final LayerNorm belongs to the
        last layer's block (it only rescales that layer's output)."""
        *layers, last = self.encoder.layers
        return [self.input_projection, *layers, nn.ModuleList([last, self.encoder.norm])]
