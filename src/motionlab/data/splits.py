"""Train/val/test splits by group (subject, session, video, clip) — never by window.

Windows cut from one recording are strongly correlated, so a window-level random split leaks the
test set into training. Every recording of a group goes to exactly one split. Among many random
group orders the split keeps the one that (1) puts every class in every split where the data
allows and (2) comes closest to the requested fractions of windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from motionlab.errors import DataSplitError

SPLITS = ("train", "val", "test")


@dataclass
class GroupSplit:
    """Which groups went to which split, and what the data could not satisfy."""

    groups: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)

    def split_of(self, group: str) -> str:
        return next(name for name, members in self.groups.items() if group in members)


def split_groups(
    names: Sequence[str],
    weights: Sequence[float] | np.ndarray,
    class_counts: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
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
    fractions = np.asarray(fractions, dtype=np.float64)
    if len(fractions) != 3 or (fractions <= 0).any():
        raise DataSplitError(
            f"split fractions must be three positive numbers (train, val, test), got {list(fractions)}"
        )
    if len(names) < 3:
        raise DataSplitError(
            f"only {len(names)} {unit}(s) ({', '.join(map(repr, names))}): "
            f"a split by {unit} needs at least 3 (train, val, test); add recordings, split by a finer "
            f"unit, or list fixed val/test {unit}s"
        )
    fractions = fractions / fractions.sum()
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(len(names)) for _ in range(trials)])
    candidates = np.concatenate(
        [_cut_by_weight(orders, weights, fractions), _cut_by_count(orders, fractions)]
    )
    scores = _score(candidates, weights, class_counts, fractions)
    best = candidates[int(np.argmin(scores))]
    groups = {split: [names[g] for g in np.flatnonzero(best == i)] for i, split in enumerate(SPLITS)}
    return GroupSplit(groups, _coverage_warnings(best, class_counts, class_names, unit))


def _cut_by_weight(orders: np.ndarray, weights: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Split each order where the cumulative weight crosses the fraction boundaries."""
    w = weights[orders]
    midpoints = np.cumsum(w, axis=1) - w / 2
    bounds = np.cumsum(fractions)[:2] * weights.sum()
    ordered_split = np.searchsorted(bounds, midpoints.ravel(), side="right").reshape(orders.shape)
    return _unpermute(orders, ordered_split)


def _cut_by_count(orders: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Split each order by number of groups; always leaves every split non-empty when G >= 3."""
    n = orders.shape[1]
    n_val = max(1, round(n * fractions[1]))
    n_test = max(1, min(round(n * fractions[2]), n - n_val - 1))
    ordered_split = np.zeros(n, dtype=np.int64)
    ordered_split[n - n_val - n_test : n - n_test] = 1
    ordered_split[n - n_test :] = 2
    return _unpermute(orders, np.broadcast_to(ordered_split, orders.shape))


def _unpermute(orders: np.ndarray, ordered_split: np.ndarray) -> np.ndarray:
    """Turn 'split of the k-th group in this order' into 'split of group g'."""
    result = np.empty_like(orders)
    np.put_along_axis(result, orders, ordered_split, axis=1)
    return result


def _score(
    candidates: np.ndarray, weights: np.ndarray, class_counts: np.ndarray | None, fractions: np.ndarray
):
    """Lower is better: empty splits are invalid, then missing (split, class) pairs, then size error."""
    onehot = candidates[..., None] == np.arange(3)  # [trials, G, 3]
    empty = (~onehot.any(axis=1)).any(axis=1)
    shares = np.einsum("tgs,g->ts", onehot, weights) / weights.sum()
    size_error = np.abs(shares - fractions).sum(axis=1)
    missing = np.zeros(len(candidates))
    if class_counts is not None:
        per_split = np.einsum("tgs,gc->tsc", onehot, class_counts)
        present = class_counts.sum(axis=0) > 0
        missing = ((per_split == 0) & present).sum(axis=(1, 2))
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
