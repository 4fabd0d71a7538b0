"""The video analyzer: videos in, a trained model's readable results out (seed 003's analyzer, for gait
and workout models alike).

``python -m motionlab.analyze VIDEO... --model model.onnx`` extracts the pose of each video (the
landmark cache shared with the data pipelines), turns it into the model's features, runs the
exported ONNX model over sliding windows and summarises what it says, with a confidence level.
It runs on NumPy and ONNX Runtime only, never torch: what an app backend would run.
"""
