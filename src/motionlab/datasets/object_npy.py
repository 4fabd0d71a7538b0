"""Reading a ``.npy`` file that holds a pickled Python object (``np.save`` of a dict), as data.

``np.load(..., allow_pickle=True)`` would run whatever the pickle names. Here the pickle may build
only plain containers, numbers, strings and numpy arrays: any other class it names is refused,
with the file named, before anything of it is built.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from numpy._core.multiarray import _reconstruct

from motionlab.errors import DataFormatError

# What a pickled dict of numpy arrays, lists and strings names (numpy ≥ 2 moved numpy.core → numpy._core).
ARRAYS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles ``handle`` (read from ``path``), resolving only the names in ``allowed``; any other
    name the pickle asks for is refused with a `DataFormatError` naming the file, before it is built."""

    def __init__(
        self,
        handle: io.BufferedIOBase,
        path: Path,
        allowed: dict[tuple[str, str], Any] = ARRAYS,
        expected: str = "a numpy array or plain data",
    ) -> None:
        super().__init__(handle)
        self.path = path
        self.allowed = allowed
        self.expected = expected

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get((module, name))
        if found is None:
            raise DataFormatError(
                self.path,
                f"the pickled object names {module}.{name}, which is not {self.expected}",
                "only files of arrays, lists, dicts, numbers and strings are read; convert it to .npz",
            )
        return found


def load_object_npy(path: str | Path) -> Any:
    """The object pickled in the ``.npy`` file ``path`` (a 0-d object array), built from plain data
    and numpy arrays only."""
    path = Path(path)
    with path.open("rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                version, np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(handle)
        except ValueError as exc:
            raise DataFormatError(path, f"not a .npy file ({exc})") from exc
        if not dtype.hasobject or shape != ():
            raise DataFormatError(path, f"holds a {dtype} array of shape {shape}, not one pickled object")
        try:
            array = RestrictedUnpickler(handle, path).load()
        except (pickle.UnpicklingError, EOFError) as exc:
            raise DataFormatError(path, f"its pickled object is damaged ({exc})") from exc
    if not isinstance(array, np.ndarray) or array.shape != ():
        raise DataFormatError(path, "its pickle does not hold the one-object array its header announces")
    return array.item()
