"""Inference on whole recordings with NumPy only (no torch import): what an app backend runs."""
