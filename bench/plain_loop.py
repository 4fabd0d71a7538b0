"""The control of the real-data benchmark: a plain PyTorch training loop, no Lightning, no engine.

It is what a practitioner writes in 40 lines — a 2-layer LSTM (64 units) on the last time step,
global standardisation fitted on the training windows, Gaussian input noise, AdamW, and the weights
of the epoch with the best validation accuracy — trained on exactly the windows (same splits, same
strides) that motionlab's datamodule built. If it beats the engine, the engine's defaults cost
accuracy somewhere; it stays in the benchmark so that comparison keeps being made.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn


@dataclass
class PlainLoopResult:
    window_probs: np.ndarray  # [M, C] test-window class probabilities
    fit_seconds: float
    fit_cpu_seconds: float
    best_epoch: int


class LastStepLSTM(nn.Module):
    def __init__(self, features: int, classes: int, hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, batch_first=True, dropout=0.2)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.lstm(x)[0][:, -1])


def fit_plain_loop(
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor],
    test_x: Tensor,
    classes: int,
    seed: int,
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 2e-3,
    weight_decay: float = 1e-2,
    noise_std: float = 0.05,
) -> PlainLoopResult:
    """Train on ``train`` = (windows ``[N, T, F]``, labels ``[N]``), keep the epoch with the best
    accuracy on ``val``, and return its class probabilities on ``test_x``."""
    torch.manual_seed(seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    x, y = train
    mean = x.reshape(-1, x.shape[-1]).mean(0)
    std = x.reshape(-1, x.shape[-1]).std(0).clamp_min(1e-6)

    def standardise(data: Tensor) -> Tensor:
        return (data - mean) / std

    x, val_x = standardise(x), standardise(val[0])
    model = LastStepLSTM(x.shape[-1], classes)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    for epoch in range(epochs):
        model.train()
        for index in torch.randperm(len(x)).split(batch_size):
            batch = x[index] + noise_std * torch.randn_like(x[index])
            loss = nn.functional.cross_entropy(model(batch), y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(val_x).argmax(-1) == val[1]).float().mean().item()
        if accuracy > best[0]:
            best = (accuracy, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    model.eval()
    with torch.no_grad():
        probs = model(standardise(test_x)).softmax(-1).numpy()
    return PlainLoopResult(probs, time.perf_counter() - started, time.process_time() - cpu_started, best[1])
