"""Fixed random convolutions (MiniRocket-style, Dempster et al. 2021) as a per-frame encoder.

The kernels are not trained: 84 kernels of 9 taps (weight -1 everywhere and +2 on three taps, every
choice of three), each at a set of exponentially spaced dilations and over a random subset of the
input channels (summed), give ``84 × dilations`` convolution outputs. Each output is compared with
a few biases, quantiles of that output on a training window, so feature ``h`` at frame ``t`` is the
indicator ``conv_h(x)[t] > bias_h``. Its mean over a window is MiniRocket's PPV feature (the
proportion of positive values): under a mean-pooled task head, only the linear head trains.

Per-feature standardisation (the PPVs' mean and standard deviation over the training windows) is
applied per frame, so the mean-pooled features are standardised PPVs — what MiniRocket's ridge
classifier sees — and a linear head with weight decay on them is a ridge-like classifier.

Everything the encoder computes with is a buffer (kernels, dilated-convolution channel masks,
biases, standardisation): fitted once from training windows (`fit_to_data`), saved in every
checkpoint and baked into the exported ONNX graph (Conv, Gather, Greater, Cast, Sub, Div).

MultiRocket's additions (Tan et al. 2022), both optional: more pooling operators of each convolution
and bias (``pools``: ``mpv``, the mean of the output's excess over the bias where it is above;
``mipv``, the mean position of those frames in the window) and the same kind of features of the
first difference of the input (``first_difference``: a second encoder with its own channel subsets
and biases reads ``x[t+1] - x[t]``). These are window statistics, not frame means: such an encoder has
only `mean_pool`, no per-frame features.

Differences from MiniRocket: every convolution is zero-padded to the window length ("same"), so
each frame has a feature (MiniRocket leaves half of its features unpadded); channels are combined
with one multichannel convolution per dilation; the kernel layout is motionlab's own.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from motionlab.errors import ConfigError
from motionlab.models.encoders.base import Encoder

TAPS = 9
BASE_KERNELS = 84  # every choice of the three +2 taps among 9
# Windows convolved at once while fitting the standardisation: bounds memory to about
# FIT_CHUNK × frames × (one dilation's features) × 4 bytes, the comparisons of one dilation.
FIT_CHUNK = 32
GOLDEN_RATIO = (1 + math.sqrt(5)) / 2
POOLS = ("ppv", "mpv", "mipv")  # MultiRocket's pooling operators, less the longest stretch (no ONNX cummax)


def base_kernels() -> Tensor:
    """``[84, 9]``: -1 on every tap, +2 on three of them (each sums to 0: a constant signal gives 0)."""
    weights = -torch.ones(BASE_KERNELS, TAPS)
    for row, taps in enumerate(itertools.combinations(range(TAPS), 3)):
        weights[row, list(taps)] = 2.0
    return weights


def dilation_steps(num_features: int, receptive_field: int, max_dilations: int) -> tuple[list[int], int]:
    """The dilation of each convolution step and the biases per convolution.

    ``min(num_features // 84, max_dilations)`` steps, exponentially spaced from dilation 1 up to the
    largest whose 9 taps span ``receptive_field`` frames, rounded down: small dilations recur, so
    fine detail gets more convolutions (each with its own channels and biases) than coarse shape,
    as MiniRocket gives them more features. Every step has ``num_features // 84 // steps`` biases.
    """
    per_kernel = max(num_features // BASE_KERNELS, 1)
    steps = min(per_kernel, max_dilations)
    top = math.log2(max((receptive_field - 1) / (TAPS - 1), 1.0))
    exponents = torch.linspace(0, top, steps, dtype=torch.float64)
    return torch.floor(2**exponents).long().tolist(), per_kernel // steps


class DistinctBlock(NamedTuple):
    """``distinct`` convolutions at one dilation, each the output of ``features // biases``
    convolutions: compared with ``features`` biases each (`RocketEncoder.statistics`)."""

    dilation: int
    distinct: int
    features: int


class RocketEncoder(Encoder):
    """Fixed dilated convolutions → per-frame indicators ``[B, T, H]`` whose window mean is MiniRocket's
    PPV feature (standardised when ``standardize``); with more ``pools`` or ``first_difference``, only
    the window features ``[B, output_dim]`` (`mean_pool`).

    Args:
        input_dim: input channels.
        num_features: ``H``, rounded down to ``84 × steps × biases`` (see `dilation_steps`).
        receptive_field: frames spanned by the largest dilation's 9 taps; set it to the window length.
        max_dilations: the most dilation steps between 1 and the largest (MiniRocket: 32).
        seed: the kernels' channel subsets and the biases' fitting windows follow from it.
        standardize: subtract the training PPVs' mean and divide by their standard deviation.
        fit_windows: how many training windows (at most) the run fits the biases and the
            standardisation on (every one when the task fits its head in closed form).
        pools: the window statistics of each convolution and bias, in this order (`POOLS`):
            ``output_dim`` is ``H × len(pools)``, pool-major.
        first_difference: add the same kind of features of the input's first difference.
        difference_features: how many of them (``num_features`` when ``None``: doubles
            ``output_dim``).
    """

    fits_data = True

    def __init__(
        self,
        input_dim: int,
        num_features: int = 10_000,
        receptive_field: int = 64,
        max_dilations: int = 32,
        seed: int = 0,
        standardize: bool = True,
        fit_windows: int = 2048,
        pools: Sequence[str] = ("ppv",),
        first_difference: bool = False,
        difference_features: int | None = None,
    ) -> None:
        super().__init__()
        if receptive_field < 1 or max_dilations < 1 or fit_windows < 1:
            raise ValueError(
                "receptive_field, max_dilations and fit_windows must be at least 1, got "
                f"{receptive_field}, {max_dilations}, {fit_windows}"
            )
        self.pools = tuple(pools)
        if not self.pools or len(set(self.pools)) < len(self.pools) or not set(self.pools) <= set(POOLS):
            raise ConfigError(
                "model.pools", f"{list(pools)}", f"name each of {list(POOLS)} at most once, at least one"
            )
        steps, self.biases = dilation_steps(num_features, receptive_field, max_dilations)
        self.seed, self.standardize, self.fit_windows = seed, standardize, fit_windows
        self.convolutions_count = BASE_KERNELS * len(steps)
        # consecutive steps of one dilation share a convolution call
        dilations, repeats = torch.unique_consecutive(torch.tensor(steps), return_counts=True)
        self.dilations = dilations.tolist()
        self.rows = (repeats * BASE_KERNELS).tolist()
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("weight", self._kernels(input_dim, self.convolutions_count, generator))
        self.register_buffer("bias", torch.zeros(self.convolutions_count, self.biases))
        statistics = (len(self.pools) * self.convolutions_count, self.biases)  # pool-major
        self.register_buffer("mean", torch.zeros(statistics))
        self.register_buffer("std", torch.ones(statistics))
        self.output_dim = statistics[0] * statistics[1]
        self._plan_distinct_convolutions()
        self.register_load_state_dict_post_hook(_plan_after_loading)
        self.difference = None
        if first_difference:
            self.difference = RocketEncoder(
                input_dim,
                num_features if difference_features is None else difference_features,
                receptive_field,
                max_dilations,
                seed + 1,
                standardize,
                fit_windows,
                pools,
            )
            self.output_dim += self.difference.output_dim

    def _plan_distinct_convolutions(self) -> None:
        """Group the convolutions that compute the same output, for `statistics`.

        Repeats of a dilation (consecutive steps) give each base kernel a new channel subset; on
        one-channel data every subset is the same, so such a dilation's ``84 × repeats`` convolutions
        have only 84 distinct outputs (on ``gun_point``, 1,176 of 2,688). Per dilation, the distinct
        convolutions (identical ``weight`` rows) are grouped by how many convolutions share them
        (`DistinctBlock`), and `statistics` computes each once and compares it with the biases of
        all its copies. Derived from ``weight`` alone (again whenever a state dict loads), so the
        features, their order and the checkpoint's buffers stay as they are.

        Sets ``blocks`` and two non-persistent buffers in block order: ``distinct_rows`` (the
        ``weight`` row of each distinct convolution) and ``feature_order`` (the feature of each of
        `statistics`' counts: per block, ``copies × biases`` rows of its ``distinct`` convolutions);
        ``feature_position`` inverts ``feature_order``.
        """
        blocks, distinct_rows, feature_order = [], [], []
        device = self.weight.device
        starts = itertools.accumulate([0, *self.rows[:-1]])
        for start, weight, dilation in zip(starts, self.weight.split(self.rows), self.dilations, strict=True):
            _, inverse, counts = torch.unique(
                weight.flatten(1), dim=0, return_inverse=True, return_counts=True
            )
            members = start + inverse.argsort(stable=True)  # each distinct row's copies together, in order
            first = counts.cumsum(0) - counts
            for copies in counts.unique().tolist():
                chosen = first[counts == copies]
                convolutions = members[
                    chosen[:, None] + torch.arange(copies, device=device)
                ]  # [distinct, copies]
                features = convolutions[:, :, None] * self.biases + torch.arange(self.biases, device=device)
                blocks.append(DistinctBlock(dilation, len(chosen), copies * self.biases))
                distinct_rows.append(convolutions[:, 0])
                feature_order.append(features.flatten(1).T.flatten())
        self.blocks = blocks
        order = torch.cat(feature_order)
        self.register_buffer("distinct_rows", torch.cat(distinct_rows), persistent=False)
        self.register_buffer("feature_order", order, persistent=False)
        self.register_buffer("feature_position", order.argsort(), persistent=False)

    @staticmethod
    def _kernels(input_dim: int, combinations: int, generator: torch.Generator) -> Tensor:
        """``[combinations, input_dim, 9]``: the base kernels (repeated per step) on a random subset of
        1 … min(input_dim, 9) channels each, log-uniformly many as in MiniRocket."""
        most = min(input_dim, TAPS)
        counts = (2 ** (torch.rand(combinations, generator=generator) * math.log2(most + 1))).long()
        counts = counts.clamp(1, most)
        ranks = torch.rand(combinations, input_dim, generator=generator).argsort(dim=1).argsort(dim=1)
        mask = (ranks < counts[:, None]).float()
        kernels = base_kernels().repeat(combinations // BASE_KERNELS, 1)
        return mask[:, :, None] * kernels[:, None, :]

    def convolutions(self, x: Tensor) -> Tensor:
        """``[B, T, input_dim]`` → every convolution's output ``[B, T, 84 × steps]``, zero-padded to the
        window length.

        Each dilation's 9 taps are gathered as shifted slices and multiplied with all its kernels at
        once (one matrix product, frames-major, so the comparison in `forward` needs no copy): on a
        CPU several times faster than ``conv1d`` with 9-tap dilated kernels over one input channel.
        """
        return torch.cat(list(self._dilation_convolutions(x)), dim=2)

    def _dilation_convolutions(self, x: Tensor) -> Iterator[Tensor]:
        """Each dilation's convolution outputs ``[B, T, rows]`` in turn (`convolutions` concatenated)."""
        weights = self.weight.to(x.dtype).split(self.rows)
        for weight, d in zip(weights, self.dilations, strict=True):
            yield dilated_taps(x, d) @ weight.flatten(1).T  # [B, T, C × 9] @ [C × 9, kernels]

    def forward(self, x: Tensor) -> Tensor:
        if self.pools != ("ppv",) or self.difference is not None:
            raise ConfigError(
                "model",
                f"per-frame features of a rocket encoder with pools {list(self.pools)} and first_difference "
                f"{self.difference is not None}: its features are window statistics",
                "use mean pooling (task.pool=mean, a window classifier), or model.pools=[ppv] with "
                "model.first_difference=false",
            )
        above = self.convolutions(x).unsqueeze(-1) > self.bias  # [B, T, convolutions, biases]
        # standardised indicator in one pass: (1 - mean) / std where above, -mean / std elsewhere
        high, low = (1 - self.mean) / self.std, -self.mean / self.std
        return torch.where(above, high.to(x.dtype), low.to(x.dtype)).flatten(2)

    def mean_pool(self, x: Tensor) -> Tensor:
        """The window features ``[B, output_dim]``: the standardised `statistics` (with ``pools: [ppv]``
        the window mean of `forward`'s features), counted one dilation at a time without the
        ``[B, T, H]`` indicators (about 4× less CPU on ``gun_point``), then the first difference's."""
        features = self.standardized(self.statistics(x))
        if self.difference is None:
            return features
        return torch.cat([features, self.difference.mean_pool(first_difference(x))], dim=1)

    def statistics(self, x: Tensor) -> Tensor:
        """``[B, T, input_dim]`` → the unstandardised window statistics ``[B, len(pools) × H]``, pool-major:
        per feature (convolution and bias), ``ppv`` the share of frames whose convolution output is above
        the bias, ``mpv`` the mean excess over the bias on those frames, ``mipv`` their mean position in
        the window (0 … 1; -1 when there are none, as MultiRocket's).

        Each distinct convolution is computed once (`_plan_distinct_convolutions`) and compared with
        the biases of all its copies at once (``[B, T, copies × biases, distinct]``, the distinct
        outputs innermost, so the comparison broadcasts them without a copy): the same counts as
        comparing every convolution's own output, in a third of the CPU on one channel (259 windows
        of ``gun_point``'s shape, 64 at a time; docs/real-data.md). The comparisons take 4 bytes per
        window, frame and feature of a dilation, and the CPU per window grows with them (batches of
        256 such windows: 3× that of 64), so count many windows a few dozen at a time.
        """
        frames = x.shape[1]
        weights = self.weight.to(x.dtype)[self.distinct_rows].flatten(1)
        biases = self.bias.to(x.dtype).flatten()[self.feature_order]
        if "mipv" in self.pools:
            positions = torch.arange(frames, dtype=x.dtype, device=x.device) / max(frames - 1, 1)
        statistics = []
        for block, weight, bias in zip(
            self.blocks,
            weights.split([block.distinct for block in self.blocks]),
            biases.split([block.distinct * block.features for block in self.blocks]),
            strict=True,
        ):
            outputs = dilated_taps(x, block.dilation) @ weight.T  # [B, T, distinct]
            bias = bias.view(block.features, block.distinct)
            # 1.0 / 0.0 written in x's dtype (exact counts under autocast too): 3× less CPU than a bool
            # mask cast for the sum
            above = x.new_empty(*outputs.shape[:2], block.features, block.distinct)
            torch.gt(outputs.unsqueeze(2), bias, out=above)
            count = above.sum(dim=1)  # [B, features, distinct]
            pooled = {"ppv": count / frames}
            if "mpv" in self.pools:  # the outputs summed where above, less the bias once per such frame
                excess = (above * outputs.unsqueeze(2)).sum(dim=1) - bias * count
                pooled["mpv"] = excess / count.clamp(min=1)
            if "mipv" in self.pools:  # positions @ [B, T, features × distinct]: a product, no copy
                mean_position = (positions @ above.flatten(2)).view_as(count) / count.clamp(min=1)
                pooled["mipv"] = torch.where(count > 0, mean_position, -torch.ones_like(mean_position))
            statistics.append(torch.stack([pooled[pool].flatten(1) for pool in self.pools], dim=1))
        return torch.cat(statistics, dim=2)[:, :, self.feature_position].flatten(1)

    def standardized(self, statistics: Tensor) -> Tensor:
        """Unstandardised `statistics` ``[B, len(pools) × H]`` → this encoder's standardised features."""
        return (statistics - self.mean.to(statistics.dtype).flatten()) / self.std.to(
            statistics.dtype
        ).flatten()

    @torch.no_grad()
    def fit_to_data(self, x: Tensor) -> Tensor | None:
        """Fit the biases and the standardisation on normalised training windows ``[N, T, input_dim]``
        (and the first difference's encoder on their first differences); with ``standardize``, return
        their `mean_pool` features ``[N, output_dim]`` (`Encoder.fit_to_data`).

        A convolution's biases are quantiles of its output on one training window chosen at random
        (MiniRocket's recipe), at levels of a low-discrepancy sequence (``h × golden ratio mod 1``
        for feature ``h``), so one convolution's features spread over its range. The
        standardisation is fitted on the windows' `statistics`, which standardised are the
        windows' features: returned, so that a head fitted next on the same windows
        (``head_fit: ridge``) does not compute them again.
        """
        generator = torch.Generator().manual_seed(self.seed + 1)
        chosen = torch.randint(len(x), (self.convolutions_count,), generator=generator)
        outputs = own_window_convolutions(x[chosen], self.weight.to(x.dtype), self.dilations, self.rows)
        features = torch.arange(1, self.bias.numel() + 1, dtype=torch.float64)
        levels = ((features * GOLDEN_RATIO) % 1).to(outputs.dtype).view_as(self.bias)
        self.bias.copy_(row_quantiles(outputs, levels))
        self.mean.zero_()
        self.std.fill_(1.0)
        difference = None if self.difference is None else self.difference.fit_to_data(first_difference(x))
        if not self.standardize:
            return None
        statistics = torch.cat([self.statistics(chunk) for chunk in x.split(FIT_CHUNK)])
        self.mean.copy_(statistics.mean(dim=0).view_as(self.mean))
        std = statistics.std(dim=0, correction=0).view_as(self.std)
        self.std.copy_(torch.where(std > 0, std, torch.ones_like(std)))
        features = self.standardized(statistics)
        return features if difference is None else torch.cat([features, difference], dim=1)

    def ordered_blocks(self) -> list[nn.Module]:
        """One block (the encoder has buffers, no parameters: nothing to freeze or unfreeze)."""
        return [self]


def _plan_after_loading(encoder: RocketEncoder, _incompatible_keys: object) -> None:
    """Plan the distinct convolutions of the ``weight`` a state dict has just loaded."""
    encoder._plan_distinct_convolutions()


def first_difference(x: Tensor) -> Tensor:
    """``[B, T, C]`` → ``[B, T - 1, C]``: each frame minus the one before it."""
    return x[:, 1:] - x[:, :-1]


def dilated_taps(x: Tensor, dilation: int) -> Tensor:
    """``[B, T, C]`` → ``[B, T, C × 9]``: the 9 taps of a ``dilation``-spaced kernel at every frame,
    zero-padded to the window length (a matrix product with ``[C × 9, kernels]`` convolves)."""
    frames, pad = x.shape[1], (TAPS - 1) * dilation // 2
    padded = F.pad(x, (0, 0, pad, pad))
    taps = [padded[:, j * dilation : j * dilation + frames] for j in range(TAPS)]
    return torch.stack(taps, dim=-1).flatten(2)


def own_window_convolutions(windows: Tensor, weight: Tensor, dilations: list[int], rows: list[int]) -> Tensor:
    """``[K, T]``: convolution ``k`` (``weight [K, C, 9]``) on its own window ``windows[k]`` (``[K, T, C]``),
    as one grouped convolution per dilation (``rows`` convolutions each)."""
    outputs = []
    for part, kernels, d in zip(windows.split(rows), weight.split(rows), dilations, strict=True):
        signal = part.transpose(1, 2).reshape(1, -1, part.shape[1])  # window k's channels → group k
        outputs.append(
            F.conv1d(signal, kernels, dilation=d, padding=(TAPS - 1) * d // 2, groups=len(part))[0]
        )
    return torch.cat(outputs)


def row_quantiles(rows: Tensor, levels: Tensor) -> Tensor:
    """``[R, L]``: quantiles ``levels[r]`` of ``rows[r]`` (``[R, T]``), linearly interpolated as
    ``torch.quantile`` does."""
    ordered = rows.sort(dim=1).values
    position = levels * (rows.shape[1] - 1)
    low = position.floor().long().clamp(max=rows.shape[1] - 1)
    high = (low + 1).clamp(max=rows.shape[1] - 1)
    fraction = position - low
    below, above = ordered.gather(1, low), ordered.gather(1, high)
    return below + fraction * (above - below)
