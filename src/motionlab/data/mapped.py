"""``.npy`` arrays larger than memory: written block by block, read back memory-mapped.

`NpyAppender` streams rows into a ``.npy`` file without knowing the final row count up front (the
header is rewritten in place when the file is closed). `MappedArray` opens such a file with
``np.load(mmap_mode="r")`` and answers indexing with tensors, so code written for an in-memory
tensor (``frames[rows]``) works on it unchanged; the operating system pages in only what a gather
touches. A `MappedArray` pickles as its path: every DataLoader worker maps the file itself instead
of receiving a copy of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from torch import Tensor


class NpyAppender:
    """Writes ``path`` as a ``.npy`` array of rows shaped ``row_shape``, one block of rows at a time."""

    def __init__(self, path: str | Path, dtype: np.dtype | type, row_shape: Sequence[int]) -> None:
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.row_shape = tuple(int(n) for n in row_shape)
        self.rows = 0
        self._handle: BinaryIO = open(self.path, "wb")  # noqa: SIM115 — closed in close()
        self._write_header()
        self._data_start = self._handle.tell()

    def append(self, values: np.ndarray) -> None:
        if tuple(values.shape[1:]) != self.row_shape:
            raise ValueError(f"{self.path}: rows of shape {values.shape[1:]}, expected {self.row_shape}")
        self._handle.write(np.ascontiguousarray(values, dtype=self.dtype).data)
        self.rows += len(values)

    def close(self) -> None:
        """Rewrite the header with the final row count (numpy leaves room for it to grow)."""
        self._handle.seek(0)
        self._write_header()
        if self._handle.tell() != self._data_start:
            raise RuntimeError(f"{self.path}: the .npy header changed length when the row count was written")
        self._handle.close()

    def _write_header(self) -> None:
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (self.rows, *self.row_shape),
        }
        np.lib.format.write_array_header_1_0(self._handle, header)


class MappedArray:
    """A read-only ``.npy`` file mapped into memory on first use; indexing returns tensors.

    An index tensor of window rows (``[B, W]``) is gathered in order of its first column, which keeps
    the reads of one batch moving forward through the file, and returned in the order asked for.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._array: np.ndarray | None = None

    def numpy(self) -> np.ndarray:
        """The memory-mapped array itself (read-only)."""
        if self._array is None:
            self._array = np.load(self.path, mmap_mode="r")
        return self._array

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.numpy().shape)

    @property
    def dtype(self) -> np.dtype:
        return self.numpy().dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> Tensor:
        array = self.numpy()
        if isinstance(index, Tensor):
            index = index.numpy()
        if isinstance(index, np.ndarray) and index.ndim == 2 and len(index) > 1:
            order = np.argsort(index[:, 0], kind="stable")
            values = np.empty((*index.shape, *array.shape[1:]), dtype=array.dtype)
            values[order] = array[index[order]]
        else:
            values = array[index]
        if not values.flags.writeable:  # a view into the map (slices): copy it out
            values = np.array(values)
        return torch.from_numpy(values)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._array = None

    def __repr__(self) -> str:
        return f"MappedArray({str(self.path)!r})"
