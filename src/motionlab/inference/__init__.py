"""Inference on whole recordings with NumPy and ONNX Runtime only (no torch import): what an app
backend runs. `onnx_model.OnnxMotionModel` runs an exported model; `streaming.StreamingMotionModel`
runs a streaming export one frame at a time, keeping its state; `sliding` and `peaks` are the
windowing and counting helpers they (and the tasks' own evaluation) use."""
