"""The ``motionlab`` command: ``motionlab VERB [key=value ...]`` (docs/cli.md).

Every verb takes Hydra-style ``key=value`` arguments; a verb that works on a file or folder takes it as
a key too (``run=DIR``, ``videos=[…]``). The older commands (``python train.py``, ``python -m
motionlab.runs``, the Makefile targets) run the same functions. Exit status: 0 done, 1 a motionlab
error (one line), 2 a command line it cannot take, 130/143 stopped by Ctrl-C/SIGTERM
(`motionlab.exits`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from motionlab.cli.verbs import VERBS, Verb
from motionlab.exits import one_line_errors

USAGE_ERROR = 2


def overview() -> str:
    """``motionlab --help``: every verb with its one-line description."""
    width = max(map(len, VERBS)) + 2
    return "\n".join(
        [
            "usage: motionlab VERB [key=value ...]",
            "",
            "verbs:",
            *(f"  {name.ljust(width)}{verb.summary}" for name, verb in VERBS.items()),
            "",
            "`motionlab VERB --help` lists a verb's settings; docs/cli.md has the table of verbs.",
        ]
    )


def load(target: str) -> Callable:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def run_verb(name: str, verb: Verb, argv: Sequence[str]) -> int:
    """Run ``verb`` on its ``key=value`` arguments ``argv``; its exit status. The verbs with a parser
    end as the others do (`one_line_errors`); those without end by themselves (train, export and
    evaluate inside their Hydra app)."""
    if verb.parser is None:
        return load(verb.main)(list(argv)) or 0
    from motionlab.cli.options import UsageError, to_argv, usage

    parser = load(verb.parser)()
    if any(arg in ("-h", "--help") for arg in argv):
        print(usage(name, parser, verb.summary, verb.hidden))
        return 0
    try:
        translated = to_argv(parser, argv, verb.hidden)
    except UsageError as error:
        print(f"motionlab {name}: {error} (motionlab {name} --help)", file=sys.stderr)
        return USAGE_ERROR
    return one_line_errors(load(verb.main))([*verb.prefix, *translated]) or 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(overview())
        return 0
    if not argv:
        print(overview(), file=sys.stderr)
        return USAGE_ERROR
    name, rest = argv[0], argv[1:]
    verb = VERBS.get(name)
    if verb is None:
        from motionlab.suggest import closest

        near = closest(name, VERBS)
        hint = f" — did you mean {near}?" if near else ""
        print(f"motionlab: no verb '{name}'{hint} (motionlab --help lists them)", file=sys.stderr)
        return USAGE_ERROR
    return run_verb(name, verb, rest)
