"""Running experiments: `motionlab.training.run.train` (one run), cross-validation, callbacks,
loggers, the run's summary and log, resuming a stopped run."""
