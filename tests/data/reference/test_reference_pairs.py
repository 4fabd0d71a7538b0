"""(state history, target) pairs: alignment on hand examples, and augmentation that keeps them consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from motionlab.data.reference.datamodule import ReferenceDataModule
from motionlab.data.reference.format import write_reference_clip
from motionlab.data.reference.pairs import raw_window
from motionlab.errors import ConfigError

NAMES = ("left_knee", "right_knee")
STRAIGHT = np.array([[0, 10], [1, 12], [3, 15], [6, 19], [10, 24]], dtype=np.float32)
LOOP = np.array([[0, 0], [1, 0], [0, 1], [-1, 0]], dtype=np.float32)
LONG = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)


def make_datamodule(path: Path, **overrides: Any) -> ReferenceDataModule:
    """A datamodule over the clips in ``path``; clip ``straight`` and ``loop`` train, ``v`` and ``t``
    are the fixed validation and test clips."""
    settings: dict[str, Any] = {
        "path": str(path),
        "cache_dir": str(path / "cache"),
        "sample": {},
        "fps": 10.0,
        "loop": False,
        "history": 2,
        "target": "next",
        "loop_override": None,
        "still_joints": "freeze",
        "state": {"velocities": True, "phase": "auto", "cycle": False, "command": []},
        "stride": 1,
        "batch_size": 4,
        "split": {"by": "clip", "val": ["v"], "test": ["t"]},
        "augment": {},
    }
    settings.update(overrides)
    datamodule = ReferenceDataModule(**settings)
    datamodule.setup("fit")
    return datamodule


def write_clips(path: Path, straight: np.ndarray = STRAIGHT, **extra: np.ndarray) -> Path:
    write_reference_clip(path / "straight.npy", straight, NAMES, 10.0, False)
    write_reference_clip(path / "loop.npy", LOOP, NAMES, 10.0, True)
    for name in ("v", "t"):
        write_reference_clip(path / f"{name}.npy", LONG, NAMES, 10.0, False)
    for name, joints in extra.items():
        write_reference_clip(path / f"{name}.npy", joints, NAMES, 10.0, False)
    return path


def train_pairs(datamodule: ReferenceDataModule, augment: bool = False) -> tuple[list[str], dict]:
    windows = datamodule.windows["train"]
    pairs = datamodule.pairs(windows.gather(torch.arange(len(windows))), augment=augment)
    clips = [windows.recordings[i].name for i in windows.recording_index.tolist()]
    return clips, pairs


def test_pairs_of_a_clip_that_does_not_loop_are_aligned(tmp_path: Path) -> None:
    clips, pairs = train_pairs(make_datamodule(write_clips(tmp_path)))
    straight = [i for i, name in enumerate(clips) if name == "straight"]
    # history 2 needs frame t-2 (for the velocity of t-1): the states are frames (1, 2) -> 3 and (2, 3) -> 4
    np.testing.assert_allclose(
        pairs["x"][straight].numpy(),
        [
            [[1, 12, 10, 20, 0, 0], [3, 15, 20, 30, 0, 0]],
            [[3, 15, 20, 30, 0, 0], [6, 19, 30, 40, 0, 0]],
        ],
        atol=1e-5,
    )
    np.testing.assert_allclose(pairs["target"][straight].numpy(), [[6, 19], [10, 24]])
    np.testing.assert_allclose(pairs["next_joints"][straight].numpy(), [[6, 19], [10, 24]])


def test_every_transition_of_a_loop_is_a_pair_including_last_to_first(tmp_path: Path) -> None:
    clips, pairs = train_pairs(make_datamodule(write_clips(tmp_path), target="delta"))
    loop = [i for i, name in enumerate(clips) if name == "loop"]
    # velocity = (q_t - q_{t-1}) * 10 around the loop; phase = 2π t / 4
    state = {
        0: [0, 0, 10, 0, 0, 1],
        1: [1, 0, 10, 0, 1, 0],
        2: [0, 1, -10, 10, 0, -1],
        3: [-1, 0, -10, -10, -1, 0],
    }
    targets = {0: [0, 0], 1: [1, 0], 2: [0, 1], 3: [-1, 0]}
    seen = []
    for i in loop:
        target_frame = next(t for t, q in targets.items() if np.allclose(pairs["next_joints"][i], q))
        seen.append(target_frame)
        history = [(target_frame - 2) % 4, (target_frame - 1) % 4]
        np.testing.assert_allclose(pairs["x"][i].numpy(), [state[h] for h in history], atol=1e-5)
        # delta target: the change from the last state's joints
        np.testing.assert_allclose(
            pairs["target"][i], np.subtract(targets[target_frame], state[history[1]][:2])
        )
    assert sorted(seen) == [0, 1, 2, 3]


def test_without_augmentation_the_rebuilt_states_equal_the_stored_ones(tmp_path: Path) -> None:
    datamodule = make_datamodule(write_clips(tmp_path, straight=LONG), history=3, augment={"time_warp": 0.3})
    windows = datamodule.windows["train"]
    batch = windows.gather(torch.arange(len(windows)))
    window = datamodule.window
    assert window == raw_window(3, 0.3) == 3 + 2 + 2  # margin for playing 1.3x faster
    pairs = datamodule.pairs(batch)
    torch.testing.assert_close(pairs["x"], batch["x"][:, window - 4 : window - 1])
    torch.testing.assert_close(pairs["next_joints"], batch["x"][:, -1, :2])


def test_time_scaling_moves_history_velocity_and_target_together(tmp_path: Path) -> None:
    ramp = np.stack([np.arange(30), -2 * np.arange(30)], axis=1).astype(np.float32)
    datamodule = make_datamodule(
        write_clips(tmp_path, straight=ramp), history=2, augment={"time_warp": 0.5}, target="delta"
    )
    torch.manual_seed(0)
    clips, pairs = train_pairs(datamodule, augment=True)
    ramp_pairs = [i for i, name in enumerate(clips) if name == "straight"]
    step = pairs["target"][ramp_pairs]  # the next frame is `speed` frames ahead on the ramp
    speed = step[:, 0]
    assert 0.5 <= speed.min() < 0.8 and 1.2 < speed.max() <= 1.5
    torch.testing.assert_close(step[:, 1], -2 * speed)
    # the velocities follow the playback speed: (q_t - q_{t-speed}) * fps
    velocity = pairs["x"][ramp_pairs][:, :, 2:4]
    torch.testing.assert_close(velocity, (step * 10)[:, None].expand_as(velocity), rtol=1e-4, atol=1e-4)


def test_mirror_swaps_left_and_right_in_states_and_targets(tmp_path: Path) -> None:
    asymmetric = np.stack([np.arange(5), 100 + np.arange(5) ** 2], axis=1).astype(np.float32)
    datamodule = make_datamodule(
        write_clips(tmp_path, straight=asymmetric), augment={"mirror_prob": 1.0, "mirror_pairs": "auto"}
    )
    _, plain = train_pairs(datamodule)
    _, mirrored = train_pairs(datamodule, augment=True)
    swap = [1, 0, 3, 2, 4, 5]  # joints and velocities swap sides; the phase does not
    torch.testing.assert_close(mirrored["x"], plain["x"][..., swap])
    torch.testing.assert_close(mirrored["target"], plain["target"][..., [1, 0]])


@pytest.mark.parametrize("target", ["next", "delta"])
def test_state_noise_leaves_the_phase_and_the_reference_alone(tmp_path: Path, target: str) -> None:
    datamodule = make_datamodule(write_clips(tmp_path), target=target, augment={"noise_std": 0.5})
    _, clean = train_pairs(datamodule)
    _, noisy = train_pairs(datamodule, augment=True)
    assert not torch.allclose(noisy["x"][..., :4], clean["x"][..., :4])
    torch.testing.assert_close(noisy["x"][..., 4:], clean["x"][..., 4:])
    torch.testing.assert_close(noisy["next_joints"], clean["next_joints"])
    # the target leads from the noisy state back to the reference
    expected = clean["next_joints"] - (noisy["x"][:, -1, :2] if target == "delta" else 0)
    torch.testing.assert_close(noisy["target"], expected)


def test_configuration_errors(tmp_path: Path) -> None:
    write_clips(tmp_path)
    with pytest.raises(ConfigError, match=r"data\.target: unknown target 'velocity'"):
        make_datamodule(tmp_path, target="velocity")
    with pytest.raises(ConfigError, match=r"data\.history: must be at least 1"):
        make_datamodule(tmp_path, history=0)
    with pytest.raises(ConfigError, match=r"data\.state\.phase"):
        make_datamodule(tmp_path, state={"velocities": True, "phase": "sometimes"})
