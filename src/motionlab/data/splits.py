"""Train/val/test splits and cross-validation folds by group (subject, session, video, clip) — never
by window.

Windows cut from one recording are strongly correlated, so a window-level random split leaks the
test set into training. Every recording of a group goes to exactly one split (or fold). Among many
random group orders the split keeps the one that (1) puts every class in every split where the data
allows and (2) comes closest to the requested fractions of windows. `SplitPolicy` applies the
``data.split`` settings (grouping unit, fixed splits, cross-validation folds) to a dataset's recordings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from motionlab.data.recording import Recording
from motionlab.errors import ConfigError, DataSplitError

SPLITS = ("train", "val", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


@dataclass
class GroupSplit:
    """Which groups went to which split, and what the data could not satisfy."""

    groups: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)

    def split_of(self, group: str) -> str:
        return next(name for name, members in self.groups.items() if group in members)


class SplitPolicy:
    """The ``data.split`` settings applied to a dataset's recordings: which group each recording
    belongs to (``by``) and which split each group goes to — a random stratified split (``fractions``,
    ``seed``), a fixed one (``val``/``test`` lists or a ``column``), or a cross-validation fold
    (``folds``, ``fold``, set by the ``cv`` config section)."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config or {})
        self.by = self.config.get("by", "group")

    def group_of(self, recording: Recording) -> str:
        """The group ``recording`` belongs to: the reader's group, its name, or a metadata value."""
        if self.by == "group":
            return recording.group
        if self.by == "recording":
            return recording.name
        if self.by not in recording.meta:
            raise ConfigError(
                "data.split.by",
                f"'{self.by}' is not known for {recording.source}",
                f"use 'group', 'recording' or one of {sorted(recording.meta)}",
            )
        return str(recording.meta[self.by])

    def assign(
        self,
        recordings: Sequence[Recording],
        window_counts: np.ndarray,
        class_counts: np.ndarray | None = None,
        class_names: Sequence[str] = (),
    ) -> tuple[GroupSplit, dict[str, list[int]]]:
        """The groups of each split and the positions (in ``recordings``) of each split's recordings.

        Args:
            window_counts: ``[R]`` training windows per recording (the fractions apply to these).
            class_counts: ``[R, C]`` windows per recording and class, to stratify by (optional).
        """
        group_of = [self.group_of(r) for r in recordings]
        names = sorted(set(group_of))
        index = {name: i for i, name in enumerate(names)}
        recording_group = np.array([index[g] for g in group_of], dtype=np.int64)
        weights = np.bincount(recording_group, weights=window_counts, minlength=len(names))
        group_class_counts = None
        if class_counts is not None:
            group_class_counts = np.zeros((len(names), len(class_names)))
            np.add.at(group_class_counts, recording_group, class_counts)
        assignment = self._split_groups(
            names, weights, group_class_counts, class_names, self._fixed(recordings, group_of)
        )
        split_of = {group: split for split in SPLITS for group in assignment.groups[split]}
        members = {split: [i for i, g in enumerate(group_of) if split_of.get(g) == split] for split in SPLITS}
        return assignment, members

    def _split_groups(
        self,
        names: list[str],
        weights: np.ndarray,
        class_counts: np.ndarray | None,
        class_names: Sequence[str],
        fixed: dict[str, str],
    ) -> GroupSplit:
        common = {
            "fractions": self.config.get("fractions", DEFAULT_FRACTIONS),
            "seed": self.config.get("seed", 0),
            "unit": self.by,
        }
        folds = self.config.get("folds")
        if not folds:
            return split_groups(names, weights, class_counts, class_names, fixed=fixed, **common)
        if fixed:
            raise ConfigError(
                "cv.folds",
                "cross-validation puts every group in one fold's test set, but data.split prescribes "
                f"fixed val/test groups ({len(fixed)} listed in data.split.val/test or data.split.column)",
                "clear them (data.split.val=[] data.split.test=[] data.split.column=null) or train "
                "without cross-validation (cv.folds=0)",
            )
        fold = self.config.get("fold")
        return fold_split(names, weights, class_counts, class_names, folds, fold, **common)

    def _fixed(self, recordings: Sequence[Recording], group_of: list[str]) -> dict[str, str]:
        """Group → split prescribed by the ``val``/``test`` lists or by the ``column`` metadata key."""
        listed = {str(g): "val" for g in self.config.get("val") or []}
        listed.update({str(g): "test" for g in self.config.get("test") or []})
        column = self.config.get("column")
        if column is None:
            return listed
        if listed:
            raise ConfigError(
                "data.split.column",
                "set together with data.split.val / data.split.test",
                "prescribe the split either by listing val/test groups or by a column, not both",
            )
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
                    f"{recording.source}: {self.by} '{group}' is in split '{split}' here but in "
                    f"'{fixed[group]}' elsewhere (column '{column}'); a {self.by} must stay in one split: "
                    "fix the column or split by a finer unit (data.split.by)"
                )
        return fixed


