"""What the tasks share besides the contract (`motionlab.tasks.base`, `motionlab.tasks.outputs`):
classification metrics and per-recording answers, calibration of a confidence, per-feature frame
errors, closed-loop rollouts of a policy, and optimisers and schedulers by name."""
