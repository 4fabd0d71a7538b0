"""Finding a dataset's files: one file, or every file of a type under a directory, in a fixed order."""

from __future__ import annotations

import pytest

from motionlab.data.files import check_unique_stems, data_files
from motionlab.errors import DataFormatError


def test_a_file_is_itself_and_a_directory_is_searched_recursively_in_path_order(tmp_path):
    for name in ("b/a.npz", "a/z.npz", "a/y.npz", "c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = data_files(tmp_path, ".npz", "workout session", "workout sessions", "fix")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/y.npz", "a/z.npz", "b/a.npz"]
    single = data_files(tmp_path / "c.txt", ".npz", "workout session", "workout sessions", "fix")
    assert single == [tmp_path / "c.txt"]


def test_missing_paths_empty_directories_and_shared_stems_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere: no such CSV file or directory \(data\.path\)$"):
        data_files(tmp_path / "nowhere", ".csv", "CSV", "files", "fix", setting="data.path")
    with pytest.raises(DataFormatError, match=r"no \.npy reference clips found.*store clips"):
        data_files(tmp_path, ".npy", "reference clip", "reference clips", "store clips")
    (tmp_path / "a").mkdir()
    files = [tmp_path / "a" / "walk.npy", tmp_path / "walk.npy"]
    with pytest.raises(DataFormatError, match=r"clip id 'walk' is also used by .*a/walk\.npy"):
        check_unique_stems(files, "clip")
    check_unique_stems(files[:1], "clip")
