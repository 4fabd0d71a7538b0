"""Search spaces written in the Hydra Optuna plugin's words, turned into Optuna distributions.

A search file's ``params`` map a config key to a value in Hydra's override grammar:

    choice(a, b, ...)          one of the listed values           → CategoricalDistribution
    range(lo, hi[, step])      lo … hi, **hi included** (as in the plugin, unlike Python's range);
                               integers → IntDistribution, any float → FloatDistribution with step
    interval(lo, hi)           a float in [lo, hi]                → FloatDistribution
    int(interval(lo, hi))      an integer in [lo, hi]             → IntDistribution
    tag(log, interval(...))    the same on a log scale            → ``log=True``
    anything else              a fixed value, applied to every trial (``experiment: workout_tcn``)

Hydra's parser reads the text (so quoting, lists and casts behave exactly as on the command line);
this module maps the result the way the plugin does, and rejects what it would silently misread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    ChoiceSweep,
    IntervalSweep,
    Override,
    RangeSweep,
    Transformer,
)
from hydra.errors import HydraException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from motionlab.errors import ConfigError

SYNTAX = "choice(a, b, ...), range(lo, hi[, step]), interval(lo, hi), int(interval(lo, hi)), tag(log, ...)"


@dataclass(frozen=True)
class SearchSpace:
    """What a sweep varies (``distributions``) and what it fixes for every trial (``fixed``).

    Keys are config keys (``task.optimizer.lr``) or config groups (``model``); ``fixed`` values are
    already in override syntax.
    """

    distributions: dict[str, BaseDistribution]
    fixed: dict[str, str]

    @classmethod
    def parse(cls, params: Mapping[str, Any], where: str = "search.params") -> SearchSpace:
        """Parse a search file's ``params``; a bad entry raises ``ConfigError`` naming ``where.<key>``."""
        distributions: dict[str, BaseDistribution] = {}
        fixed: dict[str, str] = {}
        parser = OverridesParser.create()
        for key, value in params.items():
            name = f"{where}.{key}"
            if not isinstance(value, str):  # a YAML number, bool, null or list: fixed
                fixed[str(key)] = format_value(value)
                continue
            try:
                override = parser.parse_override(f"{key}={value}")
            except HydraException as error:
                raise ConfigError(
                    name, f"cannot parse {value!r}: {_first_line(error)}", f"use {SYNTAX}"
                ) from None
            if override.is_sweep_override():
                distributions[str(key)] = _distribution(override, value, name)
            else:
                fixed[str(key)] = override.get_value_element_as_str()
        return cls(distributions, fixed)

    def without(self, keys: Iterable[str]) -> SearchSpace:
        """This space with ``keys`` neither searched nor fixed (the command line sets them instead)."""
        drop = set(keys)
        return SearchSpace(
            {k: v for k, v in self.distributions.items() if k not in drop},
            {k: v for k, v in self.fixed.items() if k not in drop},
        )

    def fixed_overrides(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.fixed.items()]

    def suggest(self, trial: optuna.Trial) -> list[str]:
        """Ask ``trial`` for a value of every searched key; returns them as overrides."""
        return [f"{key}={format_value(_suggest(trial, key, d))}" for key, d in self.distributions.items()]


def format_value(value: Any) -> str:
    """``value`` in Hydra's override syntax (``true``, ``null``, ``[16,32]``, ``1e-05``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def override_keys(overrides: Iterable[str]) -> set[str]:
    """The config keys or groups that command-line ``overrides`` set (``+a.b=1`` → ``a.b``)."""
    return {o.key_or_group for o in OverridesParser.create().parse_overrides(list(overrides))}


def _distribution(override: Override, text: str, name: str) -> BaseDistribution:
    value = override.value()
    try:
        if isinstance(value, ChoiceSweep) or (isinstance(value, RangeSweep) and value.shuffle):
            _check_tags(value.tags, set(), text, name)
            return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
        if isinstance(value, RangeSweep):
            _check_tags(value.tags, set(), text, name)
            if value.start is None or value.stop is None or (value.step or 0) <= 0:
                raise ValueError("range needs lo <= hi and a positive step")
            if any(isinstance(x, float) for x in (value.start, value.stop, value.step)):
                return FloatDistribution(value.start, value.stop, step=value.step)
            return IntDistribution(int(value.start), int(value.stop), step=int(value.step))
        if isinstance(value, IntervalSweep):
            _check_tags(value.tags, {"log"}, text, name)
            log = "log" in value.tags
            if isinstance(value.start, int) and isinstance(value.end, int):
                return IntDistribution(value.start, value.end, log=log)
            return FloatDistribution(float(value.start), float(value.end), log=log)
    except ConfigError:
        raise
    except ValueError as error:  # ours, and Optuna's own checks: lo > hi, log of a value <= 0, …
        raise ConfigError(name, f"{text}: {error}", f"use {SYNTAX}") from None
    raise ConfigError(name, f"{text} is not a search the sweep supports", f"use {SYNTAX}")


def _check_tags(tags: set[str], allowed: set[str], text: str, name: str) -> None:
    unknown = sorted(set(tags) - allowed)
    if unknown:
        raise ConfigError(
            name, f"{text}: unknown tag(s) {unknown} (the only tag is log, on an interval)", f"use {SYNTAX}"
        )


def _suggest(trial: optuna.Trial, key: str, distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(key, distribution.choices)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            key, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            key, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    raise TypeError(f"{key}: unsupported distribution {distribution!r}")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
