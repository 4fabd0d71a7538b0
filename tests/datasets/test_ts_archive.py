"""The archive .ts reader and the validation pick of the real-data converters."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.datasets.archive_csv import validation_mask
from motionlab.datasets.ts_archive import bundled_file, read_ts
from motionlab.errors import DataFormatError

TS = """#A described set
#second line
@problemName Tiny
@univariate false
@classLabel true a b
@data
1,2,3:4,5,6:a
7,8:9,10:b
"""


def test_reads_dimensions_labels_lengths_and_pads_shorter_cases_with_nan(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text(TS)
    cases = read_ts(path)
    assert cases.series.shape == (2, 2, 3)
    np.testing.assert_array_equal(cases.series[0], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(cases.series[1, :, :2], [[7, 8], [9, 10]])
    assert np.isnan(cases.series[1, :, 2]).all()
    assert cases.labels.tolist() == ["a", "b"] and cases.lengths.tolist() == [3, 2]
    assert cases.description == "A described set\nsecond line"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@problemName x\n1,2:a\n", "line 2: data before the @data header"),
        ("@data\n1,2,x:a\n", "line 2: could not convert string"),
        ("@data\n1,2:a\n1,2:3,4:b\n", "different numbers of dimensions"),
        ("@data\n", "no cases after @data"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.ts"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message) as error:
        read_ts(path)
    assert str(path) in str(error.value)


def test_a_missing_package_says_which_extra_to_install():
    with pytest.raises(FileNotFoundError, match=r"pip install 'motionlab\[classical\]'"):
        bundled_file("no_such_package_motionlab", "x.ts", "classical")


def test_validation_takes_every_fourth_case_of_each_class_in_file_order():
    labels = np.array(["a"] * 10 + ["b"] * 5 + ["a"] * 2)
    mask = validation_mask(labels)
    # class a: cases 0-9 and 15-16 are its ranks 0-11 (ranks 1, 5, 9 picked); class b: ranks 0-4 (rank 1)
    assert np.flatnonzero(mask).tolist() == [1, 5, 9, 11]
