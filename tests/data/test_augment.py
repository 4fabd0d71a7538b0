import pytest
import torch

from motionlab.data.augment import Augment, mirror_permutation, resample_time, warp_positions
from motionlab.errors import ConfigError


def test_inactive_augment_is_identity():
    batch = {"x": torch.randn(4, 10, 3)}
    assert not Augment().active
    assert torch.equal(Augment()(batch)["x"], batch["x"])


def test_resample_time_linear_for_floats_nearest_for_ints():
    values = torch.tensor([[0.0, 10.0, 20.0, 30.0]]).unsqueeze(-1)
    positions = torch.tensor([[0.0, 0.5, 2.25, 3.0]])
    assert resample_time(values, positions).squeeze(-1).tolist() == [[0.0, 5.0, 22.5, 30.0]]
    labels = torch.tensor([[0, 1, 2, 3]])
    assert resample_time(labels, positions).tolist() == [[0, 0, 2, 3]]


def test_time_warp_keeps_shapes_anchor_and_aligns_frame_targets():
    torch.manual_seed(0)
    t = torch.arange(20, dtype=torch.float32)
    batch = {"x": t.view(1, 20, 1).repeat(64, 1, 2), "target": t.view(1, 20).repeat(64, 1)}
    out = Augment(time_warp=0.3, warp_anchor=1.0)(batch, frame_keys=["target"])
    assert out["x"].shape == (64, 20, 2) and out["target"].shape == (64, 20)
    # the anchor frame (the last) is never moved; input and per-frame target move together
    assert torch.allclose(out["x"][:, -1, 0], torch.full((64,), 19.0))
    assert torch.allclose(out["x"][..., 0], out["target"])
    slopes = out["x"][:, -1, 0] - out["x"][:, -2, 0]
    assert slopes.min() < 0.85 and slopes.max() > 1.15  # speeds actually vary across windows


def test_warp_positions_from_a_longer_source_reach_back_without_clamping():
    torch.manual_seed(0)
    positions = warp_positions(256, 11, 0.3, 1.0, "cpu", source_length=14)
    assert torch.all(positions[:, -1] == 13.0)  # the anchor (last output frame) is the last source frame
    steps = positions.diff(dim=1)
    assert torch.allclose(steps, steps[:, :1].expand_as(steps))  # one speed per window
    assert steps.min() < 0.75 and steps.max() > 1.25 and positions.min() >= 0.0
    assert positions[:, 0].min() < 0.5  # the fastest windows use the margin of 3 source frames
    same = warp_positions(4, 11, 0.3, 0.5, "cpu")
    assert torch.allclose(same[:, 5], torch.full((4,), 5.0))  # default: source as long as the output


def test_noise_scales_with_feature_std():
    torch.manual_seed(0)
    augment = Augment(noise_std=0.1)
    augment.set_feature_std(torch.tensor([1.0, 100.0]))
    out = augment({"x": torch.zeros(2000, 10, 2)})["x"]
    assert out[..., 0].std().item() == pytest.approx(0.1, rel=0.05)
    assert out[..., 1].std().item() == pytest.approx(10.0, rel=0.05)


def test_amplitude_scales_around_window_mean():
    torch.manual_seed(0)
    x = torch.tensor([1.0, 3.0]).view(1, 2, 1).repeat(100, 1, 1)
    out = Augment(amplitude=0.2)({"x": x})["x"]
    assert torch.allclose(out.mean(dim=1), torch.full((100, 1), 2.0))
    half_range = (out[:, 1, 0] - out[:, 0, 0]) / 2
    assert half_range.min() >= 0.8 - 1e-6 and half_range.max() <= 1.2 + 1e-6


def test_mirror_swaps_named_columns_and_negates():
    names = ["left_knee", "right_knee", "trunk_tilt", "neck"]
    index, sign = mirror_permutation(names, "auto", negate=["trunk_tilt"])
    assert index == [1, 0, 2, 3] and sign == [1.0, 1.0, -1.0, 1.0]
    augment = Augment(mirror_prob=1.0)
    augment.set_mirror(index, sign)
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 4)
    assert augment({"x": x})["x"].flatten().tolist() == [2.0, 1.0, -3.0, 4.0]


def test_mirror_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"data.augment.mirror_pairs: pair \['a', 'zz'\] names unknown"):
        mirror_permutation(["a", "b"], [["a", "zz"]])
    with pytest.raises(ConfigError, match=r"data\.augment\.mirror_negate"):
        mirror_permutation(["a", "b"], [], negate=["q"])
