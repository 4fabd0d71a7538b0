"""LSTM / GRU encoders, uni- or bidirectional, with an optional self-attention layer on top."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from motionlab.models.encoders.attention import SelfAttentionBlock
from motionlab.models.encoders.base import Encoder

CELLS: dict[str, type[nn.LSTM] | type[nn.GRU]] = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentEncoder(Encoder):
    """Stacked LSTM or GRU over the window, one feature vector per frame.

    ``hidden_size`` sets the layers in one of two ways:

    * an int: ``num_layers`` identical layers (seed 000: hidden 64, 2 layers, dropout 0.2);
    * a list: one layer per entry, so sizes may differ (seed 001: ``[128, 64]``). The list already says
      how many layers there are, so ``num_layers`` must be ``None`` or equal to its length; any other
      value raises rather than being silently ignored.

    ``dropout`` follows ``nn.LSTM``'s convention: it is applied between recurrent layers, not after the
    last one, so the int form computes exactly what ``nn.LSTM(num_layers=...)`` computes and
    ``hidden_size=[64, 64]`` equals ``hidden_size=64, num_layers=2``. (Seed 001's Keras stack also drops
    the last layer's output; that belongs to the head.)

    Each layer is its own single-layer ``nn.LSTM``/``nn.GRU`` module, even in the int form: with a
    multi-layer GRU or bidirectional LSTM module, ``torch.export`` specializes the time axis to the
    example's length, which breaks ONNX export with a dynamic time axis.

    ``bidirectional`` doubles the output size (seed 003: BiLSTM, 3 layers of 256, dropout 0.3, then 8
    attention heads) and makes the encoder non-causal. ``attention_heads > 0`` adds a
    :class:`SelfAttentionBlock` after the RNN, causally masked when the RNN is unidirectional so the
    whole encoder stays causal; the heads must divide the output size.
    """

    def __init__(
        self,
        input_dim: int,
        cell: str = "lstm",
        hidden_size: int | Sequence[int] = 64,
        num_layers: int | None = 2,
        bidirectional: bool = False,
        dropout: float = 0.2,
        attention_heads: int = 0,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; valid cells are {', '.join(map(repr, sorted(CELLS)))}")
        rnn = CELLS[cell]
        directions = 2 if bidirectional else 1
        if isinstance(hidden_size, int):
            if num_layers is None or num_layers < 1:
                raise ValueError(
                    f"num_layers must be a positive int with an int hidden_size, got {num_layers}"
                )
            sizes = [hidden_size] * num_layers
        else:
            sizes = [int(size) for size in hidden_size]
            if not sizes:
                raise ValueError("hidden_size is an empty list; give at least one layer size")
            if num_layers is not None and num_layers != len(sizes):
                raise ValueError(
                    f"hidden_size={sizes} defines {len(sizes)} layers but num_layers={num_layers}; "
                    f"set num_layers to {len(sizes)} or null"
                )
        inputs = [input_dim] + [directions * size for size in sizes[:-1]]
        self.rnns = nn.ModuleList(
            rnn(n_in, size, batch_first=True, bidirectional=bidirectional)
            for n_in, size in zip(inputs, sizes, strict=True)
        )
        self.dropout = nn.Dropout(dropout)
        self.output_dim = directions * sizes[-1]
        self.causal = not bidirectional
        self.attention = (
            SelfAttentionBlock(self.output_dim, attention_heads, dropout, causal=self.causal)
            if attention_heads
            else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        for index, rnn in enumerate(self.rnns):
            if index:
                x = self.dropout(x)
            x, _ = rnn(x)
        return self.attention(x)

    def ordered_blocks(self) -> list[nn.Module]:
        """One block per recurrent layer (both directions of a bidirectional layer together), then
        the attention layer (when there is one)."""
        attention = [] if isinstance(self.attention, nn.Identity) else [self.attention]
        return [*self.rnns, *attention]
