import numpy as np
import pytest

from motionlab.data.splits import fold_groups, fold_split, split_groups
from motionlab.errors import DataSplitError


def test_every_group_in_exactly_one_split_and_sizes_near_fractions():
    names = [f"s{i:02d}" for i in range(20)]
    split = split_groups(names, np.ones(20), seed=3)
    members = [g for groups in split.groups.values() for g in groups]
    assert sorted(members) == names
    assert [len(split.groups[s]) for s in ("train", "val", "test")] == [14, 3, 3]


def test_split_is_reproducible_and_depends_on_seed():
    names = [f"s{i}" for i in range(12)]
    assert split_groups(names, np.ones(12), seed=1).groups == split_groups(names, np.ones(12), seed=1).groups
    assert split_groups(names, np.ones(12), seed=1).groups != split_groups(names, np.ones(12), seed=2).groups


def test_stratification_puts_rare_class_in_every_split_when_possible():
    # 12 groups; class 1 occurs in only 3 of them: a random split would often miss it somewhere.
    counts = np.zeros((12, 2))
    counts[:, 0] = 100
    counts[[2, 7, 11], 1] = 10
    split = split_groups([f"g{i}" for i in range(12)], counts.sum(1), counts, ["common", "rare"], seed=0)
    rare_holders = {"g2", "g7", "g11"}
    for groups in split.groups.values():
        assert rare_holders & set(groups)
    assert split.warnings == []


def test_warns_when_a_class_cannot_be_in_every_split():
    counts = np.zeros((5, 2))
    counts[:, 0] = 50
    counts[1, 1] = 5
    split = split_groups([f"g{i}" for i in range(5)], counts.sum(1), counts, ["a", "b"], unit="subject")
    assert len(split.warnings) == 2
    assert all("class 'b' has no windows" in w and "1 subject(s)" in w for w in split.warnings)


def test_too_few_groups_is_a_clear_error():
    with pytest.raises(DataSplitError, match=r"only 2 subject\(s\) \('a', 'b'\).*at least 3"):
        split_groups(["a", "b"], [1, 1], unit="subject")


def test_fixed_split_and_its_errors():
    split = split_groups(["a", "b", "c", "d"], np.ones(4), fixed={"b": "val", "d": "test"})
    assert split.groups == {"train": ["a", "c"], "val": ["b"], "test": ["d"]}
    with pytest.raises(DataSplitError, match=r"unknown group\(s\) \['zz'\]"):
        split_groups(["a", "b", "c"], np.ones(3), fixed={"zz": "val"})
    with pytest.raises(DataSplitError, match=r"leaves \['test'\] without any"):
        split_groups(["a", "b", "c"], np.ones(3), fixed={"b": "val"})


# (groups, classes, folds, seed): one class per group, several classes per group, rare classes, no classes.
FOLD_CASES = [(6, 0, 5, 0), (11, 3, 5, 1), (17, 4, 3, 2), (23, 2, 5, 3), (9, 5, 2, 4), (40, 7, 10, 5)]


def random_class_counts(rng: np.random.Generator, groups: int, classes: int) -> np.ndarray | None:
    """Windows per (group, class): each group holds 1 to 3 of the classes, in random amounts."""
    if classes == 0:
        return None
    counts = np.zeros((groups, classes))
    for g in range(groups):
        held = rng.choice(classes, size=rng.integers(1, min(3, classes) + 1), replace=False)
        counts[g, held] = rng.integers(5, 60, size=len(held))
    return counts


@pytest.mark.parametrize(("groups", "classes", "folds", "seed"), FOLD_CASES)
def test_folds_are_disjoint_cover_every_group_once_and_each_fold_split_partitions(
    groups, classes, folds, seed
):
    rng = np.random.default_rng(seed)
    names = [f"g{i:02d}" for i in range(groups)]
    counts = random_class_counts(rng, groups, classes)
    weights = counts.sum(1) if counts is not None else rng.integers(1, 50, groups).astype(float)
    dealt = fold_groups(names, weights, counts, folds=folds, seed=seed)
    assert len(dealt) == folds and all(dealt)
    assert sorted(g for fold in dealt for g in fold) == names  # each group in exactly one fold
    for f in range(folds):
        split = fold_split(names, weights, counts, [f"c{c}" for c in range(classes)], folds, f, seed=seed)
        assert split.groups["test"] == dealt[f]
        assert split.groups["train"] and split.groups["val"]
        assert sorted(g for members in split.groups.values() for g in members) == names


def test_folds_are_stratified_and_balanced_when_the_data_allows():
    # 20 subjects, each doing one of 2 activities (10 each): 5 folds of 2 + 2 subjects exist.
    counts = np.zeros((20, 2))
    counts[:10, 0] = 30
    counts[10:, 1] = 30
    names = [f"s{i:02d}" for i in range(20)]
    dealt = fold_groups(names, counts.sum(1), counts, folds=5, seed=0)
    index = {name: i for i, name in enumerate(names)}
    for fold in dealt:
        members = [index[name] for name in fold]
        assert counts[members].sum(axis=0).tolist() == [60, 60]
    for f in range(5):  # validation is carved stratified too: both classes in train and val
        split = fold_split(names, counts.sum(1), counts, ["a", "b"], 5, f)
        assert split.warnings == []
        for part in ("train", "val"):
            assert (counts[[index[n] for n in split.groups[part]]].sum(axis=0) > 0).all()


def test_fold_split_warns_for_folds_a_rare_class_cannot_reach():
    counts = np.zeros((10, 2))
    counts[:, 0] = 40
    counts[[3, 8], 1] = 10  # 2 subjects hold class 'rare': at most 2 of 5 test folds can have it
    names = [f"s{i}" for i in range(10)]
    dealt = fold_groups(names, counts.sum(1), counts, folds=5, seed=0)
    holders = [f for f, fold in enumerate(dealt) if {"s3", "s8"} & set(fold)]
    assert len(holders) == 2  # the two holders are spread over two folds
    for f in range(5):
        warnings = fold_split(names, counts.sum(1), counts, ["common", "rare"], 5, f, unit="subject").warnings
        missing_in_test = any("'rare' has no windows in the test split" in w for w in warnings)
        assert missing_in_test == (f not in holders)


def test_fold_errors_name_the_fix():
    with pytest.raises(DataSplitError, match=r"only 5 subject\(s\): 5-fold .* at least 6.*lower cv.folds"):
        fold_groups([f"s{i}" for i in range(5)], np.ones(5), folds=5, unit="subject")
    with pytest.raises(DataSplitError, match="at least 2 folds"):
        fold_groups(["a", "b", "c"], np.ones(3), folds=1)
    with pytest.raises(DataSplitError, match="fold 3 does not exist: folds are numbered 0 to 2"):
        fold_split([f"s{i}" for i in range(6)], np.ones(6), folds=3, fold=3)
