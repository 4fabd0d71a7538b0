"""Pretraining on unlabelled recordings, then fine-tuning on a few labelled ones, vs training from
scratch and MiniRocket on the same labelled recordings: real sets, held-out recordings, several seeds.

    python -m bench.bench_pretrain                          # every real set, seeds 1 2 3
    python -m bench.bench_pretrain --sets basic_motions --seeds 1 --fractions "1 group"
    python -m bench.bench_pretrain --pretext transforms     # experiment=<kind>_pretrain_transforms

Per real set (`motionlab.datasets`) and seed:

1. ``pretrained`` first pretrains the set's recipe encoder (``experiment=<kind>_pretrain``, or
   ``<kind>_pretrain_<pretext>`` with ``--pretext``: ``transforms`` for transformation recognition) on every
   *training* recording, from a copy of the set without its label column (``data.columns.label=null``);
   its validation and test splits are the set's, so test recordings never train the encoder.
2. Per labelled fraction, a CSV keeps the chosen training recordings (with labels) and every
   validation and test recording: ``scratch`` trains the recipe the pretraining recipe builds on (its
   first default: ``imu`` for ``imu_pretrain``, ``landmarks_tcn`` for ``landmarks_pretrain``) on it,
   ``pretrained`` the same recipe from the pretraining run (``init_from``, plus ``--finetune``
   overrides), ``recipe`` trains the set's own recipe (`bench.bench_real_data`'s: ``experiment=imu``,
   fixed random convolutions and a ridge head), ``calibrated`` the same with
   ``task.standardize_per_group=true`` (each person's features standardised by that person's own
   statistics, the held-out people's from their own unlabelled windows; only on sets that name their
   people), ``selftrained`` the same whose ridge head also self-trains on the cell's *other* training
   recordings, without their labels (``data.unlabelled``, ``task.self_training``; only on sets that
   name their people, and not in the ``100 %`` cell, which leaves none unlabelled), and
   ``minirocket`` fits MiniRocket + ridge on its training windows.

A *group* stands in for a person. Where the set names its people (a ``subject`` column:
``shoulder_exercises``), a group **is** a training person, and a cell labels every recording of the
drawn people; elsewhere (the archive sets hold out recordings and do not say who recorded what) a group
is one training recording of each class. Fractions: ``1 group``, ``2 groups``, ``25 %`` (a quarter of
the groups rounded down, at least one: on 5 people that is 1 person, the ``1 group`` cell) and
``100 %``, drawn per seed from the training split only; a cell whose draw equals an earlier one's is
reported from it, not rerun. Validation and test recordings (people) are the set's fixed splits in
every cell. Scores are window and recording accuracy on the test recordings
(`bench.bench_real_data.scores`).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from hydra.utils import instantiate

from bench.bench_real_data import (
    CONFIG_DIR,
    DATA_ROOT,
    run_minirocket,
    run_motionlab,
    scores,
    set_rows,
    split_arrays,
    train_quietly,
)
from bench.table import Row, format_table

SEEDS = (1, 2, 3)
FRACTIONS = ("1 group", "2 groups", "25 %", "100 %")
METHODS = ("scratch", "pretrained", "recipe", "calibrated", "selftrained", "minirocket")
#: the set's own recipe with each person's features standardised by that person's own statistics
CALIBRATION = ("task.standardize_per_group=true",)
#: ``calibrated`` whose ridge head also self-trains on the cell's unlabelled training recordings
#: (experiment=imu_self_training's setting)
SELF_TRAINING = (*CALIBRATION, "task.self_training.rounds=3")
#: ``--quick``'s TCN (pretraining, scratch, pretrained): small, to check that it runs
QUICK_TCN = ("model.channels=8", "model.num_blocks=2")
SCORES = ("window accuracy", "recording accuracy")


def pretrain_recipe(kind: str, pretext: str | None = None) -> str:
    """The pretraining recipe of a data kind: ``<kind>_pretrain`` (masked reconstruction), or
    ``<kind>_pretrain_<pretext>`` (e.g. ``imu_pretrain_transforms``)."""
    return f"{kind}_pretrain" + (f"_{pretext}" if pretext else "")


def finetune_recipe(pretraining: str) -> str:
    """The recipe the pretraining recipe ``experiment=<pretraining>`` builds on (its first default),
    which ``scratch`` and the fine-tuning run train: the encoder they start from must be the one that
    was pretrained."""
    recipe = yaml.safe_load((CONFIG_DIR / "experiment" / f"{pretraining}.yaml").read_text())
    return str(recipe["defaults"][0])


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, fields: Sequence[str], rows: Sequence[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def group_count(fraction: str, groups: int) -> int:
    """How many of ``groups`` a ``fraction`` cell labels: 1 or 2, a quarter rounded *down* (at least
    one, so the cell never labels more than 25 % unless one group already is), or all."""
    return {"1 group": 1, "2 groups": 2, "25 %": max(1, groups // 4)}.get(fraction, groups)


def labelled_recordings(rows: Sequence[dict[str, str]], fraction: str, seed: int) -> set[str]:
    """The training recordings whose labels a ``fraction`` cell may use, drawn per seed from the
    training split only.

    Where every training row names its person (a non-empty ``subject`` column), a group is a person:
    the cell labels every recording of 1, 2, a quarter or all of the training people. Elsewhere (the
    archive sets, which do not say who recorded what) a group is one recording of each class: the
    cell labels 1, 2, a quarter or all of each class's training recordings."""
    train = [row for row in rows if row["split"] == "train"]
    rng = np.random.default_rng(seed)
    if all(row.get("subject") for row in train):
        people = sorted({row["subject"] for row in train})
        chosen = set(rng.permutation(people)[: group_count(fraction, len(people))].tolist())
        return {row["recording"] for row in train if row["subject"] in chosen}
    by_class: dict[str, list[str]] = {}
    for recording, label in sorted({(row["recording"], row["label"]) for row in train}):
        by_class.setdefault(label, []).append(recording)
    labelled: set[str] = set()
    for recordings in by_class.values():
        labelled.update(rng.permutation(recordings)[: group_count(fraction, len(recordings))].tolist())
    return labelled


