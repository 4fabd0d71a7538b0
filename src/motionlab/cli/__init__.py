"""The ``motionlab`` command line: one verb per job, Hydra-style ``key=value`` arguments (docs/cli.md)."""
