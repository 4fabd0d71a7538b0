"""Entry points end with the signal's exit status and print motionlab's own errors as one line."""

from __future__ import annotations

import pytest
from lightning.pytorch.utilities.exceptions import SIGTERMException

from motionlab.errors import DataFormatError
from motionlab.exits import SIGINT_EXIT, SIGTERM_EXIT, one_line_errors, signal_exit_status


def raising(error: BaseException):
    @one_line_errors
    def main() -> None:
        raise error

    return main


def test_a_project_error_is_one_line_on_stderr_and_exit_status_1(capsys, monkeypatch):
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    with pytest.raises(SystemExit) as stopped:
        raising(DataFormatError("data/a.csv", "row 3, column 'x': not a number", "fix the value"))()
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "error: data/a.csv: row 3, column 'x': not a number — fix the value\n"


def test_unexpected_errors_and_hydra_full_error_keep_the_traceback(monkeypatch):
    with pytest.raises(ZeroDivisionError):
        raising(ZeroDivisionError("bug"))()
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(DataFormatError):
        raising(DataFormatError("a.csv", "bad"))()


def sweep_stop(signal_stop: BaseException) -> KeyboardInterrupt:
    """What a sweep worker raises: train()'s SystemExit, re-raised for Optuna as a KeyboardInterrupt."""
    try:
        try:
            try:
                raise signal_stop
            except BaseException as stop:
                raise SystemExit(signal_exit_status(stop)) from stop
        except SystemExit as stop:
            raise KeyboardInterrupt("trial 3 interrupted") from stop
    except KeyboardInterrupt as error:
        return error


def test_the_root_signal_decides_the_exit_status_also_through_a_sweep():
    assert signal_exit_status(sweep_stop(SIGTERMException())) == SIGTERM_EXIT == 143
    assert signal_exit_status(sweep_stop(KeyboardInterrupt())) == SIGINT_EXIT == 130
    assert signal_exit_status(RuntimeError("crash")) is None
    with pytest.raises(SystemExit) as stopped:
        raising(sweep_stop(SIGTERMException()))()
    assert stopped.value.code == 143