def class_windows(overrides: Sequence[str], probe: Path):
    """The datamodule of ``overrides``, set up: its split windows are what every method sees."""
    from motionlab.sweep.compose import run_config

    datamodule = instantiate(run_config(CONFIG_DIR, overrides, probe).data, _convert_="all")
    datamodule.setup("fit")
    return datamodule


def pretraining_run(overrides: Sequence[str], seed: int, out: Path) -> Path:
    """The run directory of the pretraining run of ``overrides`` and ``seed`` under ``out``: trained
    there unless a completed run of the same overrides and seed is (``--keep`` reuses them across
    benchmark runs that change only the fine-tuning)."""
    from motionlab.files import read_json
    from motionlab.runs.layout import SUMMARY

    digest = hashlib.sha256(json.dumps([*overrides, seed]).encode()).hexdigest()[:10]
    run_dir = out / f"pretrain_seed{seed}_{digest}"
    summary = run_dir / SUMMARY
    if not (summary.is_file() and read_json(summary).get("status") == "completed"):
        train_quietly(overrides, seed, run_dir)
    return run_dir


def measure_set(
    name: str,
    seeds: Sequence[int],
    fractions: Sequence[str],
    out: Path,
    extra_overrides: Sequence[str] = (),
    pretrain_overrides: Sequence[str] = (),
    finetune_overrides: Sequence[str] = (),
    pretrain_dir: Path | None = None,
    methods: Sequence[str] = METHODS,
    pretext: str | None = None,
    tcn_overrides: Sequence[str] = (),
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Per fraction, per method, one score dict per seed; pretraining runs go to ``pretrain_dir``
    (default ``out/<name>``), where a completed one of the same overrides is reused.
    ``tcn_overrides`` apply to the pretraining recipe's encoder only (pretraining, scratch,
    pretrained)."""
    from motionlab.datasets.registry import real_dataset

    dataset = real_dataset(name)
    fields, rows = read_rows(dataset.ensure(DATA_ROOT))
    # Every recording without its label: the pretraining run trains on the training split only (its
    # validation and test splits give the held-out reconstruction loss).
    pretrain_dir = pretrain_dir or out / name
    unlabelled_fields = [f for f in fields if f != "label"]
    unlabelled = write_rows(pretrain_dir / "unlabelled.csv", unlabelled_fields, rows)
    recipe = dataset.train_overrides(unlabelled)[1:]  # the set's data settings, without the experiment
    results = {fraction: {method: [] for method in methods} for fraction in fractions}
    pretraining = pretrain_recipe(dataset.kind, pretext)
    pretrain = [f"experiment={pretraining}", *recipe, "data.columns.label=null"]
    pretrain += [*extra_overrides, *tcn_overrides, *pretrain_overrides]
    for seed in seeds:
        pretrained = pretraining_run(pretrain, seed, pretrain_dir) if "pretrained" in methods else None
        cells: dict[frozenset[str], dict[str, dict[str, float]]] = {}
        for fraction in fractions:
            keep = labelled_recordings(rows, fraction, seed)
            if frozenset(keep) in cells:  # e.g. 25 % of 5 people is 1 person: the same cell, not rerun
                for method, result in cells[frozenset(keep)].items():
                    results[fraction][method].append(result)
                continue
            cells[frozenset(keep)] = {}
            people = sorted({r["subject"] for r in rows if r["recording"] in keep and r.get("subject")})
            drawn = f"{len(keep)} recordings" + (f" of {','.join(people)}" if people else "")
            subset = [r for r in rows if r["split"] != "train" or r["recording"] in keep]
            cell = out / name / f"{fraction.replace(' ', '').replace('%', 'pct')}_seed{seed}"
            set_recipe, *data = dataset.train_overrides(write_rows(cell / "labelled.csv", fields, subset))
            overrides = [
                f"experiment={finetune_recipe(pretraining)}",
                *data,
                *extra_overrides,
                *tcn_overrides,
            ]
            recipe_overrides = [set_recipe, *data, *extra_overrides]
            datamodule = class_windows(overrides, cell / "probe")
            train_x, train_y, _ = split_arrays(datamodule, "train")
            test_x, test_y, test_recordings = split_arrays(datamodule, "test")
            unlabelled_rows = [r for r in rows if r["split"] == "train" and r["recording"] not in keep]
            for method in methods:
                if method in ("calibrated", "selftrained") and not people:
                    continue  # no people named: a group is a recording of one class, nothing to calibrate
                if method == "selftrained" and not unlabelled_rows:
                    continue  # every training recording is labelled: nothing to self-train on
                if method == "minirocket":
                    probs, _ = run_minirocket(train_x, train_y, test_x, len(datamodule.class_names), seed)
                elif method in ("recipe", "calibrated"):
                    calibration = CALIBRATION if method == "calibrated" else ()
                    probs = run_motionlab([*recipe_overrides, *calibration], seed, cell / method, datamodule)
                elif method == "selftrained":
                    pool_csv = write_rows(cell / "unlabelled.csv", unlabelled_fields, unlabelled_rows)
                    overrides_st = [*recipe_overrides, *SELF_TRAINING, f"data.unlabelled={pool_csv}"]
                    probs = run_motionlab(overrides_st, seed, cell / method, datamodule)
                else:
                    start = [f"init_from={pretrained}", *finetune_overrides] if method == "pretrained" else []
                    probs = run_motionlab([*overrides, *start], seed, cell / method, datamodule)
                result = scores(probs, test_y.numpy(), test_recordings)
                result = {key: result[key] for key in SCORES}
                results[fraction][method].append(result)
                cells[frozenset(keep)][method] = result
                print(name, seed, fraction, drawn, method, result, flush=True)
    return results


def rows(
    quick: bool = False,
    sets: Sequence[str] | None = None,
    seeds: Sequence[int] = SEEDS,
    fractions: Sequence[str] = FRACTIONS,
    extra_overrides: Sequence[str] = (),
    pretrain_overrides: Sequence[str] = (),
    finetune_overrides: Sequence[str] = (),
    keep: str | None = None,
    methods: Sequence[str] = METHODS,
    pretext: str | None = None,
) -> list[Row]:
    from motionlab.datasets.registry import real_datasets

    tcn_overrides: Sequence[str] = ()
    if quick:  # one set, seed, fraction and epoch, a small encoder: checks that it runs, measures nothing
        sets, seeds, fractions = ["basic_motions"], seeds[:1], fractions[:1]
        extra_overrides, tcn_overrides = [*extra_overrides, "trainer.max_epochs=1"], QUICK_TCN
    with tempfile.TemporaryDirectory() as scratch:
        if keep is not None:  # this run's cells in a fresh folder there, the pretraining runs beside it
            Path(keep).mkdir(parents=True, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=keep) if keep is not None else scratch
        table = []
        for name in sets or list(real_datasets()):
            measured = measure_set(
                name,
                seeds,
                fractions,
                Path(tmp),
                extra_overrides,
                pretrain_overrides,
                finetune_overrides,
                Path(keep or tmp) / name,
                methods,
                pretext,
                tcn_overrides,
            )
            for fraction, results in measured.items():
                table += set_rows(f"{name} {fraction}", results, seeds)
        return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--fractions", nargs="+", choices=FRACTIONS, default=list(FRACTIONS))
    parser.add_argument("--overrides", nargs="*", default=[], help="train.py overrides of every run")
    parser.add_argument("--pretrain", nargs="*", default=[], help="overrides of the pretraining runs")
    parser.add_argument("--finetune", nargs="*", default=[], help="overrides of the fine-tuning runs")
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(METHODS),
        help="only these (e.g. pretrained, to compare fine-tuning settings: the others do not change)",
    )
    parser.add_argument(
        "--pretext",
        help="pretrain with experiment=<kind>_pretrain_<PRETEXT> (transforms: transformation recognition) "
        "instead of <kind>_pretrain (masked reconstruction)",
    )
    parser.add_argument("--quick", action="store_true", help="one set, seed, fraction and epoch")
    parser.add_argument(
        "--keep",
        help="keep every run under this folder and reuse its completed pretraining runs of the same "
        "overrides and seed (to compare fine-tuning settings without pretraining again)",
    )
    args = parser.parse_args()
    table = rows(
        args.quick,
        args.sets,
        args.seeds,
        args.fractions,
        args.overrides,
        args.pretrain,
        args.finetune,
        args.keep,
        args.methods,
        args.pretext,
    )
    print(format_table(table, "pretraining on unlabelled recordings, held-out recordings"))


if __name__ == "__main__":
    main()
