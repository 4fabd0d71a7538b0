"""int8 tolerances in each output's own units, on arrays with known differences."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.export.quantize import channel_spread, instruction_set, int8_agreement, out_of_tolerance

TOLERANCES = {"min_top1_agreement": 0.98, "max_probability_diff": 0.05, "max_relative_error": 0.1}


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_probabilities_are_judged_by_top1_and_max_difference():
    rng = np.random.default_rng(0)
    fp32 = _softmax(rng.normal(size=(100, 4)) * 3)
    flipped = fp32.copy()
    flipped[:5] = flipped[:5, ::-1]  # 5 windows change their top class
    nudged = fp32 + np.array([0.06, -0.06, 0.0, 0.0])  # same top class almost everywhere, 0.06 off
    axes = {"probs": ["batch", 4]}
    ok = int8_agreement({"probs": fp32}, {"probs": fp32 + 1e-4}, axes, TOLERANCES)["probs"]
    assert ok["kind"] == "probabilities" and ok["passed"] and ok["top1_agreement"] == 1.0
    flips = int8_agreement({"probs": fp32}, {"probs": flipped}, axes, TOLERANCES)
    assert not flips["probs"]["passed"] and flips["probs"]["top1_agreement"] <= 0.95
    far = int8_agreement({"probs": fp32}, {"probs": nudged}, axes, TOLERANCES)
    assert not far["probs"]["passed"] and far["probs"]["max_abs_diff"] == pytest.approx(0.06)
    [line] = out_of_tolerance(far, TOLERANCES)
    assert line.startswith("probs top-1 agreement") and "max |int8 − fp32| 0.06" in line


def test_values_are_judged_per_channel_against_their_spread_on_the_test_split():
    rng = np.random.default_rng(1)
    # channel 0 spans metres (std 1), channel 1 millimetres (std 0.001)
    fp32 = rng.normal(size=(200, 2)) * np.array([1.0, 0.001])
    axes = {"next_frame": ["batch", 2]}
    spread = channel_spread(fp32, axes["next_frame"])
    np.testing.assert_allclose(spread.ravel(), fp32.std(axis=0), rtol=1e-12)
    # 0.01 off everywhere: 1% of channel 0's spread, but 10× channel 1's
    report = int8_agreement({"next_frame": fp32}, {"next_frame": fp32 + 0.01}, axes, TOLERANCES)
    entry = report["next_frame"]
    assert entry["kind"] == "values" and not entry["passed"]
    assert entry["relative_error"] == pytest.approx(0.01 / fp32[:, 1].std(), rel=1e-6)
    [line] = out_of_tolerance(report, TOLERANCES)
    assert line.startswith("next_frame off by") and "spread" in line


def test_a_per_frame_output_pools_batch_and_time_and_a_constant_channel_gets_a_floor():
    fp32 = np.full((8, 30), 0.5)
    fp32[:, ::2] += 1e-5  # almost constant: std 5e-6, below 1% of its magnitude
    axes = {"score": ["batch", "time"]}
    assert channel_spread(fp32, axes["score"]).shape == (1, 1)
    report = int8_agreement({"score": fp32}, {"score": fp32 + 3e-4}, axes, TOLERANCES)
    assert report["score"]["spread"] == pytest.approx(0.01 * 0.500005)
    assert report["score"]["passed"] and report["score"]["relative_error"] == pytest.approx(0.06, rel=1e-3)


def test_the_instruction_set_names_the_machine_and_its_int8_extensions():
    cpu = instruction_set()
    assert cpu["machine"] and isinstance(cpu["cpu"], str)
    assert cpu["best"] == (cpu["int8_extensions"] or [None])[0]
