"""Recurrent encoders keep a dynamic time axis only with torch's while-loop patches (pytorch#191855)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from motionlab.export import recurrent_patch
from motionlab.export.onnx_export import export_onnx
from motionlab.export.recurrent_patch import PATCH_NAMES, recurrent_export_patches
from motionlab.export.verify import VerificationCase, verify_onnx
from motionlab.models.encoders import RecurrentEncoder

pytestmark = pytest.mark.slow


class LSTMAttention(nn.Module):
    """LSTM then self-attention: the dynamo exporter fixes this graph's time axis without the patches."""

    output_names = ("encoded",)

    def __init__(self) -> None:
        super().__init__()
        self.encoder = RecurrentEncoder(
            6, "lstm", hidden_size=8, num_layers=1, dropout=0.0, attention_heads=2
        )

    def forward(self, x: Tensor) -> tuple[Tensor]:
        return (self.encoder(x),)


def build_lstm_attention() -> LSTMAttention:
    torch.manual_seed(0)
    return LSTMAttention().eval()


EXAMPLE = np.random.default_rng(0).standard_normal((2, 30, 6)).astype(np.float32)


def verify_at_other_lengths(model_bytes: bytes, tmp_path):
    path = tmp_path / "lstm.onnx"
    path.write_bytes(model_bytes)
    rng = np.random.default_rng(1)
    cases = [
        VerificationCase(f"{b}x{t}", rng.standard_normal((b, t, 6)).astype(np.float32))
        for b, t in [(1, 30), (3, 12), (4, 63)]
    ]
    return verify_onnx(path, build_lstm_attention(), ["encoded"], cases, tolerance=1e-4)


def test_unpatched_export_is_caught_and_a_fresh_process_export_is_not_affected(monkeypatch, tmp_path):
    """First the upstream bug, caught by the verification: without the patches the input still
    declares a dynamic time axis but the graph only runs at the example's 30 frames. That export
    also leaves this process's exporter state broken (a later patched export here comes out fixed
    too), so the patched export runs in a fresh process, and keeps the axis dynamic.

    When the first half fails, torch keeps the axis dynamic on its own and `recurrent_patch` can go.
    """
    with monkeypatch.context() as patch:
        patch.setattr(recurrent_patch, "PATCH_NAMES", ())
        broken = export_onnx(build_lstm_attention, EXAMPLE, opset=18, fresh_process=False)
    assert broken.patches == []
    report = verify_at_other_lengths(broken.model_bytes, tmp_path)
    assert [case.passed for case in report.cases] == [True, False, False]
    assert all("ONNX Runtime rejected" in case.error for case in report.cases[1:])

    exported = export_onnx(build_lstm_attention, EXAMPLE, opset=18, fresh_process=True)
    assert "register_lstm_while_loop_decomposition" in exported.patches
    report = verify_at_other_lengths(exported.model_bytes, tmp_path)
    assert report.passed, report.to_dict()
    assert report.max_abs_diff < 1e-5


def test_missing_patches_warn_and_the_available_ones_still_apply(monkeypatch):
    monkeypatch.setattr(recurrent_patch, "PATCH_NAMES", (*PATCH_NAMES, "register_gone_decomposition"))
    with (
        pytest.warns(RuntimeWarning, match="register_gone_decomposition"),
        recurrent_export_patches() as applied,
    ):
        assert applied == list(PATCH_NAMES)
