"""motionlab: human-motion sequence models, from recordings to app-ready ONNX."""

__version__ = "0.1.0"
