"""``train.log``: what the terminal showed of a run, kept in its run directory.

While a run trains (`run_log`), one file handler on the run's ``train.log`` receives:

- every log record: motionlab's and Hydra's through the root logger, Lightning's through its own
  loggers (which print with their own handler and do not propagate when Lightning is imported
  before logging is set up, as in ``train.py``);
- every Python warning shown on the terminal (``warnings.showwarning`` still prints it);
- the plain text of the tables printed on the terminal through `terminal_copy` (data report, model
  summary, test metrics), without colours.

Progress bars are not copied: they draw on the terminal only. Only global rank zero writes the file;
a resumed run appends to it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lightning.pytorch.utilities.rank_zero import rank_zero_only
from rich import get_console
from rich.table import Table

FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
# Loggers that print through their own handler instead of propagating to the root logger.
OWN_HANDLER_LOGGERS = ("lightning.pytorch", "lightning.fabric")
# Records for the file only: copies of what already reached the terminal another way.
FILE_ONLY = logging.getLogger("motionlab.terminal")
FILE_ONLY.propagate = False
FILE_ONLY.addHandler(logging.NullHandler())  # outside a run: nowhere (not Python's last-resort stderr)
FILE_ONLY.setLevel(logging.INFO)


@contextmanager
def run_log(path: Path) -> Iterator[None]:
    """Copy the terminal's records, warnings and `terminal_copy` tables to ``path`` while inside."""
    if rank_zero_only.rank != 0:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.INFO)
    loggers = [logging.getLogger(), FILE_ONLY]
    loggers += [
        logging.getLogger(name) for name in OWN_HANDLER_LOGGERS if not logging.getLogger(name).propagate
    ]
    root_level = logging.getLogger().level
    if root_level == logging.NOTSET or root_level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # as Hydra's job logging sets it for train.py
    for logger in loggers:
        logger.addHandler(handler)
    shown = warnings.showwarning

    def show_and_log(message, category, filename, lineno, file=None, line=None):
        shown(message, category, filename, lineno, file, line)
        FILE_ONLY.warning(warnings.formatwarning(message, category, filename, lineno, line).rstrip())

    warnings.showwarning = show_and_log
    try:
        yield
    finally:
        warnings.showwarning = shown
        for logger in loggers:
            logger.removeHandler(handler)
        logging.getLogger().setLevel(root_level)
        handler.close()


@contextmanager
def terminal_copy() -> Iterator[None]:
    """What rich's console prints while inside also goes, as plain text, to ``train.log``.

    Only for tables and messages printed outside a live progress bar: a progress bar's redraws would
    be recorded too.
    """
    console = get_console()
    recording = console.record
    console.record = True
    try:
        yield
    finally:
        text = "\n".join(line.rstrip() for line in console.export_text(clear=True).splitlines()).strip("\n")
        console.record = recording
        if text:
            FILE_ONLY.info("\n%s", text)


def metrics_table(stage: str, metrics: Mapping[str, float]) -> Table:
    """The ``<stage> metric | value`` table of a run's final metrics."""
    table = Table(f"{stage} metric", "value", title_justify="left")
    for name, value in sorted(metrics.items()):
        table.add_row(name, f"{value:.6g}")
    return table