def split_groups(
    names: Sequence[str],
    weights: Sequence[float] | np.ndarray,
    class_counts: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    fixed: Mapping[str, str] | None = None,
    trials: int = 512,
    unit: str = "group",
) -> GroupSplit:
    """Assign each group to train, val or test.

    Args:
        names: group ids.
        weights: size of each group (e.g. its number of windows); fractions apply to these.
        class_counts: ``[G, C]`` windows per class in each group, for stratification (optional).
        class_names: the ``C`` class names, for warnings.
        fractions: target shares of train, val and test.
        seed: makes the choice reproducible.
        fixed: group → split for groups whose split is prescribed (benchmarks). When given, every
            group not listed goes to train.
        trials: number of random group orders tried.
        unit: what a group is, for messages ("subject", "session", ...).
    """
    names = list(names)
    weights = np.asarray(weights, dtype=np.float64)
    if fixed:
        return _fixed_split(names, class_counts, class_names, fixed, unit)
    fractions = _checked_fractions(fractions)
    if len(names) < 3:
        raise DataSplitError(
            f"only {len(names)} {unit}(s) ({', '.join(map(repr, names))}): "
            f"a split by {unit} needs at least 3 (train, val, test); add recordings, split by a finer "
            f"unit, or list fixed val/test {unit}s"
        )
    best = _best_assignment(weights, class_counts, fractions, seed, trials)
    groups = {split: [names[g] for g in np.flatnonzero(best == i)] for i, split in enumerate(SPLITS)}
    return GroupSplit(groups, _coverage_warnings(best, class_counts, class_names, unit))


def fold_groups(
    names: Sequence[str],
    weights: Sequence[float] | np.ndarray,
    class_counts: np.ndarray | None = None,
    folds: int = 5,
    seed: int = 0,
    trials: int = 512,
    unit: str = "group",
) -> list[list[str]]:
    """Deal the groups into ``folds`` disjoint folds for k-fold cross-validation.

    Every group lands in exactly one fold. Among many random group orders the one is kept that
    (1) puts every class in every fold where the data allows, then (2) comes closest to equal fold
    weights and, per class, to an equal share of its windows in every fold (stratification).
    """
    names = list(names)
    if folds < 2:
        raise DataSplitError(f"cross-validation needs at least 2 folds, got {folds}")
    if len(names) < folds + 1:
        raise DataSplitError(
            f"only {len(names)} {unit}(s): {folds}-fold cross-validation needs at least {folds + 1} "
            f"(each fold's test {unit}s, plus train and val {unit}s from the other folds); lower cv.folds, "
            f"add recordings or split by a finer unit (data.split.by)"
        )
    weights = np.asarray(weights, dtype=np.float64)
    best = _best_assignment(
        weights, class_counts, np.full(folds, 1.0 / folds), seed, trials, balance_classes=True
    )
    return [[names[g] for g in np.flatnonzero(best == f)] for f in range(folds)]


def fold_split(
    names: Sequence[str],
    weights: Sequence[float] | np.ndarray,
    class_counts: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    folds: int = 5,
    fold: int = 0,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    trials: int = 512,
    unit: str = "group",
) -> GroupSplit:
    """Train/val/test of fold ``fold`` of `fold_groups`: the fold is the test set; validation is a
    group-wise, stratified share ``val / (train + val)`` of ``fractions`` of the other folds' groups
    (so each fold trains on as much as it can and validation keeps the usual proportion)."""
    if fold is None or not 0 <= fold < folds:
        raise DataSplitError(f"fold {fold} does not exist: folds are numbered 0 to {folds - 1}")
    names = list(names)
    weights = np.asarray(weights, dtype=np.float64)
    test = set(fold_groups(names, weights, class_counts, folds, seed, trials, unit)[fold])
    rest = np.array([g for g, name in enumerate(names) if name not in test])
    if len(rest) < 2:
        raise DataSplitError(
            f"fold {fold} leaves {len(rest)} {unit}(s) outside its test set, too few for train and val: "
            "lower cv.folds or add recordings"
        )
    train_val = _checked_fractions(fractions)[:2]
    rest_counts = None if class_counts is None else class_counts[rest]
    carved = _best_assignment(
        weights[rest], rest_counts, train_val / train_val.sum(), seed, trials, balance_classes=True
    )
    assignment = np.full(len(names), SPLITS.index("test"))
    assignment[rest] = carved
    groups = {split: [names[g] for g in np.flatnonzero(assignment == i)] for i, split in enumerate(SPLITS)}
    return GroupSplit(groups, _coverage_warnings(assignment, class_counts, class_names, unit))


