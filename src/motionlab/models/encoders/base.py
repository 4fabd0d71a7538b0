"""The contract every encoder follows, so any encoder works under any task head."""

from __future__ import annotations

from torch import Tensor, nn


class Encoder(nn.Module):
    """Maps a batch of windows ``[B, T, input_dim]`` to per-frame features ``[B, T, output_dim]``.

    Subclasses take ``input_dim`` as their first constructor argument (the task passes it once the
    data is known) and set ``output_dim``. ``causal`` is True when the feature at frame ``t`` depends
    only on frames ``<= t`` (streaming use); ``dynamic_time`` is True when the encoder accepts any
    sequence length, not only the training window. ``fits_data`` is True when the encoder has
    buffers fitted from training windows (`fit_to_data`) before training starts.
    """

    output_dim: int
    causal: bool = False
    dynamic_time: bool = True
    fits_data: bool = False
    fit_windows: int = 0

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def mean_pool(self, x: Tensor) -> Tensor:
        """``[B, T, input_dim]`` → the mean of the per-frame features over the frames, ``[B, output_dim]``
        (what a mean-pooled task head reads). An encoder may compute it without the ``[B, T, H]``
        features (`RocketEncoder`)."""
        return self(x).mean(dim=1)

    def fit_to_data(self, x: Tensor) -> Tensor | None:
        """Fit data-dependent buffers from training windows ``[N, T, input_dim]`` as the encoder sees
        them (normalised), at most ``fit_windows`` of them; called once before training. Nothing by
        default.

        Returns the fitted encoder's `mean_pool` of ``x`` ``[N, output_dim]`` when the fit computed
        it on the way (`RocketEncoder`'s standardisation is fitted on those very features), else
        ``None``: a head fitted next on the same windows (``head_fit: ridge``) then reuses it."""

    def ordered_blocks(self) -> list[nn.Module]:
        """The encoder's layers in order, input side first: the units that fine-tuning freezes (the
        first N) and unfreezes again (from the output side). Every parameter belongs to exactly one
        block; ``ordered_blocks()[0]`` is the layer that reads the input features."""
        raise NotImplementedError
