"""``python -m motionlab.datasets [convert NAME... | --all] [--out DIR]``: list or convert real data sets."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from motionlab.datasets.registry import real_dataset, real_datasets

DEFAULT_ROOT = Path("data/real")


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.datasets`` (and of ``motionlab datasets`` and
    ``motionlab convert-datasets``, key=value)."""
    parser = argparse.ArgumentParser(prog="python -m motionlab.datasets", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["list", "convert"], default="list")
    parser.add_argument("names", nargs="*", help="data sets to convert (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT, help="root directory (default: data/real)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    datasets = real_datasets()
    if args.command == "list":
        for dataset in datasets.values():
            print(f"{dataset.name:<14} {dataset.kind:<10} {dataset.title}")
        return 0
    for name in args.names or list(datasets):
        dataset = real_dataset(name)
        try:
            path = dataset.convert(args.out / dataset.name)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}\n  train: python train.py {shlex.join(dataset.train_overrides(path))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
