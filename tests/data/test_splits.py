import numpy as np
import pytest

from motionlab.data.splits import split_groups
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
