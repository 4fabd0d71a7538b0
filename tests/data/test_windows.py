import numpy as np
import pytest
import torch

from motionlab.data.recording import Recording
from motionlab.data.windows import (
    WindowDataset,
    build_window_set,
    concat_window_sets,
    keep_batch,
    window_starts,
)


def recording(name: str, frames: np.ndarray, labels: np.ndarray | None = None) -> Recording:
    targets = {"label": labels} if labels is not None else {}
    return Recording(
        name,
        frames.astype(np.float32),
        [f"f{i}" for i in range(frames.shape[1])],
        30.0,
        group=name,
        source=f"{name}.npz",
        targets=targets,
    )


def test_window_starts_hand_example():
    # segments of 5, 3 and 7 frames laid end to end at offsets 0, 5, 8; window 3, stride 2:
    # segment 0 → 0, 2 ; segment 1 → 5 ; segment 2 → 8, 10, 12
    assert window_starts([5, 3, 7], window=3, stride=2).tolist() == [0, 2, 5, 8, 10, 12]


def test_window_starts_skips_segments_shorter_than_window():
    assert window_starts([2, 4, 1], window=3, stride=1).tolist() == [2, 3]


def test_window_starts_rejects_bad_sizes():
    with pytest.raises(ValueError, match="window and stride"):
        window_starts([10], window=0, stride=1)


def test_gather_returns_exact_frames_and_never_crosses_recordings():
    a = recording("a", np.arange(10).reshape(5, 2))  # frames 0..4 with values 0..9
    b = recording("b", 100 + np.arange(14).reshape(7, 2))  # frames 5..11
    windows = build_window_set([a, b], window=3, stride=2, frame_targets=[{}, {}])
    assert windows.starts.tolist() == [0, 2, 5, 7, 9]
    assert windows.recording_index.tolist() == [0, 0, 1, 1, 1]
    batch = windows.gather(torch.tensor([1, 2]))
    assert batch["x"].shape == (2, 3, 2)
    assert batch["x"][0].tolist() == [[4, 5], [6, 7], [8, 9]]  # a, frames 2..4
    assert batch["x"][1].tolist() == [[100, 101], [102, 103], [104, 105]]  # b, frames 0..2
    assert batch["x"].is_contiguous()


def test_label_pure_windows_do_not_straddle_label_changes():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    rec = recording("a", np.zeros((10, 1)), labels)
    windows = build_window_set(
        [rec], window=3, stride=1, frame_targets=[{"label": labels}], pure_target="label"
    )
    assert windows.starts.tolist() == [0, 1, 4, 5, 6]
    per_window = windows.windowed("label")
    assert bool((per_window == per_window[:, :1]).all())


def test_dataset_batches_through_dataloader_in_one_gather():
    rec = recording("a", np.arange(40).reshape(20, 2), np.arange(20) % 3)
    windows = build_window_set([rec], window=4, stride=1, frame_targets=[{"label": rec.targets["label"]}])
    windows.window_targets = {"first": windows.windowed("label")[:, 0]}
    loader = torch.utils.data.DataLoader(WindowDataset(windows), batch_size=5, collate_fn=keep_batch)
    batch = next(iter(loader))
    assert batch["x"].shape == (5, 4, 2)
    assert batch["label"].shape == (5, 4)
    assert batch["first"].tolist() == [0, 1, 2, 0, 1]
    assert WindowDataset(windows)[3]["x"].tolist() == batch["x"][3].tolist()


def test_concatenated_window_sets_gather_the_same_windows_in_order():
    a = recording("a", np.arange(10).reshape(5, 2), np.array([0, 0, 1, 1, 1]))
    b = recording("b", 100 + np.arange(14).reshape(7, 2), np.full(7, 2))
    c = recording("c", 200 + np.arange(8).reshape(4, 2), np.full(4, 3))
    first = build_window_set([a, b], window=3, stride=2, frame_targets=[dict(a.targets), dict(b.targets)])
    second = build_window_set([c], window=3, stride=1, frame_targets=[dict(c.targets)])
    for windows in (first, second):
        windows.window_targets = {"first_label": windows.frame_targets["label"][windows.starts]}
    both = concat_window_sets([first, second])
    assert len(both) == len(first) + len(second) and [r.name for r in both.recordings] == ["a", "b", "c"]
    expected = [first.gather(torch.arange(len(first))), second.gather(torch.arange(len(second)))]
    gathered = both.gather(torch.arange(len(both)))
    for key in ("x", "label", "first_label"):
        torch.testing.assert_close(gathered[key], torch.cat([e[key] for e in expected]))
    assert both.recording_index.tolist() == [*first.recording_index.tolist(), 2, 2]
    with pytest.raises(ValueError, match="different window lengths"):
        concat_window_sets([first, build_window_set([c], 2, 1, [dict(c.targets)])])
