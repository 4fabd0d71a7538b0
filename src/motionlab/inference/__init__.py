"""Inference on whole recordings with NumPy and ONNX Runtime only (no torch import): what an app
backend runs. `onnx_model.OnnxMotionModel` runs an exported model; `sliding` and `peaks` are the
windowing and counting helpers it (and the tasks' own evaluation) uses."""
