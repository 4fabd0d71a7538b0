"""Run the benchmark suite and print one table of measured numbers (``make bench``).

    python -m bench                       # the default suite (≈ 5 min on 2 quiet cores)
    python -m bench --slow                # also the slow benchmarks (the pruning study)
    python -m bench --only bench.bench_large_data bench.bench_foundation
    python -m bench --quick               # every benchmark at toy size: checks the suite runs

Every benchmark is a module listed in `SUITE`. A module with ``rows(quick: bool = False) ->
list[Row]`` contributes rows to the table; a module with only a ``main()`` that prints its own
table is run as is and its output is printed after the table. The rows are also written to
``--out`` (JSON: machine, seconds per module, rows).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.table import Row, format_table, machine, write_results


@dataclass(frozen=True)
class Benchmark:
    module: str
    slow: bool = False


# Add a benchmark here: a module under bench/ with rows() (preferred) or main().
SUITE = [
    Benchmark("bench.bench_real_data"),  # real recordings: motionlab vs control vs MiniRocket
    Benchmark("bench.bench_foundation"),
    Benchmark("bench.bench_experiments"),
    Benchmark("bench.bench_large_data"),
    Benchmark("bench.bench_loader"),
    Benchmark("bench.bench_ridge"),  # the closed-form ridge head's fit
    Benchmark("bench.bench_compile"),  # last: it sets this process's torch threads to 1
    Benchmark("bench.bench_pruning", slow=True),
    Benchmark("bench.bench_reference_awd", slow=True),
    Benchmark("bench.bench_pretrain", slow=True),  # pretraining on unlabelled recordings (real sets)
]


def run_benchmark(module_name: str, quick: bool) -> tuple[list[Row], str]:
    """The module's rows, or (a module with only ``main()``) its printed output."""
    module = importlib.import_module(module_name)
    if hasattr(module, "rows"):
        return list(module.rows(quick=quick)), ""
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [module_name]
    try:
        with contextlib.redirect_stdout(printed):
            module.main()
    finally:
        sys.argv = argv
    return [], printed.getvalue()


def run_suite(modules: Sequence[str], quick: bool, out: Path) -> tuple[list[Row], str]:
    """Run ``modules`` in order; return every row and the printed report (table + other output)."""
    rows: list[Row] = []
    printed: list[str] = []
    seconds: dict[str, float] = {}
    for name in modules:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        module_rows, output = run_benchmark(name, quick)
        seconds[name] = round(time.perf_counter() - started, 1)
        rows += module_rows
        if output:
            printed.append(f"## {name}\n\n{output.rstrip()}")
    write_results(rows, out, seconds)
    timing = ", ".join(f"{name.removeprefix('bench.')} {s:.0f} s" for name, s in seconds.items())
    report = "\n\n".join(
        [
            format_table(rows, f"motionlab benchmarks — {machine()}"),
            *printed,
            f"took: {timing}; rows in {out}",
        ]
    )
    return rows, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slow", action="store_true", help="also run the slow benchmarks")
    parser.add_argument("--quick", action="store_true", help="toy sizes: check that the suite runs")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="run these modules only")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench/results.json"))
    args = parser.parse_args()
    modules = args.only or [b.module for b in SUITE if args.slow or not b.slow]
    _, report = run_suite(modules, args.quick, args.out)
    print(report)


if __name__ == "__main__":
    main()
