"""`MotionDataModule`: the one engine every data format feeds.

A subclass says how to read its recordings and which targets to build; this class does the rest,
identically for every format: gap filling, too-short recordings skipped and reported, a group-wise
(stratified) train/val/test split, normalisation statistics from the training split only,
vectorised windowing, samplers, on-device augmentation and the data report.

`setup` is one path: read (one pass, each recording handed to a storage backend as it is read) →
fill gaps → split (`SplitPolicy`) → window → statistics → augment. The backend decides where the
frames live (see `storage`): in memory, or with ``memory_map`` in memory-mapped split stores on disk,
from which the normalisation statistics are accumulated block by block and batches are gathered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
from motionlab.data.splits import SPLITS, GroupSplit, SplitPolicy
from motionlab.data.stats import FeatureStats, fit_feature_stats, row_chunks
from motionlab.data.storage import EVERY_RECORDING, MappedStorage, MemoryStorage, Storage
from motionlab.data.windows import WindowDataset, WindowSet, build_window_set, keep_batch
from motionlab.errors import ConfigError, DataFormatError, DataSplitError

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
        memory_map_dir: where the split stores are written (named by a hash of their content), and
            where the data is spooled while it is read (removed after setup; see `storage`).
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
        self.split_policy = SplitPolicy(self.split_cfg)
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
        #: the windows of `load_unlabelled_recordings` (training stride, no targets), or ``None``
        self.unlabelled: WindowSet | None = None
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

    def load_unlabelled_recordings(self) -> Iterable[Recording]:
        """Recordings without labels given beside the labelled ones (e.g. `CsvFramesDataModule`'s
        ``unlabelled``): training material for a task that learns from them (`ClassifyTask`'s
        ``self_training``), windowed into `unlabelled`. None by default."""
        return ()

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
        """Read → fill gaps → split → window → statistics → augment, the same for every storage."""
        if self.windows:
            return
        report = self.report = self._new_report()
        with self._storage() as storage:
            for recording in self._valid_recordings(report):  # read → fill gaps, in one pass
                storage.add(recording, self.frame_targets(recording))
            assignment = self._split(storage)
            self.windows = self._window(storage, assignment)
        for warning in assignment.warnings:
            report.warn(warning)
        self.unlabelled = self._unlabelled_windows(report)
        self.feature_stats = fit_feature_stats(self.normalization_chunks(), self._feature_names)
        report.constant_features = self.feature_stats.constant_features
        self._configure_augment()
        report.check_learnability()
        self.extend_report(report)

    def _split(self, storage: Storage) -> GroupSplit:
        """Split the stored recordings by group (stratified by their training windows' classes) and
        divide the storage accordingly."""
        counts, class_counts = self._window_counts(
            storage.window_set(EVERY_RECORDING, self.window, self.stride, self.pure_target, False)
        )
        assignment, members = self.split_policy.assign(
            storage.recordings, counts, class_counts, self.class_names
        )
        storage.divide(members)
        return assignment

    def _window(self, storage: Storage, assignment: GroupSplit) -> dict[str, WindowSet]:
        """Each split's windows and their targets (summarised in the report)."""
        windows = {}
        for split in SPLITS:
            stride = self.stride if split == "train" else self.eval_stride
            chosen = windows[split] = storage.window_set(split, self.window, stride, self.pure_target)
            recordings = len(storage.members[split])
            if len(chosen) == 0:
                raise DataSplitError(
                    f"the {split} split has no {self.window}-frame windows "
                    f"({recordings} recording(s)): add recordings or lower data.window"
                )
            chosen.window_targets = self._window_targets(chosen)
            self.report.splits[split] = SplitSummary(
                groups=assignment.groups[split],
                recordings=recordings,
                frames=int(chosen.frames.shape[0]),
                windows=len(chosen),
                windows_per_class=self._class_counts(chosen),
            )
        return windows

    def _unlabelled_windows(self, report: DataReport) -> WindowSet | None:
        """The unlabelled recordings (`load_unlabelled_recordings`) gap-filled like the labelled ones
        and windowed at the training stride, kept in memory. A recording of a validation or test group
        is refused: learning from it would leak the held-out people into training."""
        first = self.windows["train"].recordings[0]
        held_out = {group: split for split in ("val", "test") for group in report.splits[split].groups}
        recordings, too_short = [], 0
        for recording in self.load_unlabelled_recordings():
            self._check_consistent(recording, first)
            group = self.split_policy.group_of(recording)
            if group in held_out:
                raise DataSplitError(
                    f"{recording.source}: this unlabelled recording belongs to "
                    f"{self.split_policy.by} '{group}' of the {held_out[group]} split: learning from it "
                    "would leak a held-out group into training; leave that group's recordings out of "
                    "data.unlabelled"
                )
            for piece in self._without_long_gaps(recording, report):
                fill_gaps(piece, self.max_gap)
                if len(piece) < self.window:
                    too_short += 1
                else:
                    recordings.append(piece)
        if not recordings:
            if too_short:
                report.warn(
                    f"all {too_short} unlabelled recording(s) are shorter than the {self.window}-frame "
                    "window: none is used"
                )
            return None
        windows = build_window_set(recordings, self.window, self.stride, [{} for _ in recordings])
        report.extras["unlabelled"] = {
            "recordings": len(recordings),
            "windows": len(windows),
            "groups": len(set(self.recording_groups(recordings))),
            "skipped_too_short": too_short,
        }
        return windows

    def _storage(self) -> Storage:
        return MappedStorage(self.memory_map_dir) if self.memory_map else MemoryStorage()

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

    def _window_counts(self, windows: WindowSet) -> tuple[np.ndarray, np.ndarray | None]:
        """Training windows per recording ``[R]`` of ``windows`` and, when the data has classes, per
        recording and class ``[R, C]`` (what the split balances)."""
        index = windows.recording_index.numpy()
        counts = np.bincount(index, minlength=len(windows.recordings)).astype(np.float64)
        if self.class_target is None:
            return counts, None
        classes = self._window_targets(windows)[self.class_target].numpy()
        class_counts = np.zeros((len(windows.recordings), len(self.class_names)))
        np.add.at(class_counts, (index, classes), 1)
        return counts, class_counts

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
    def recording_groups(self, recordings: Sequence[Recording]) -> list[str]:
        """The split group of each of ``recordings`` (``data.split.by``: subject, session, recording,
        ...): the names ``report.splits[...].groups`` lists."""
        return [self.split_policy.group_of(recording) for recording in recordings]

    def _loader(self, windows: WindowSet, train: bool, trainer: L.Trainer | None = None) -> DataLoader:
        dataset = WindowDataset(windows, groups=self.recording_groups(windows.recordings))
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
