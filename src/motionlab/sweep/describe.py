"""What a study says about itself, in its storage: the metric's name and how the study was made.

optuna-dashboard (and ``optuna.load_study``) then show ``val/loss`` instead of "Objective 0", and the
study's user attributes hold the search file with its parameters, the command that created the study
and the motionlab commit it ran (``+dirty`` with uncommitted changes).
"""

from __future__ import annotations

import shlex
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.exceptions import ExperimentalWarning

from motionlab.export.metadata import git_commit


def study_attributes(
    search_file: str, params: Mapping[str, Any], argv: Sequence[str] | None
) -> dict[str, Any]:
    """The user attributes that describe a study: the search file, its params as written, the command."""
    attributes: dict[str, Any] = {
        "search_file": search_file,
        "search_params": {str(key): str(value) for key, value in params.items()},
        "git_commit": git_commit(),
    }
    if argv is not None:
        attributes["command"] = shlex.join(["python", "sweep.py", *argv])
    return attributes


def describe_study(study: optuna.Study, metric: str, attributes: Mapping[str, Any]) -> None:
    """Name the study's metric and record ``attributes``, once: the worker that creates the study
    describes it; later workers (and restarts) leave the description as it is."""
    if study.metric_names is None:
        with warnings.catch_warnings():  # set_metric_names is "experimental" since Optuna 3.2
            warnings.simplefilter("ignore", ExperimentalWarning)
            study.set_metric_names([metric])
    for key, value in attributes.items():
        if key not in study.user_attrs:
            study.set_user_attr(key, value)
