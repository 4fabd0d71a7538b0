"""A task as a one-frame-at-a-time graph with explicit state: what ``export.streaming=true`` exports.

The windowed model re-runs a whole window for every new frame. A causal encoder does not need to:

* an LSTM/GRU layer carries its hidden (and cell) state from frame to frame;
* a causal TCN block needs only its last ``dilation × (kernel_size − 1)`` inputs (a buffer of past
  activations that shifts by one frame per step);
* mean pooling over the frames so far is a running sum and count; ``last`` pooling is the frame itself.

`StreamingGraph` swaps the task's encoder (and pool) for such step modules and runs the task's own
``predict_outputs`` (or ``forward``) on a ``[B, 1, F]`` frame, so the heads, the normalisation and the
app outputs are exactly the task's. Fed a stream from its first frame with zero state, its outputs at
frame ``t`` are those of the windowed model run on frames ``0 … t`` (verified on export).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from motionlab.ensemble.module import EnsembleMixin
from motionlab.inference.streaming import NEXT_STATE_PREFIX, STATE_PREFIX
from motionlab.models.encoders.recurrent import RecurrentEncoder
from motionlab.models.encoders.tcn import TCNEncoder, TemporalBlock
from motionlab.models.heads import SequencePool
from motionlab.tasks.base import MotionTask


class StreamingUnsupportedError(ValueError):
    """The model cannot run one frame at a time (bidirectional, attention, a pooling without state...)."""


@dataclass(frozen=True)
class StateSpec:
    """One state tensor: ``[batch, *shape]``, zeros before the first frame."""

    name: str
    shape: tuple[int, ...]


class StreamState:
    """The state tensors of one step, handed to the step modules in the order they run."""

    def __init__(self) -> None:
        self._incoming: list[Tensor] = []
        self.outgoing: list[Tensor] = []

    def begin(self, state: Sequence[Tensor]) -> None:
        self._incoming = list(state)
        self.outgoing = []

    def take(self, count: int) -> list[Tensor]:
        taken, self._incoming = self._incoming[:count], self._incoming[count:]
        return taken

    def give(self, tensors: Sequence[Tensor]) -> None:
        self.outgoing.extend(tensors)


class RecurrentStep(nn.Module):
    """One frame through the layers of a unidirectional `RecurrentEncoder`, with the cell equations
    written out on the layers' own weights (no recurrent op: one matrix product per gate group)."""

    def __init__(self, encoder: RecurrentEncoder, state: StreamState) -> None:
        super().__init__()
        self.rnns = encoder.rnns
        self.state = state
        self.lstm = isinstance(encoder.rnns[0], nn.LSTM)

    def state_specs(self) -> list[StateSpec]:
        specs = []
        for index, rnn in enumerate(self.rnns):
            specs.append(StateSpec(f"rnn{index}_hidden", (rnn.hidden_size,)))
            if self.lstm:
                specs.append(StateSpec(f"rnn{index}_cell", (rnn.hidden_size,)))
        return specs

    def forward(self, x: Tensor) -> Tensor:
        h = x[:, 0]
        for rnn in self.rnns:
            gates_x = F.linear(h, rnn.weight_ih_l0, rnn.bias_ih_l0)
            if self.lstm:
                hidden, cell = self.state.take(2)
                gates = gates_x + F.linear(hidden, rnn.weight_hh_l0, rnn.bias_hh_l0)
                i, f, g, o = gates.chunk(4, dim=-1)
                cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(cell)
                self.state.give([h, cell])
            else:
                [hidden] = self.state.take(1)
                gates_h = F.linear(hidden, rnn.weight_hh_l0, rnn.bias_hh_l0)
                r_x, z_x, n_x = gates_x.chunk(3, dim=-1)
                r_h, z_h, n_h = gates_h.chunk(3, dim=-1)
                r, z = torch.sigmoid(r_x + r_h), torch.sigmoid(z_x + z_h)
                h = (1 - z) * torch.tanh(n_x + r * n_h) + z * hidden
                self.state.give([h])
        return h.unsqueeze(1)


