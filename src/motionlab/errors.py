"""Errors raised on bad input: each names the file, the row or field, and what to do about it."""

from __future__ import annotations

from pathlib import Path


class MotionlabError(Exception):
    """An error motionlab raises on purpose: its message already says what is wrong and what to do, so
    the entry points print it as one line (exit status 1) instead of a traceback."""


class DataFormatError(MotionlabError, ValueError):
    """A recording on disk does not match its documented format.

    The message always starts with the offending file, then says where in it (row, frame, field)
    and how to fix it, so a user can act without reading the code.
    """

    def __init__(self, path: str | Path, problem: str, fix: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class DataSplitError(MotionlabError, ValueError):
    """The recordings cannot be split into train/val/test as configured."""


class ConfigError(MotionlabError, ValueError):
    """A configuration value is invalid; the message names the config key and the valid choices."""

    def __init__(self, key: str, problem: str, fix: str | None = None) -> None:
        message = f"{key}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)
