"""How motionlab's entry points end: signal exit statuses and one-line project errors.

A run stopped by a signal has saved ``last.ckpt`` and written ``interrupted``, but it did not succeed:
it exits with the shell's status for that signal, 143 for SIGTERM (SLURM's time limit and
``scancel``) and 130 for Ctrl-C (SIGINT), so schedulers and CI never record a success. Lightning
itself would end with 0 after SIGTERM and 1 after Ctrl-C.

motionlab's own errors (`MotionlabError`: bad data, config, splits, exports) already say what is wrong
and what to do; `one_line_errors` prints them as that one line (exit status 1) instead of after
Hydra's traceback, and a `PermissionError` as its path and what to do. Unexpected errors keep their
traceback, and ``HYDRA_FULL_ERROR=1`` keeps it for all.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from motionlab.errors import MotionlabError

SIGINT_EXIT = 128 + signal.SIGINT
SIGTERM_EXIT = 128 + signal.SIGTERM

P = ParamSpec("P")
R = TypeVar("R")


def signal_exit_status(error: BaseException) -> int | None:
    """143 when a SIGTERM stopped the run that raised ``error``, 130 for Ctrl-C, ``None`` when no
    signal did. The root cause decides: a sweep re-raises Lightning's SIGTERM stop as a
    ``KeyboardInterrupt`` for Optuna."""
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for cause in reversed(chain):
        if isinstance(cause, SIGTERMException):
            return SIGTERM_EXIT
        if isinstance(cause, KeyboardInterrupt):
            return SIGINT_EXIT
        if isinstance(cause, SystemExit) and cause.code in (SIGINT_EXIT, SIGTERM_EXIT):
            return int(cause.code)
    return None


@contextmanager
def ctrl_c_restored() -> Iterator[None]:
    """Put the process's Ctrl-C (SIGINT) handler back after the block.

    Lightning changes it during a fit and does not always put it back: its DDP teardown ignores
    Ctrl-C while it destroys the process group and then sets the default action (end the process,
    no ``last.ckpt``), or leaves it ignored when that fails. Without this, a later run in the same
    process (a notebook's next cell, a test suite's next test) could no longer be stopped cleanly."""
    handler = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        if handler is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)


def one_line(error: BaseException) -> str:
    """The message of a `MotionlabError`; for a `PermissionError` (an output, data or export folder of
    another user) the path and what to do."""
    if isinstance(error, PermissionError):
        return (
            f"{error.filename}: permission denied — make it accessible to this user, or choose another "
            "directory (hydra.run.dir=, paths.log_dir=, export.output_dir=, data.path=)"
        )
    return str(error)


def one_line_errors(main: Callable[P, R]) -> Callable[P, R]:
    """Wrap an entry point (under ``@hydra.main``): a `MotionlabError` is printed as one line on
    stderr and ends the process with status 1; a signal's stop ends it with `signal_exit_status`."""

    @functools.wraps(main)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return main(*args, **kwargs)
        except (MotionlabError, PermissionError) as error:
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            print(f"error: {one_line(error)}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None
        except BaseException as error:
            status = signal_exit_status(error)
            if status is None:
                raise
            raise SystemExit(status) from error

    return wrapper
