"""A pickle of DataFrames is read as data: pandas' names become inert stand-ins, others are refused."""

from __future__ import annotations

import gzip
import pickle

import pytest

from motionlab.datasets.pickled_frames import frame_columns, load_pickled_frames
from motionlab.errors import DataFormatError
from tests.datasets.test_object_npy import Planted


def test_a_pickle_that_names_other_code_is_refused_before_it_runs(tmp_path, capsys):
    path = tmp_path / "planted.pkl.gz"
    with gzip.open(path, "wb") as handle:
        pickle.dump({1: [Planted()]}, handle, protocol=2)
    with pytest.raises(DataFormatError, match=r"planted\.pkl\.gz.*names __builtin__\.print"):
        load_pickled_frames(path)
    assert "ran" not in capsys.readouterr().out


def test_the_reconstructor_builds_only_the_pandas_stand_ins(tmp_path):
    path = tmp_path / "object.pkl"
    # protocol 0, by hand: copy_reg._reconstructor(object, object, None)
    path.write_bytes(b"ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nc__builtin__\nobject\nNtR.")
    with pytest.raises(DataFormatError, match=r"object\.pkl: not a readable pickle.*not a pandas object"):
        load_pickled_frames(path)


def test_what_is_not_a_dataframe_says_so(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": [1, 2]}, protocol=2))
    with pytest.raises(DataFormatError, match=r"plain\.pkl: holds a dict where a pickled DataFrame"):
        frame_columns(load_pickled_frames(path), path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(DataFormatError, match=r"plain\.pkl: not a readable pickle"):
        load_pickled_frames(path)
