"""Reading pickled pandas DataFrames as column arrays, without pandas and without running the pickle.

A pickled DataFrame names pandas' classes (DataFrame, BlockManager, Index, RangeIndex) and asks for
them to be rebuilt. Here those names resolve to inert stand-ins that only keep the state the pickle
hands them, and `frame_columns` reads a frame's columns from its block manager's state (the layout
pandas has written since 0.14.1), under the names the HAPT file this reader exists for uses
(``pandas.core.frame.DataFrame``, …); pandas 3 pickles under other names, and such a file is refused
like any other. Numpy arrays and plain data build as in `object_npy`; any other
name the pickle asks for is refused, with the file named, before anything of it is built.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.datasets.object_npy import ARRAYS, RestrictedUnpickler
from motionlab.errors import DataFormatError


class _Kept:
    """What a pickled pandas object becomes: the state the pickle gives it, kept; nothing runs."""

    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _Frame(_Kept):
    pass


class _Manager(_Kept):
    pass


class _Index(_Kept):
    pass


class _RangeIndex(_Index):
    pass


def _reconstructor(cls: Any, base: Any, state: Any) -> _Kept:
    """``copyreg._reconstructor``, for the stand-ins only: an empty one, filled by the pickle's BUILD."""
    if not (isinstance(cls, type) and issubclass(cls, _Kept)) or base is not object or state is not None:
        raise pickle.UnpicklingError(f"copyreg._reconstructor({cls!r}, {base!r}) is not a pandas object")
    return cls()


def _new_index(cls: Any, state: Any) -> _Index:
    """``pandas.core.indexes.base._new_Index``: an index stand-in holding the index's state dict."""
    if not (isinstance(cls, type) and issubclass(cls, _Index)) or not isinstance(state, dict):
        raise pickle.UnpicklingError(f"_new_Index({cls!r}) is not a pandas index")
    index = cls()
    index.state = state
    return index


_PANDAS = {
    **ARRAYS,
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("__builtin__", "object"): object,
    ("builtins", "object"): object,
    ("__builtin__", "slice"): slice,
    ("builtins", "slice"): slice,
    ("pandas.core.frame", "DataFrame"): _Frame,
    ("pandas.core.internals.managers", "BlockManager"): _Manager,
    ("pandas.core.indexes.base", "_new_Index"): _new_index,
    ("pandas.core.indexes.base", "Index"): _Index,
    ("pandas.core.indexes.range", "RangeIndex"): _RangeIndex,
}


def load_pickled_frames(path: str | Path) -> Any:
    """The object pickled (gzip-compressed when ``path`` ends in ``.gz``) in ``path``: plain data and
    numpy arrays, each DataFrame in it a stand-in that `frame_columns` reads."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        try:
            return RestrictedUnpickler(
                handle, path, _PANDAS, "among the numpy and pandas names this reader rebuilds as data"
            ).load()
        except (pickle.UnpicklingError, EOFError, OSError, TypeError) as exc:
            raise DataFormatError(path, f"not a readable pickle of DataFrames ({exc})") from exc


def _index_values(index: Any) -> np.ndarray:
    state = index.state
    if isinstance(index, _RangeIndex):
        return np.arange(state["start"], state["stop"], state["step"])
    return np.asarray(state["data"])


def frame_columns(frame: Any, path: str | Path) -> dict[str, np.ndarray]:
    """The columns, by name, of a DataFrame that `load_pickled_frames` read from ``path``."""
    if not isinstance(frame, _Frame) or not isinstance(frame.state, dict):
        raise DataFormatError(path, f"holds a {type(frame).__name__} where a pickled DataFrame was expected")
    try:
        manager = frame.state.get("_mgr", frame.state.get("_data"))
        layout = manager.state[-1]["0.14.1"]
        names = _index_values(layout["axes"][0])
        positions = np.arange(len(names))
        columns = {}
        for block in layout["blocks"]:
            for at, values in zip(positions[block["mgr_locs"]], np.atleast_2d(block["values"]), strict=True):
                columns[str(names[at])] = values
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise DataFormatError(
            path, f"a pickled DataFrame without the block layout pandas writes since 0.14.1 ({exc!r})"
        ) from exc
    return columns
