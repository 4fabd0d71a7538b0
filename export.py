"""Export a trained checkpoint to ONNX — not implemented yet (see the export issue)."""

import sys

if __name__ == "__main__":
    sys.exit("export.py: not implemented yet — ONNX export lands with the export issue")
