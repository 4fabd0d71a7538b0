"""Export a trained checkpoint, or an ensemble of runs, to a verified ONNX model:
``python export.py [run=…|sweep=…|ensemble.runs=[…]]`` (see configs/export.yaml), the same as
``motionlab export …`` (`motionlab.cli.export`)."""

import sys

from motionlab.cli.export import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
