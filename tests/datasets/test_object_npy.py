"""A pickled .npy is read as data: arrays, lists, dicts and strings build; any other class is refused."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.datasets.object_npy import load_object_npy
from motionlab.errors import DataFormatError


def test_reads_a_saved_dict_of_arrays_lists_and_strings(tmp_path):
    saved = {"X": [np.arange(6.0).reshape(3, 2), np.ones((2, 2))], "y": np.array([0, 1]), "names": ["a", "b"]}
    np.save(tmp_path / "data.npy", np.array(saved, dtype=object), allow_pickle=True)
    loaded = load_object_npy(tmp_path / "data.npy")
    assert loaded.keys() == saved.keys() and loaded["names"] == ["a", "b"]
    np.testing.assert_array_equal(loaded["X"][0], saved["X"][0])
    np.testing.assert_array_equal(loaded["y"], [0, 1])


class Planted:
    """Unpickling this would call ``print`` with a message: a stand-in for any code a file names."""

    def __reduce__(self):
        return (print, ("code from a data file ran",))


def test_a_pickle_that_names_other_code_is_refused_before_it_runs(tmp_path, capsys):
    path = tmp_path / "planted.npy"
    np.save(path, np.array({"X": Planted()}, dtype=object), allow_pickle=True)
    with pytest.raises(DataFormatError, match=r"planted\.npy.*names builtins\.print"):
        load_object_npy(path)
    assert "ran" not in capsys.readouterr().out


def truncated_object_npy(path):
    np.save(path, np.array({"X": np.zeros(100)}, dtype=object), allow_pickle=True)
    path.write_bytes(path.read_bytes()[:-40])


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda path: np.save(path, np.zeros(3)), "holds a float64 array of shape \\(3,\\)"),
        (lambda path: path.write_bytes(b"not numpy"), "not a .npy file"),
        (truncated_object_npy, "damaged"),
    ],
)
def test_files_that_are_not_one_pickled_object_say_so(tmp_path, write, message):
    path = tmp_path / "bad.npy"
    write(path)
    with pytest.raises(DataFormatError, match=message):
        load_object_npy(path)