def _checked_fractions(fractions: Sequence[float]) -> np.ndarray:
    """The train/val/test fractions, normalised to sum to 1."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if len(fractions) != 3 or (fractions <= 0).any():
        raise DataSplitError(
            f"split fractions must be three positive numbers (train, val, test), got {list(fractions)}"
        )
    return fractions / fractions.sum()


def _best_assignment(
    weights: np.ndarray,
    class_counts: np.ndarray | None,
    fractions: np.ndarray,
    seed: int,
    trials: int,
    balance_classes: bool = False,
) -> np.ndarray:
    """Part index (into ``fractions``) of every group: the best of ``trials`` random group orders,
    each cut by weight and by count (see `_score`)."""
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(len(weights)) for _ in range(trials)])
    candidates = np.concatenate(
        [_cut_by_weight(orders, weights, fractions), _cut_by_count(orders, fractions)]
    )
    scores = _score(candidates, weights, class_counts, fractions, balance_classes)
    return candidates[int(np.argmin(scores))]


def _cut_by_weight(orders: np.ndarray, weights: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Split each order where the cumulative weight crosses the fraction boundaries."""
    w = weights[orders]
    midpoints = np.cumsum(w, axis=1) - w / 2
    bounds = np.cumsum(fractions)[:-1] * weights.sum()
    ordered_split = np.searchsorted(bounds, midpoints.ravel(), side="right").reshape(orders.shape)
    return _unpermute(orders, ordered_split)


def _cut_by_count(orders: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Split each order by number of groups; leaves every part non-empty when G >= number of parts.

    Parts after the first get ``round(G * fraction)`` groups (at least one, and no more than leaves one
    for each part still to come); the first part gets the rest.
    """
    n, parts = orders.shape[1], len(fractions)
    sizes = np.zeros(parts, dtype=np.int64)
    for p in range(1, parts):
        sizes[p] = max(1, min(round(n * fractions[p]), n - sizes[:p].sum() - (parts - p)))
    sizes[0] = n - sizes.sum()
    ordered_split = np.repeat(np.arange(parts), sizes)
    return _unpermute(orders, np.broadcast_to(ordered_split, orders.shape))


def _unpermute(orders: np.ndarray, ordered_split: np.ndarray) -> np.ndarray:
    """Turn 'split of the k-th group in this order' into 'split of group g'."""
    result = np.empty_like(orders)
    np.put_along_axis(result, orders, ordered_split, axis=1)
    return result


def _score(
    candidates: np.ndarray,
    weights: np.ndarray,
    class_counts: np.ndarray | None,
    fractions: np.ndarray,
    balance_classes: bool = False,
) -> np.ndarray:
    """Lower is better: empty parts are invalid, then missing (part, class) pairs, then size error.

    With ``balance_classes`` the size error also counts how far each class's share of windows in each
    part is from the part's fraction (stratified folds: every fold's class mix close to the whole's).
    """
    onehot = candidates[..., None] == np.arange(len(fractions))  # [trials, G, parts]
    empty = (~onehot.any(axis=1)).any(axis=1)
    shares = np.einsum("tgs,g->ts", onehot, weights) / weights.sum()
    size_error = np.abs(shares - fractions).sum(axis=1)
    missing = np.zeros(len(candidates))
    if class_counts is not None:
        per_split = np.einsum("tgs,gc->tsc", onehot, class_counts)
        totals = class_counts.sum(axis=0)
        present = totals > 0
        missing = ((per_split == 0) & present).sum(axis=(1, 2))
        if balance_classes and present.any():
            class_shares = per_split[..., present] / totals[present]  # [trials, parts, classes]
            size_error = size_error + np.abs(class_shares - fractions[:, None]).sum(axis=1).mean(axis=1)
    return empty * 1e9 + missing * 1e3 + size_error


def _coverage_warnings(
    assignment: np.ndarray, class_counts: np.ndarray | None, class_names: Sequence[str], unit: str
) -> list[str]:
    if class_counts is None:
        return []
    warnings = []
    for s, split in enumerate(SPLITS):
        counts = class_counts[assignment == s].sum(axis=0)
        for c in np.flatnonzero((counts == 0) & (class_counts.sum(axis=0) > 0)):
            holders = int((class_counts[:, c] > 0).sum())
            warnings.append(
                f"class '{class_names[c]}' has no windows in the {split} split (it occurs in {holders} "
                f"{unit}(s)): its {split} metrics are undefined; add recordings of it or fix the split"
            )
    return warnings


def _fixed_split(
    names: list[str],
    class_counts: np.ndarray | None,
    class_names: Sequence[str],
    fixed: Mapping[str, str],
    unit: str,
) -> GroupSplit:
    unknown_groups = sorted(set(fixed) - set(names))
    if unknown_groups:
        raise DataSplitError(
            f"fixed split names unknown {unit}(s) {unknown_groups}; available: {sorted(names)}"
        )
    bad = sorted({split for split in fixed.values() if split not in SPLITS})
    if bad:
        raise DataSplitError(f"fixed split uses unknown split name(s) {bad}; use one of {list(SPLITS)}")
    assignment = np.array([SPLITS.index(fixed.get(name, "train")) for name in names])
    groups = {split: [names[g] for g in np.flatnonzero(assignment == i)] for i, split in enumerate(SPLITS)}
    empty = [split for split, members in groups.items() if not members]
    if empty:
        raise DataSplitError(
            f"fixed split leaves {empty} without any {unit}; list at least one {unit} for each"
        )
    return GroupSplit(groups, _coverage_warnings(assignment, class_counts, class_names, unit))
