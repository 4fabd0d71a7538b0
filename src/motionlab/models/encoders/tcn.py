"""Temporal convolutional network: dilated residual Conv1d blocks, optionally followed by self-attention."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from motionlab.models.encoders.attention import SelfAttentionBlock
from motionlab.models.encoders.base import Encoder


class TemporalBlock(nn.Module):
    """Dilated Conv1d → LayerNorm over channels → GELU → Dropout, plus the residual, on ``[B, T, C]``.

    The ``dilation * (kernel_size - 1)`` frames of padding go half on each side ("same") or all on
    the left (causal), so the output keeps the input length either way.
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float, causal: bool) -> None:
        super().__init__()
        total = dilation * (kernel_size - 1)
        self.padding = (total, 0) if causal else (total // 2, total - total // 2)
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.norm = nn.LayerNorm(channels)
        self.activation = nn.GELU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(F.pad(x.transpose(1, 2), self.padding)).transpose(1, 2)
        return x + self.dropout(self.activation(self.norm(h)))


class TCNEncoder(Encoder):
    """Residual dilated TCN (seed 004: 8 blocks, kernel 3, dilation doubling, 128 filters, dropout 0.25,
    then 4-head self-attention).

    A per-frame linear projection (a 1×1 convolution) maps ``input_dim`` to ``channels``; block ``i``
    uses dilation ``dilation_growth ** i``. ``attention_heads=0`` drops the attention layer.

    With ``causal=True`` the convolutions are padded on the left only and the attention is masked, so
    the output at frame ``t`` depends only on frames ``<= t``.

    Window length versus dilation: a block whose dilation is at least the window length ``T`` finds
    every off-centre tap outside the window, i.e. it only sees padding on both sides and acts as a
    per-frame layer. With the default 8 blocks (dilations 1 … 128, a nominal receptive field of
    511 frames) and 30-frame windows, the blocks with dilation 32, 64 and 128 are such per-frame layers.
    """

    def __init__(
        self,
        input_dim: int,
        channels: int = 128,
        num_blocks: int = 8,
        kernel_size: int = 3,
        dilation_growth: int = 2,
        dropout: float = 0.25,
        attention_heads: int = 4,
        causal: bool = False,
    ) -> None:
        super().__init__()
        self.input_projection = nn.Linear(input_dim, channels)
        self.blocks = nn.Sequential(
            *(
                TemporalBlock(channels, kernel_size, dilation_growth**i, dropout, causal)
                for i in range(num_blocks)
            )
        )
        self.attention = (
            SelfAttentionBlock(channels, attention_heads, dropout, causal)
            if attention_heads
            else nn.Identity()
        )
        self.output_dim = channels
        self.causal = causal

    def forward(self, x: Tensor) -> Tensor:
        return self.attention(self.blocks(self.input_projection(x)))

    def ordered_blocks(self) -> list[nn.Module]:
        """The input projection, each temporal block, then the attention layer (when there is one)."""
        attention = [] if isinstance(self.attention, nn.Identity) else [self.attention]
        return [self.input_projection, *self.blocks, *attention]
