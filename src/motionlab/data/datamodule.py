"""`MotionDataModule`: the one engine every data format feeds.

A subclass says how to read its recordings and which targets to build; this class does the rest,
identically for every format: gap filling, too-short recordings skipped and reported, a group-wise
(stratified) train/val/test split, normalisation statistics from the training split only,
vectorised windowing, samplers, on-device augmentation and the data report.

With ``memory_map`` the split's frames and per-frame targets live in memory-mapped split stores on
disk instead of in memory (see `split_store`): recordings are read one at a time (hashed, split,
and — when no store with that content exists yet — read again and streamed into the stores), the
normalisation statistics are accumulated block by block, and batches are gathered from the maps.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch import Tensor
from torch.utils.data import DataLoader, WeightedRandomSampler

from motionlab.data.augment import Augment, mirror_permutation
from motionlab.data.recording import Recording, fill_gaps, split_at_gaps
from motionlab.data.report import DataReport, SplitSummary
from motionlab.data.spec import DataSpec
from motionlab.data.split_store import SplitStore, SplitStoreWriter, recording_digest, store_directory
from motionlab.data.splits import SPLITS, fold_split, split_groups
from motionlab.data.stats import FeatureStats, fit_feature_stats, row_chunks
from motionlab.data.windows import WindowDataset, WindowSet, build_window_set, keep_batch
from motionlab.errors import ConfigError, DataFormatError, DataSplitError

log = logging.getLogger(__name__)

LONG_GAP_POLICIES = ("error", "split")
# Windows per block when per-window targets are derived (see `MotionDataModule._window_targets`).
WINDOW_BLOCK = 1 << 16


class MotionDataModule(L.LightningDataModule):
    """Base datamodule. Subclasses implement `load_recordings` and, as needed, the target hooks.

    Args:
        window: frames per window.
        stride: step between training windows.
        eval_stride: step between validation/test windows (defaults to ``stride``).
        batch_size: windows per batch.
        num_workers: DataLoader worker processes (0 is usually fastest: a batch is one gather).
        pin_memory: pin host memory for faster GPU copies; ``None`` pins when training on a CUDA device.
        max_gap: longest run of dropped (NaN) frames that is interpolated.
        long_gaps: what happens to longer runs (and NaN at the ends of a recording): ``error`` stops
            with a message naming the frames; ``split`` cuts the recording there into pieces, drops
            the NaN frames and reports them (for video, where a person may leave the picture).
        split: ``by`` (the grouping unit: ``group`` = the reader's natural unit, ``recording``, or a
            metadata key such as ``subject``), ``fractions``, ``seed``, and for fixed splits either
            ``val`` / ``test`` lists of group ids or ``column``, a metadata key whose value
            (``train``/``val``/``test``) names each recording's split. Cross-validation (set by the
            ``cv`` config section) adds ``folds`` and ``fold``: the test split is fold ``fold`` of
            ``folds`` stratified group folds, validation a group split of the others (`fold_split`).
        augment: `Augment` fields plus ``mirror_pairs`` (``auto`` or name pairs), ``mirror_negate``
            (names or patterns) and ``mirror_center`` (see `mirror_permutation`, `Augment.set_mirror`).
        memory_map: keep the splits in memory-mapped stores under ``memory_map_dir`` instead of in
            memory, for data larger than memory (same windows and batches).
        memory_map_dir: where the split stores are written (named by a hash of their content).
        max_skipped: the largest share (0 to 1) of the inputs that may be skipped as unreadable (broken
            files, failed videos); beyond it reading fails, naming them, instead of training on
            what is left. Skipped inputs are listed in ``data_report.json`` either way.
    """

    #: name of the window target holding the class index (drives stratification and class counts).
    class_target: str | None = None
    #: per-frame target that windows may not straddle a change of (label-pure windows).
    pure_target: str | None = None

    def __init__(
        self,
        window: int,
        stride: int,
        eval_stride: int | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        pin_memory: bool | None = None,
        max_gap: int = 5,
        long_gaps: str = "error",
        split: Mapping[str, Any] | None = None,
        augment: Mapping[str, Any] | None = None,
        class_names: Sequence[str] = (),
        memory_map: bool = False,
        memory_map_dir: str | None = None,
        max_skipped: float = 1.0,
    ) -> None:
        super().__init__()
        self.window = window
        self.stride = stride
        self.eval_stride = eval_stride or stride
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.max_gap = max_gap
        if long_gaps not in LONG_GAP_POLICIES:
            raise ConfigError(
                "data.long_gaps", f"unknown policy '{long_gaps}'", f"use one of {LONG_GAP_POLICIES}"
            )
        self.long_gaps = long_gaps
        if not 0.0 <= max_skipped <= 1.0:
            raise ConfigError("data.max_skipped", f"is {max_skipped}", "use a share from 0 to 1 (0.2 = 20%)")
        self.max_skipped = max_skipped
        self.unreadable: list[dict[str, str]] = []
        self.split_cfg = dict(split or {})
        augment = dict(augment or {})
        self.mirror_pairs = augment.pop("mirror_pairs", None)
        self.mirror_negate = augment.pop("mirror_negate", ())
        self.mirror_center = augment.pop("mirror_center", 0.0)
        self.augment = Augment(**augment)
        self.class_names = list(class_names)
        if memory_map and memory_map_dir is None:
            raise ConfigError(
                "data.memory_map_dir", "is not set", "name a directory for the memory-mapped split stores"
            )
        self.memory_map = memory_map
        self.memory_map_dir = memory_map_dir
        self.windows: dict[str, WindowSet] = {}
        self.feature_stats: FeatureStats | None = None
        self.report: DataReport | None = None
        self._feature_names: list[str] = []
        self._fps = 0.0

    # ----------------------------------------------------------------- hooks for subclasses
    def load_recordings(self) -> Iterable[Recording]:
        """Read and validate every recording (raise `DataFormatError` on bad input, or call
        `skip_unreadable` for an input that is skipped while the others are used). A generator
        that reads one recording at a time keeps memory bounded with ``memory_map``."""
        raise NotImplementedError

    def skip_unreadable(self, name: str, source: str, reason: str) -> None:
        """Record an input that `load_recordings` could not read: it is listed in the data report."""
        self.unreadable.append({"recording": name, "source": source, "reason": reason})

    def describe_source(self) -> str:
        """Where the data comes from, for the report."""
        raise NotImplementedError

    def frame_targets(self, recording: Recording) -> dict[str, np.ndarray]:
        """Per-frame targets windowed alongside the frames (and time-warped with them)."""
        return dict(recording.targets)

    def window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        """Per-window targets derived from the windowed per-frame targets."""
        return {}

    def train_sample_weights(self, windows: WindowSet) -> Tensor | None:
        """Sampling weight per training window; ``None`` samples uniformly (shuffled)."""
        return None

    def spec_extras(self) -> dict[str, Any]:
        """Task-specific facts added to the `DataSpec`."""
        return {}

    def extend_report(self, report: DataReport) -> None:
        """Add dataset-specific entries (e.g. positive-window ratio) to the report."""

    def normalization_chunks(self) -> Iterable[Tensor]:
        """``[n, F]`` blocks of the frames the normalisation statistics are fitted on: the training
        split's, block by block (so a memory-mapped split is never loaded whole).

        Override when the model transforms its input before normalising it (e.g. into a body frame),
        so that the statistics describe what the normaliser actually sees.
        """
        return row_chunks(self.windows["train"].frames)

    # ----------------------------------------------------------------- engine
    @property
    def spec(self) -> DataSpec:
        if not self.windows:
            raise RuntimeError("call setup() before asking for the data spec")
        return DataSpec(
            self._feature_names,
            self.window,
            self._fps,
            self.class_names,
            self.class_weights(),
            self.spec_extras(),
        )

    def class_weights(self) -> list[float]:
        """Inverse-frequency weights of the training windows' classes (see `DataSpec.class_weights`)."""
        if self.class_target is None:
            return []
        counts = torch.bincount(
            self.windows["train"].window_targets[self.class_target], minlength=len(self.class_names)
        ).double()
        weights = counts.sum() / (len(self.class_names) * counts)
        return torch.where(counts > 0, weights, torch.zeros_like(weights)).tolist()

    def setup(self, stage: str | None = None) -> None:
        if self.windows:
            return
        report = self._new_report()
        self.report = report
        if self.memory_map:
            recordings, digests, window_counts, class_counts = self._read_for_stores(report)
            targets: list[dict[str, np.ndarray]] = []
        else:
            recordings = list(self._valid_recordings(report))
            targets = [self.frame_targets(r) for r in recordings]
            window_counts, class_counts = self._window_counts(recordings, targets)
        group_of = [self._group_of(r) for r in recordings]
        assignment = self._split(recordings, group_of, window_counts, class_counts)
        split_of = {group: split for split in SPLITS for group in assignment.groups[split]}
        members = {split: [i for i, g in enumerate(group_of) if split_of.get(g) == split] for split in SPLITS}
        stores = self._open_stores(recordings, digests, members) if self.memory_map else {}
        for split_name in SPLITS:
            chosen = members[split_name]
            stride = self.stride if split_name == "train" else self.eval_stride
            windows = build_window_set(
                [recordings[i] for i in chosen],
                self.window,
                stride,
                [targets[i] for i in chosen] if targets else [],
                self.pure_target,
                stores.get(split_name),
            )
            if len(windows) == 0:
                raise DataSplitError(
                    f"the {split_name} split has no {self.window}-frame windows "
                    f"({len(chosen)} recording(s)): add recordings or lower data.window"
                )
            windows.window_targets = self._window_targets(windows)
            self.windows[split_name] = windows
            report.splits[split_name] = SplitSummary(
                groups=assignment.groups[split_name],
                recordings=len(chosen),
                frames=int(windows.frames.shape[0]),
                windows=len(windows),
                windows_per_class=self._class_counts(windows),
            )
        for warning in assignment.warnings:
            report.warn(warning)
        self.feature_stats = fit_feature_stats(self.normalization_chunks(), self._feature_names)
        report.constant_features = self.feature_stats.constant_features
        self._configure_augment()
        report.check_learnability()
        self.extend_report(report)

    def _new_report(self) -> DataReport:
        return DataReport(self.describe_source(), self.split_cfg.get("by", "group"), [], self.class_names)

    def _valid_recordings(self, report: DataReport) -> Iterator[Recording]:
        """Read the recordings one at a time and yield their gap-filled pieces that are long enough
        for a window; what was read, interpolated and skipped is counted in ``report``."""
        self.unreadable = []
        first: Recording | None = None
        skipped_before = len(report.skipped)
        valid = too_short = 0
        for recording in self.load_recordings():
            if first is None:
                first = recording
                self._feature_names = list(recording.feature_names)
                self._fps = float(recording.fps)
                report.feature_names = self._feature_names
            report.recordings_read += 1
            self._check_consistent(recording, first)
            for piece in self._without_long_gaps(recording, report):
                gaps = fill_gaps(piece, self.max_gap)
                report.interpolated_frames += gaps.interpolated_frames
                report.recordings_with_gaps += int(gaps.interpolated_frames > 0)
                report.longest_gap = max(report.longest_gap, gaps.longest_gap)
                if len(piece) < self.window:
                    too_short += 1
                    report.skip(
                        piece.name,
                        piece.source,
                        f"{len(piece)} frames is shorter than the {self.window}-frame window",
                    )
                    continue
                valid += 1
                yield piece
        if first is None:
            reasons = "; ".join(item["reason"] for item in self.unreadable[:3])
            raise DataFormatError(
                self.describe_source(),
                "no recordings found" + (f" that could be read ({reasons})" if reasons else ""),
                "check data.path",
            )
        report.skipped[skipped_before:skipped_before] = [dict(item) for item in self.unreadable]
        self._check_skipped_share(report.recordings_read)
        if self.unreadable:
            report.warn(f"skipped {len(self.unreadable)} input(s) that could not be read (see 'skipped')")
        if too_short:
            report.warn(f"skipped {too_short} recording(s) shorter than the {self.window}-frame window")
        if not valid:
            raise DataFormatError(
                self.describe_source(),
                f"all {report.recordings_read} recordings are shorter than the {self.window}-frame window",
                "lower data.window or provide longer recordings",
            )

    def _read_for_stores(
        self, report: DataReport
    ) -> tuple[list[Recording], list[str], np.ndarray, np.ndarray | None]:
        """The valid recordings without their per-frame arrays, their content digests and window
        counts (see `_window_counts`). Each recording is hashed and counted, then its frames and
        targets are dropped: `_open_stores` maps them back from disk."""
        recordings, digests, counts, class_counts = [], [], [], []
        for recording in self._valid_recordings(report):
            frame_targets = self.frame_targets(recording)
            digests.append(recording_digest(recording, frame_targets))
            windows, classes = self._window_counts([recording], [frame_targets])
            counts.append(windows)
            class_counts.append(classes)
            recording.frames = _placeholder(recording.frames)
            recording.targets = {key: _placeholder(values) for key, values in recording.targets.items()}
            recordings.append(recording)
        classes = np.concatenate(class_counts) if self.class_target is not None else None
        return recordings, digests, np.concatenate(counts), classes

    def _open_stores(
        self, recordings: list[Recording], digests: list[str], members: Mapping[str, list[int]]
    ) -> dict[str, SplitStore]:
        """Each split's store (written first when missing); the recordings' frames and targets
        become views of it."""
        directories = {
            split: store_directory(self.memory_map_dir, [digests[i] for i in chosen])
            for split, chosen in members.items()
        }
        missing = {split: path for split, path in directories.items() if not path.is_dir() and members[split]}
        if missing:
            self._write_stores(missing, digests, members)
        stores = {}
        for split, chosen in members.items():
            if not chosen:
                continue
            store = stores[split] = SplitStore.open(directories[split])
            frames = store.frames.numpy()
            targets = {key: values.numpy() for key, values in store.recording_targets.items()}
            offset = 0
            for i in chosen:
                end = offset + len(recordings[i])
                recordings[i].frames = frames[offset:end]
                recordings[i].targets = {key: values[offset:end] for key, values in targets.items()}
                offset = end
        return stores

    def _write_stores(
        self, directories: Mapping[str, Path], digests: list[str], members: Mapping[str, list[int]]
    ) -> None:
        """Read the recordings again, one at a time, and stream each into its split's store."""
        split_of = {i: split for split in directories for i in members[split]}
        writers: dict[str, SplitStoreWriter] = {}
        try:
            for index, recording in enumerate(self._valid_recordings(self._new_report())):
                frame_targets = self.frame_targets(recording)
                if index >= len(digests) or recording_digest(recording, frame_targets) != digests[index]:
                    raise DataFormatError(
                        recording.source,
                        "changed while the memory-mapped split stores were being written",
                        "run again once the data no longer changes",
                    )
                split = split_of.get(index)
                if split is None:
                    continue
                if split not in writers:
                    writers[split] = SplitStoreWriter(directories[split], recording, frame_targets)
                writers[split].append(recording, frame_targets)
        except BaseException:
            for writer in writers.values():
                writer.discard()
            raise
        for split, writer in writers.items():
            writer.commit()
            log.info("wrote the memory-mapped %s split to %s", split, directories[split])

    def _check_skipped_share(self, read: int) -> None:
        """Fail when more than ``max_skipped`` of the inputs could not be read."""
        skipped = len(self.unreadable)
        if skipped <= self.max_skipped * (read + skipped):
            return
        listed = "; ".join(f"{item['source']}: {item['reason']}" for item in self.unreadable[:3])
        raise DataFormatError(
            self.describe_source(),
            f"{skipped} of {read + skipped} inputs could not be read, more than data.max_skipped="
            f"{self.max_skipped} ({listed}{' ...' if skipped > 3 else ''})",
            "fix or remove the broken files, or raise data.max_skipped to train on the rest",
        )

    def _without_long_gaps(self, recording: Recording, report: DataReport) -> list[Recording]:
        """The recording, or with ``long_gaps=split`` its pieces between runs of > max_gap NaN frames."""
        if self.long_gaps == "error":
            return [recording]
        pieces, dropped = split_at_gaps(recording, self.max_gap)
        if dropped:
            report.dropped_frames += dropped
            report.recordings_split += int(len(pieces) > 1)
        if not pieces:
            report.skip(recording.name, recording.source, "no frame without NaN (e.g. no pose detected)")
        return pieces

    def _check_consistent(self, recording: Recording, first: Recording) -> None:
        if list(recording.feature_names) != self._feature_names:
            raise DataFormatError(
                recording.source,
                f"features {recording.feature_names} differ from {self._feature_names} in {first.source}",
                "export every recording with the same feature columns",
            )
        if not np.isclose(recording.fps, self._fps):
            raise DataFormatError(
                recording.source,
                f"frame rate {recording.fps} differs from {self._fps} in {first.source}",
                "resample the recordings to one frame rate",
            )

    def _group_of(self, recording: Recording) -> str:
        by = self.split_cfg.get("by", "group")
        if by == "group":
            return recording.group
        if by == "recording":
            return recording.name
        if by not in recording.meta:
            raise ConfigError(
                "data.split.by",
                f"'{by}' is not known for {recording.source}",
                f"use 'group', 'recording' or one of {sorted(recording.meta)}",
            )
        return str(recording.meta[by])

    def _window_counts(
        self, recordings: list[Recording], targets: list[dict[str, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Training windows per recording ``[R]`` and, when the data has classes, per recording and
        class ``[R, C]`` (what the split balances)."""
        windows = build_window_set(
            recordings, self.window, self.stride, targets, self.pure_target, with_frames=False
        )
        index = windows.recording_index.numpy()
        counts = np.bincount(index, minlength=len(recordings)).astype(np.float64)
        if self.class_target is None:
            return counts, None
        classes = self._window_targets(windows)[self.class_target].numpy()
        class_counts = np.zeros((len(recordings), len(self.class_names)))
        np.add.at(class_counts, (index, classes), 1)
        return counts, class_counts

    def _split(
        self,
        recordings: list[Recording],
        group_of: list[str],
        window_counts: np.ndarray,
        class_counts: np.ndarray | None,
    ):
        """Split groups, stratified by the windows' classes when the data has classes."""
        names = sorted(set(group_of))
        index = {name: i for i, name in enumerate(names)}
        recording_group = np.array([index[g] for g in group_of], dtype=np.int64)
        weights = np.bincount(recording_group, weights=window_counts, minlength=len(names))
        group_class_counts = None
        if class_counts is not None:
            group_class_counts = np.zeros((len(names), len(self.class_names)))
            np.add.at(group_class_counts, recording_group, class_counts)
        fixed = self._fixed_splits(recordings, group_of)
        common = {
            "fractions": self.split_cfg.get("fractions", (0.7, 0.15, 0.15)),
            "seed": self.split_cfg.get("seed", 0),
            "unit": self.split_cfg.get("by", "group"),
        }
        folds = self.split_cfg.get("folds")
        if not folds:
            return split_groups(names, weights, group_class_counts, self.class_names, fixed=fixed, **common)
        if fixed:
            raise ConfigError(
                "cv.folds",
                "cross-validation puts every group in one fold's test set, but data.split prescribes "
                f"fixed val/test groups ({len(fixed)} listed in data.split.val/test or data.split.column)",
                "clear them (data.split.val=[] data.split.test=[] data.split.column=null) or train "
                "without cross-validation (cv.folds=0)",
            )
        fold = self.split_cfg.get("fold")
        return fold_split(names, weights, group_class_counts, self.class_names, folds, fold, **common)

    def _fixed_splits(self, recordings: list[Recording], group_of: list[str]) -> dict[str, str]:
        """Group → split prescribed by the ``val``/``test`` lists or by the ``column`` metadata key."""
        listed = {str(g): "val" for g in self.split_cfg.get("val") or []}
        listed.update({str(g): "test" for g in self.split_cfg.get("test") or []})
        column = self.split_cfg.get("column")
        if column is None:
            return listed
        if listed:
            raise ConfigError(
                "data.split.column",
                "set together with data.split.val / data.split.test",
                "prescribe the split either by listing val/test groups or by a column, not both",
            )
        unit = self.split_cfg.get("by", "group")
        fixed: dict[str, str] = {}
        for recording, group in zip(recordings, group_of, strict=True):
            if column not in recording.meta:
                raise ConfigError(
                    "data.split.column",
                    f"'{column}' is not known for {recording.source}",
                    f"use one of {sorted(recording.meta)}",
                )
            split = str(recording.meta[column])
            if fixed.setdefault(group, split) != split:
                raise DataSplitError(
                    f"{recording.source}: {unit} '{group}' is in split '{split}' here but in "
                    f"'{fixed[group]}' elsewhere (column '{column}'); a {unit} must stay in one split: "
                    "fix the column or split by a finer unit (data.split.by)"
                )
        return fixed

    def _window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        """`window_targets`, a block of windows at a time: the hooks window per-frame targets
        (``[M, W, ...]``), which for a whole large split would be many times its frames' size."""
        blocks = zip(
            windows.starts.split(WINDOW_BLOCK), windows.recording_index.split(WINDOW_BLOCK), strict=True
        )
        parts = [
            self.window_targets(dataclasses.replace(windows, starts=starts, recording_index=index))
            for starts, index in blocks
        ]
        if len(parts) <= 1:
            return parts[0] if parts else self.window_targets(windows)
        return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}

    def _class_counts(self, windows: WindowSet) -> dict[str, int]:
        if self.class_target is None:
            return {}
        counts = torch.bincount(windows.window_targets[self.class_target], minlength=len(self.class_names))
        return dict(zip(self.class_names, counts.tolist(), strict=True))

    def _configure_augment(self) -> None:
        self.augment.set_feature_std(self.feature_stats.std)
        if self.mirror_pairs is not None:
            index, sign = mirror_permutation(self._feature_names, self.mirror_pairs, self.mirror_negate)
            self.augment.set_mirror(index, sign, center=self.mirror_center)

    # ----------------------------------------------------------------- loaders
    def _loader(self, windows: WindowSet, train: bool, trainer: L.Trainer | None = None) -> DataLoader:
        dataset = WindowDataset(windows)
        trainer = trainer or self.trainer
        if train:
            weights = self.train_sample_weights(windows)
            sampler = (
                None if weights is None else WeightedRandomSampler(weights, len(dataset), replacement=True)
            )
        else:
            sampler = self._evaluation_sampler(dataset, trainer)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=train and sampler is None,
            sampler=sampler,
            collate_fn=keep_batch,
            num_workers=self.num_workers,
            pin_memory=self._pins_memory(trainer),
            persistent_workers=self.num_workers > 0,
        )

    def _evaluation_sampler(
        self, dataset: WindowDataset, trainer: L.Trainer | None
    ) -> UnrepeatedDistributedSampler | None:
        """Under several processes, validation and test windows are dealt out without repeats.

        Lightning's default `DistributedSampler` pads the split with repeated windows so that every
        process gets as many batches, which biases the metrics; this sampler gives each window to
        exactly one process (counts differ by at most one), so synchronised metrics equal a single
        process's. Evaluation runs no per-batch collective, so uneven counts are safe.
        """
        distributed = trainer.distributed_sampler_kwargs if trainer is not None else None
        if not distributed or distributed["num_replicas"] == 1:
            return None
        return UnrepeatedDistributedSampler(dataset, shuffle=False, **distributed)

    def _pins_memory(self, trainer: L.Trainer | None) -> bool:
        """``pin_memory=None`` pins host memory only when the trainer runs on a CUDA device."""
        if self.pin_memory is not None:
            return self.pin_memory
        return trainer is not None and trainer.strategy.root_device.type == "cuda"

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.windows["train"], train=True)

    def val_dataloader(self) -> DataLoader:
        return self.evaluation_loader(self.windows["val"])

    def test_dataloader(self) -> DataLoader:
        return self.evaluation_loader(self.windows["test"])

    def evaluation_loader(self, windows: WindowSet, trainer: L.Trainer | None = None) -> DataLoader:
        """The loader validation and testing use, over any ``windows`` (another split, or several),
        for ``trainer`` (default: the one this datamodule is attached to). Its dataset carries the
        windows' recordings, which the task's whole-recording evaluation receives."""
        return self._loader(windows, train=False, trainer=trainer)

    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        """Augment training batches on the device they were moved to (never val/test)."""
        if self.trainer is not None and self.trainer.training and self.augment.active:
            frame_keys = list(self.windows["train"].frame_targets)
            batch = self.augment(batch, frame_keys)
        return batch


def _placeholder(values: np.ndarray) -> np.ndarray:
    """An array of ``values``' shape and dtype that holds no memory (one broadcast zero): it stands
    in for a recording's per-frame array until the split store's view replaces it."""
    return np.broadcast_to(np.zeros((), dtype=values.dtype), values.shape)
