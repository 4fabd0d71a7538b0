"""Memory-mapped split stores (``data.memory_map=true``): same windows, batches, targets and statistics
as in memory; stores keyed by content; bounded pickles for DataLoader workers."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data import formats
from motionlab.data.datamodule import MotionDataModule
from motionlab.data.mapped import MappedArray, NpyAppender
from motionlab.data.stats import fit_feature_stats, row_chunks
from motionlab.data.windows import WindowDataset
from motionlab.data.workout.synthetic import ensure_workout_sample
from motionlab.training.run import train
from tests.data.test_datamodule import InMemory, subjects

# The pose sample at test size (its own keys: the workout-sized TINY overrides do not apply).
POSE_SMALL = ["data=pose", "data.sample.videos_per_source=10", "data.sample.num_subjects=6"]


def datamodules(
    make_config, tmp_path: Path, *overrides: str, tiny: bool = True
) -> tuple[MotionDataModule, MotionDataModule]:
    """The same data config set up in memory and memory-mapped (stores under ``tmp_path``)."""
    built = []
    for memory_map in (False, True):
        cfg = make_config(
            *overrides, f"data.memory_map={memory_map}", f"data.memory_map_dir={tmp_path}/stores", tiny=tiny
        )
        datamodule = instantiate(cfg.data, _convert_="all")
        datamodule.prepare_data()
        datamodule.setup("fit")
        built.append(datamodule)
    return built[0], built[1]


def test_npy_appender_streams_blocks_into_one_loadable_array(tmp_path):
    blocks = [
        np.random.default_rng(i).normal(size=(n, 3)).astype(np.float32) for i, n in enumerate([5, 0, 700])
    ]
    appender = NpyAppender(tmp_path / "a.npy", np.float32, (3,))
    for block in blocks:
        appender.append(block)
    appender.close()
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.concatenate(blocks))
    mapped = MappedArray(tmp_path / "a.npy")
    rows = torch.tensor([[700, 701, 702], [3, 4, 5], [100, 101, 102]])  # unsorted: answered in order
    np.testing.assert_array_equal(mapped[rows].numpy(), np.concatenate(blocks)[rows.numpy()])
    with pytest.raises(ValueError, match="rows of shape"):
        NpyAppender(tmp_path / "b.npy", np.float32, (3,)).append(np.zeros((2, 4)))


@pytest.mark.parametrize("overrides", [[], POSE_SMALL], ids=["workout", "pose"])
def test_memory_mapped_windows_equal_in_memory_ones(make_config, tmp_path, overrides):
    in_memory, mapped = datamodules(make_config, tmp_path, *overrides, tiny=not overrides)
    for split in ("train", "val", "test"):
        ours, theirs = mapped.windows[split], in_memory.windows[split]
        assert isinstance(ours.frames, MappedArray) and isinstance(theirs.frames, torch.Tensor)
        assert torch.equal(ours.starts, theirs.starts)
        assert ours.window_targets.keys() == theirs.window_targets.keys()
        for key in theirs.window_targets:
            assert torch.equal(ours.window_targets[key], theirs.window_targets[key])
        index = torch.randperm(len(theirs), generator=torch.Generator().manual_seed(0))[:50]
        batch, expected = ours.gather(index), theirs.gather(index)
        assert batch.keys() == expected.keys() and len(expected) >= 2  # x plus targets
        for key in expected:
            assert batch[key].dtype == expected[key].dtype and torch.equal(batch[key], expected[key]), key
        for a, b in zip(ours.recordings, theirs.recordings, strict=True):
            assert isinstance(a.frames, np.memmap) and np.array_equal(a.frames, b.frames)
            assert a.targets.keys() == b.targets.keys()
            for key in b.targets:
                assert isinstance(a.targets[key], np.memmap) and np.array_equal(
                    a.targets[key], b.targets[key]
                )
    assert torch.equal(mapped.feature_stats.mean, in_memory.feature_stats.mean)
    assert torch.equal(mapped.feature_stats.std, in_memory.feature_stats.std)
    assert mapped.report.to_dict() == in_memory.report.to_dict()


@pytest.mark.parametrize("data", list(formats()))
def test_every_format_gives_the_same_windows_mapped_as_in_memory(make_config, tmp_path, data):
    """Each format's small sample through both storage backends: the same report, window targets,
    batches and statistics (formats whose window targets read the recordings' own targets included)."""
    overrides = [f"data={data}", *formats()[data].small_sample]
    in_memory, mapped = datamodules(make_config, tmp_path, *overrides, tiny=False)
    assert mapped.report.to_dict() == in_memory.report.to_dict()
    for split, theirs in in_memory.windows.items():
        ours = mapped.windows[split]
        assert isinstance(ours.frames, MappedArray) and torch.equal(ours.starts, theirs.starts)
        assert ours.window_targets.keys() == theirs.window_targets.keys()
        for key, values in theirs.window_targets.items():
            assert torch.equal(ours.window_targets[key], values), (split, key)
        index = torch.randperm(len(theirs), generator=torch.Generator().manual_seed(0))[:64]
        batch, expected = ours.gather(index), theirs.gather(index)
        assert batch.keys() == expected.keys()
        for key, values in expected.items():
            assert torch.equal(batch[key], values), (split, key)
    assert torch.equal(mapped.feature_stats.mean, in_memory.feature_stats.mean)
    assert torch.equal(mapped.feature_stats.std, in_memory.feature_stats.std)


def test_a_changed_dataset_gets_new_stores_and_an_unchanged_one_reuses_them(make_config, tmp_path):
    data = tmp_path / "sessions"
    shutil.copytree(ensure_workout_sample(tmp_path / "sample", num_subjects=4, sessions_per_subject=1), data)
    stores = tmp_path / "stores"

    def setup() -> MotionDataModule:
        cfg = make_config(f"data.path={data}", "data.memory_map=true", f"data.memory_map_dir={stores}")
        datamodule = instantiate(cfg.data, _convert_="all")
        datamodule.setup("fit")
        return datamodule

    first = setup()
    written = {p: p.stat().st_mtime_ns for p in stores.rglob("*.npy")}
    assert len({p.parent for p in written}) == 3  # one store per split
    assert {p: p.stat().st_mtime_ns for p in stores.rglob("*.npy")} == written
    setup()  # unchanged data: the same stores, not written again
    assert {p: p.stat().st_mtime_ns for p in stores.rglob("*.npy")} == written

    changed = first.windows["test"].recordings[0]
    session = next(data.rglob(f"{changed.name}.npz"))
    with np.load(session, allow_pickle=False) as npz:
        fields = dict(npz)
    angles = next(key for key, value in fields.items() if value.dtype.kind == "f" and value.ndim == 2)
    fields[angles] = fields[angles] + 1.0
    np.savez(session, **fields)
    second = setup()
    assert second.windows["test"].frames.path.parent != first.windows["test"].frames.path.parent
    assert second.windows["train"].frames.path.parent == first.windows["train"].frames.path.parent
    shift = second.windows["test"].recordings[0].frames - first.windows["test"].recordings[0].frames
    assert np.allclose(shift, 1.0)


def test_streamed_statistics_equal_whole_tensor_statistics():
    """Block by block, over a large offset (where a naive sum of squares would lose the variance)."""
    scale = torch.tensor([1.0, 10.0, 1e-2, 0.0])
    frames = (torch.randn(10_000, 4, generator=torch.Generator().manual_seed(0)) * scale + 1e3).float()
    names = ["a", "b", "c", "constant"]
    mean, std = frames.double().mean(dim=0), frames.double().std(dim=0, correction=0)
    for rows in (1, 999, 4096, 10_000):
        stats = fit_feature_stats(row_chunks(frames, rows), names)
        assert torch.allclose(stats.mean.double(), mean, rtol=1e-7)
        assert torch.allclose(stats.std[:3].double(), std[:3], rtol=1e-6)
        assert stats.std[3] == 1.0 and stats.constant_features == ["constant"]
    with pytest.raises(ValueError, match="no frames"):
        fit_feature_stats([], names)


def test_a_worker_receives_the_path_not_the_data(make_config, tmp_path):
    _, mapped = datamodules(make_config, tmp_path)
    windows = mapped.windows["train"]
    dataset = pickle.loads(pickle.dumps(WindowDataset(windows)))
    assert len(pickle.dumps(WindowDataset(windows))) < windows.frames.numpy().nbytes / 10
    index = [3, 1, 2]
    assert torch.equal(dataset.__getitems__(index)["x"], windows.gather(torch.tensor(index))["x"])


def test_training_on_memory_mapped_data_matches_in_memory_training(make_config, tmp_path):
    class FirstLoss(L.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            if batch_idx == 0:
                self.loss = float(outputs["loss"])
                self.mapped = isinstance(trainer.datamodule.windows["train"].frames, MappedArray)

    losses = []
    for memory_map in (False, True):
        first = FirstLoss()
        cfg = make_config(
            "+trainer.limit_train_batches=2",
            "+trainer.limit_val_batches=1",
            "test=false",
            f"data.memory_map={memory_map}",
            f"data.memory_map_dir={tmp_path}/stores",
            run=f"memory_map_{memory_map}",
        )
        train(cfg, extra_callbacks=[first])
        assert first.mapped == memory_map
        losses.append(first.loss)
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)


def test_mapping_reads_every_input_once_and_keeps_only_the_split_stores(tmp_path):
    """One reading pass fills the stores (no second read to write them); the spool it read into is
    gone afterwards, written stores or reused ones alike."""

    class Counted(InMemory):
        reads = 0

        def load_recordings(self):
            Counted.reads += 1
            for recording in self.recordings:
                yield dataclasses.replace(recording, frames=recording.frames.copy())

    stores = tmp_path / "stores"
    for expected_reads in (1, 2):  # stores written, then reused
        mapped = Counted(subjects(), window=10, stride=5, memory_map=True, memory_map_dir=str(stores))
        mapped.setup()
        assert Counted.reads == expected_reads
        assert sorted(p.name for p in stores.iterdir()) == sorted(
            w.frames.path.parent.name for w in mapped.windows.values()
        )
    in_memory = InMemory(subjects(), window=10, stride=5)
    in_memory.setup()
    for split, windows in in_memory.windows.items():
        assert torch.equal(
            mapped.windows[split].gather(torch.arange(len(windows)))["x"],
            windows.frames[windows.starts.unsqueeze(1) + torch.arange(10)],
        )
