"""Entry point of the fresh export process: ``python -m motionlab.export.fresh_process REQUEST RESULT``.

REQUEST is a pickle of `export_in_this_process`'s arguments, RESULT receives the pickled
`ExportedGraph`. Written by `motionlab.export.onnx_export.export_onnx`, not meant to be run by hand.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from motionlab.export.onnx_export import export_in_this_process


def main(request: Path, result: Path) -> None:
    result.write_bytes(pickle.dumps(export_in_this_process(*pickle.loads(request.read_bytes()))))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
