"""Self-attention shared by the encoders that end with an attention layer (TCN, recurrent)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def check_num_heads(dim: int, num_heads: int) -> None:
    """Raise a ValueError naming both numbers when ``num_heads`` cannot split ``dim`` evenly."""
    if num_heads < 1 or dim % num_heads:
        raise ValueError(
            f"num_heads={num_heads} must be a positive divisor of the attention dimension {dim} "
            f"(each head gets dim / num_heads features)"
        )


def causal_mask(length: int, device: torch.device) -> Tensor:
    """Boolean ``[length, length]`` mask, True where query frame ``i`` must not see key frame ``j > i``.

    Built with tensor ops from the runtime length (no cached buffer), so it follows any sequence
    length, including a symbolic one during ``torch.onnx.export(dynamo=True)``.
    """
    frames = torch.arange(length, device=device)
    return frames.unsqueeze(0) > frames.unsqueeze(1)


class SelfAttentionBlock(nn.Module):
    """Multi-head self-attention with a residual connection and post-LayerNorm: ``[B, T, D] -> [B, T, D]``.

    When ``causal``, frame ``t`` attends only to frames ``<= t``, so the block keeps a causal encoder causal.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False) -> None:
        super().__init__()
        check_num_heads(dim, num_heads)
        self.causal = causal
        self.attention = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        mask = causal_mask(x.shape[1], x.device) if self.causal else None
        attended, _ = self.attention(x, x, x, attn_mask=mask, need_weights=False)
        return self.norm(x + self.dropout(attended))