class TCNStep(nn.Module):
    """One frame through a causal `TCNEncoder`: each block keeps its last ``dilation × (kernel − 1)``
    inputs and convolves them with the new one, then shifts them by one frame."""

    def __init__(self, encoder: TCNEncoder, state: StreamState) -> None:
        super().__init__()
        self.input_projection = encoder.input_projection
        self.blocks: Sequence[TemporalBlock] = encoder.blocks
        self.state = state

    def state_specs(self) -> list[StateSpec]:
        return [
            StateSpec(f"block{index}_past", (block.padding[0], block.conv.in_channels))
            for index, block in enumerate(self.blocks)
        ]

    def forward(self, x: Tensor) -> Tensor:
        h = self.input_projection(x)  # [B, 1, C]
        for block in self.blocks:
            [past] = self.state.take(1)
            frames = torch.cat([past, h], dim=1)  # [B, dilation × (kernel − 1) + 1, C]
            taps = frames[:, :: block.conv.dilation[0]]  # [B, kernel, C], oldest first
            out = torch.einsum("bkc,ock->bo", taps, block.conv.weight) + block.conv.bias
            h = h + block.activation(block.norm(out)).unsqueeze(1)
            self.state.give([frames[:, 1:]])
        return h


class MeanPoolStep(nn.Module):
    """Mean pooling over every frame so far, as a running sum and frame count."""

    def __init__(self, dim: int, state: StreamState) -> None:
        super().__init__()
        self.dim = dim
        self.state = state

    def state_specs(self) -> list[StateSpec]:
        return [StateSpec("pool_sum", (self.dim,)), StateSpec("pool_count", (1,))]

    def forward(self, x: Tensor) -> Tensor:
        total, count = self.state.take(2)
        total, count = total + x[:, 0], count + 1
        self.state.give([total, count])
        return total / count


def step_encoder(task: MotionTask, state: StreamState) -> RecurrentStep | TCNStep:
    """The encoder's one-frame step; raises `StreamingUnsupportedError` saying why there is none."""
    encoder = task.encoder
    name = type(encoder).__name__
    if not isinstance(encoder, RecurrentEncoder | TCNEncoder):
        raise StreamingUnsupportedError(f"{name} has no streaming form; use an LSTM/GRU or a causal TCN")
    if not encoder.causal:
        raise StreamingUnsupportedError(
            f"the {name} is not causal (a bidirectional RNN or a TCN with causal=false): every frame's "
            "features depend on later frames; train with model.bidirectional=false / model.causal=true"
        )
    if not isinstance(encoder.attention, nn.Identity):
        raise StreamingUnsupportedError(
            f"the {name} ends with self-attention, whose state grows with the stream; "
            "train with model.attention_heads=0"
        )
    return RecurrentStep(encoder, state) if isinstance(encoder, RecurrentEncoder) else TCNStep(encoder, state)


def step_pool(pool: SequencePool, dim: int, state: StreamState) -> nn.Module:
    """The pooling over the frames so far: ``last`` is the frame itself, ``mean`` a running mean."""
    if pool.mode == "last":
        return pool
    if pool.mode == "mean":
        return MeanPoolStep(dim, state)
    raise StreamingUnsupportedError(
        f"task.pool={pool.mode!r} has no streaming form here; use 'last' or 'mean'"
    )


class StreamingGraph(nn.Module):
    """``features [B, 1, F]`` and the state → the task's outputs for that frame and the next state.

    Inputs: ``features``, then ``state_<name>`` per `StateSpec`; outputs: the task's outputs (per-frame
    ones with a time axis of 1), then ``next_state_<name>`` in the same order.
    """

    def __init__(self, task: MotionTask, mode: str) -> None:
        super().__init__()
        if isinstance(task, EnsembleMixin):
            raise StreamingUnsupportedError("an ensemble has no streaming form; export one run")
        self.stream = StreamState()
        task = copy.deepcopy(task).eval()
        encoder = step_encoder(task, self.stream)
        specs = encoder.state_specs()
        pool = getattr(task, "pool", None)
        if isinstance(pool, SequencePool):
            task.pool = step_pool(pool, task.encoder.output_dim, self.stream)
            specs += getattr(task.pool, "state_specs", list)()
        task.encoder = encoder
        self.task = task
        self.mode = mode
        self.state_specs = specs
        self.num_features = task.spec.num_features
        with torch.no_grad():
            self.output_names = list(self._outputs(torch.zeros(1, 1, self.num_features), self.zeros(1)))

    def zeros(self, batch: int) -> list[Tensor]:
        """The state before the first frame."""
        return [torch.zeros(batch, *spec.shape) for spec in self.state_specs]

    @property
    def input_names(self) -> list[str]:
        return [STATE_PREFIX + spec.name for spec in self.state_specs]

    @property
    def next_state_names(self) -> list[str]:
        return [NEXT_STATE_PREFIX + spec.name for spec in self.state_specs]

    def _outputs(self, x: Tensor, state: Sequence[Tensor]) -> dict[str, Tensor]:
        self.stream.begin(state)
        return self.task.predict_outputs(x) if self.mode == "app" else self.task(x)

    def forward(self, x: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        outputs = self._outputs(x, state)
        return (*(outputs[name] for name in self.output_names), *self.stream.outgoing)
