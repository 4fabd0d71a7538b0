"""``key=value`` arguments for the verbs whose options an argparse parser describes (runs, registry,
analyze, build-workout-data, …), so that every verb takes Hydra-style overrides while
``python -m motionlab.<module>`` keeps its ``--flag`` command line.

The module's parser stays the one description of the options (names, defaults, help): `to_argv`
turns ``videos=[a.mp4,b] plot=true out=DIR`` into the ``a.mp4 b --plot --out DIR`` it parses, and
`usage` writes its help in the ``key=value`` form. Values follow Hydra's override grammar (lists in
brackets, ``true``/``false``, quotes around a value with a comma).
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

from motionlab.suggest import closest

LISTS = ("+", "*")


class UsageError(Exception):
    """A command line the verb cannot take; the message says which key and why (exit status 2)."""


def settings(parser: argparse.ArgumentParser, hidden: Collection[str] = ()) -> list[argparse.Action]:
    """The parser's options and positionals in order, as keys: all but ``--help`` and ``hidden``."""
    return [
        action
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and action.dest not in hidden
    ]


def _is_flag(action: argparse.Action) -> bool:
    return action.nargs == 0


def _required(action: argparse.Action) -> bool:
    if action.option_strings:
        return action.required
    return action.nargs not in ("?", "*")


def to_argv(
    parser: argparse.ArgumentParser, overrides: Sequence[str], hidden: Collection[str] = ()
) -> list[str]:
    """The argparse command line that means ``overrides`` (``key=value``, keys being the parser's
    ``dest`` names); `UsageError` for an unknown key (with the closest one), a missing required key or a
    value of the wrong shape."""
    actions = {action.dest: action for action in settings(parser, hidden)}
    values: dict[str, object] = {}
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as error:
        raise UsageError(f"arguments are key=value: {error}") from None
    for override in parsed:
        key = override.key_or_group
        if key not in actions:
            near = closest(key, actions)
            choices = f"the settings are {', '.join(actions)}" if actions else "the verb takes none"
            hint = f" — did you mean {near}?" if near else f"; {choices}"
            raise UsageError(f"{key}: no such setting{hint}")
        if override.is_sweep_override():
            raise UsageError(f"{key}: one value — quote a value with a comma ({key}='a,b')")
        values[key] = override.value()
    positionals: list[str] = []
    flags: list[str] = []
    for key, action in actions.items():
        value = values.get(key)
        if value is None:
            if _required(action):
                raise UsageError(f"missing {key}=… ({action.help})")
            continue
        if action.option_strings:
            flags.extend(_option(key, action, value))
        else:
            positionals.extend(_strings(key, action, value))
    return [*positionals, *flags]


def _option(key: str, action: argparse.Action, value: object) -> list[str]:
    flag = action.option_strings[-1]
    if _is_flag(action):
        if not isinstance(value, bool):
            raise UsageError(f"{key}: true or false, not {value!r}")
        return [flag] if value else []
    return [flag, *_strings(key, action, value)]


def _strings(key: str, action: argparse.Action, value: object) -> list[str]:
    if isinstance(value, list):
        if action.nargs not in LISTS:
            raise UsageError(f"{key}: one value, not a list")
        return [str(item) for item in value]
    if isinstance(value, dict):
        raise UsageError(f"{key}: a value, not a mapping")
    return [str(value)]


def _spec(action: argparse.Action) -> str:
    if _is_flag(action):
        return f"{action.dest}=true"
    metavar = action.metavar or action.dest.upper()
    return f"{action.dest}=[{metavar},...]" if action.nargs in LISTS else f"{action.dest}={metavar}"


def _describe(action: argparse.Action) -> str:
    text = action.help or ""
    if action.choices:
        text += f" (one of: {', '.join(map(str, action.choices))})"
    if _required(action):
        text += " (required)"
    elif not _is_flag(action) and action.default is not None and "default" not in text:
        text += f" (default: {action.default})"
    return text.strip()


def usage(verb: str, parser: argparse.ArgumentParser, summary: str, hidden: Collection[str] = ()) -> str:
    """``motionlab <verb> --help``: the verb's keys, each with its help, choices and default."""
    actions = settings(parser, hidden)
    required = " ".join(_spec(action) for action in actions if _required(action))
    rows = [(_spec(action), _describe(action)) for action in actions]
    width = max((len(spec) for spec, _ in rows), default=0) + 2
    lines = [
        f"usage: motionlab {verb} {required + ' ' if required else ''}[key=value ...]",
        "",
        summary,
        "",
        "settings:" if rows else "settings: none",
        *(f"  {spec.ljust(width)}{text}" for spec, text in rows),
    ]
    return "\n".join(lines)
