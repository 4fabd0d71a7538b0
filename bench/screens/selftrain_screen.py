"""Screen (issue 19): self-training of the rocket + ridge recipe (experiment=imu) on the unlabelled
training recordings, against ridge on the labelled recordings only (``scratch``) and on every
training recording (``full``). A screen: it measures, and builds nothing into motionlab (results and
the commands behind them: bench/screens/selftrain_screen.md, summarised in docs/pretraining.md).

    .venv/bin/python -m bench.screens.selftrain_screen                       # both sets, seeds 1 2 3
    .venv/bin/python -m bench.screens.selftrain_screen --sets shoulder_exercises --seeds 1

Per set, seed and cell (``1 group``, ``25 %``: `bench.bench_pretrain.labelled_recordings`'s draw):

- windows: `bench.bench_pretrain.class_windows` of the set's overrides. The labelled-only datamodule
  (training split = the labelled recordings, as the benchmark's cell CSV) gives the labelled windows
  and the labelled-only normaliser statistics; the datamodule of the whole CSV gives the unlabelled
  pool (training windows of the other recordings: their labels only score the pseudo-labels), the
  all-training statistics, and the validation and test windows.
- features (RocketEncoder as experiment=imu configures it, run.py's order: normaliser statistics,
  encoder fit on the training windows a run fits it on, `encoder_fit_windows`, mean-pooled
  standardised features): variant ``a`` fits both on the labelled recordings only (what a
  labelled-only run does), variant ``b`` on every training recording (labels unused); variant ``p``
  is ``b`` standardised again per person (`per_person_standardized`): every person's windows, the
  test people's included, by that person's own feature mean and spread (labels unused; a test person's
  unlabelled windows are read, as a per-user calibration would); variant ``ap`` is ``a`` standardised
  per person the same way (no unlabelled training recording used at all: only the labelled people's
  and each evaluated person's own windows); ``apm`` centres ``a`` on each person's mean only.
- ``scratch``: ridge (alphas of task=classify, chosen on validation windows) on the labelled windows;
  ``full``: ridge on every training window with its true label (variant b's features; ``full_p``
  variant p's);
  ``st_<strategy>``: ridge on labelled, then rounds of: predict the pool, mean softmax per recording,
  one pseudo-class per recording, keep some (``all``: every recording each round; ``top``: the most
  confident by margin, 50 % → 75 % → 100 % of the pool; ``bal``: the same fractions per predicted
  class), refit on labelled + pseudo-labelled windows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch

from bench.bench_pretrain import class_windows, labelled_recordings, read_rows, write_rows
from bench.bench_real_data import CONFIG_DIR, DATA_ROOT, scores, single_threaded, split_arrays
from motionlab.tasks.common.classification_metrics import recording_predictions
from motionlab.tasks.common.group_standardization import group_moments, standardized_by_group
from motionlab.tasks.common.self_training import protocol_assignment

CELLS = ("1 group", "25 %")
VARIANTS = ("a", "b", "p", "ap", "apm")
STRATEGIES = {
    "all": (1.0, 1.0, 1.0),
    "top": (0.5, 0.75, 1.0),
    "bal": (0.5, 0.75, 1.0),
    "person": (1.0, 1.0, 1.0),
}


def per_person_standardized(features: torch.Tensor, people: np.ndarray, spread: bool = True) -> torch.Tensor:
    """``features [N, D]`` with each person's rows (``people [N]``) standardised by that person's own
    mean and standard deviation (the engine's `standardized_by_group`), or with ``spread=False`` only
    centred on that person's mean: what is left is how a window differs from its person's usual."""
    codes = torch.from_numpy(np.unique(people, return_inverse=True)[1].reshape(-1))
    if spread:
        return standardized_by_group(features, codes)
    mean, _ = group_moments(features, codes, int(codes.max()) + 1)
    return features - mean[codes]


def window_people(datamodule, split: str) -> np.ndarray:
    """The person (split group, `MotionDataModule.recording_groups`) of each window of ``split``."""
    windows = datamodule.windows[split]
    return np.array(datamodule.recording_groups(windows.recordings))[windows.recording_index.numpy()]


def rocket_features(overrides, seed, datamodule, fit_x, stats, xs):
    """Pooled rocket features of each array in ``xs``: normaliser ``stats``, encoder fit on the windows
    of ``fit_x`` that a run would fit it on (run.py's `encoder_fit_windows`)."""
    from motionlab.sweep.compose import run_config
    from motionlab.training.run import build_task, encoder_fit_windows

    with tempfile.TemporaryDirectory() as tmp:
        cfg = run_config(CONFIG_DIR, ["threads=1", *overrides, f"seed={seed}"], Path(tmp))
    L.seed_everything(seed, workers=True)
    task = build_task(cfg, datamodule.spec.to_dict())
    task.normalizer.set_stats(stats.mean, stats.std)
    task.fit_encoder(fit_x[encoder_fit_windows(task, len(fit_x), seed)])
    task.eval()
    with torch.no_grad():
        return [task._pooled_windows(x) for x in xs], list(cfg.task.ridge_alphas)


def ridge_probs(features, labels, classes, alphas, val, others):
    from motionlab.tasks.common.ridge import ridge_classifier

    fit = ridge_classifier(features, labels, classes, alphas, *val)
    return [(x @ fit.weight + fit.bias).softmax(-1).numpy() for x in others], fit.alpha


def val_accuracy(probs: np.ndarray, labels: torch.Tensor) -> float:
    """Window accuracy of ``probs`` on the validation windows (for the validation guard)."""
    return float((probs.argmax(1) == labels.numpy()).mean())


def choose(mean_probs, strategy, fraction):
    """Indices of the pseudo-labelled recordings kept."""
    ordered = np.sort(mean_probs, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    n = len(mean_probs)
    if strategy != "bal":
        return np.argsort(-margin)[: round(fraction * n)]
    predicted = mean_probs.argmax(1)
    kept = []
    for c in np.unique(predicted):
        members = np.flatnonzero(predicted == c)
        kept += members[np.argsort(-margin[members])][: max(1, round(fraction * len(members)))].tolist()
    return np.array(sorted(kept))


def self_train(feats, lab_y, pool_rec, pool_y, classes, alphas, val, test_x, strategy, prior):
    """Rounds of pseudo-labelling; returns per round (pseudo-label accuracy, coverage, test probs)."""
    lab_x, pool_x = feats
    (pool_probs, test_probs, val_probs), _ = ridge_probs(
        lab_x, lab_y, classes, alphas, val, [pool_x, test_x, val[0]]
    )
    rounds = []
    for fraction in STRATEGIES[strategy]:
        # the run's own aggregation; the pool's true labels only score the pseudo-labels
        recordings = recording_predictions(pool_probs, pool_rec, pool_y)
        ids, mean_probs, rec_true = recordings.groups, recordings.scores, recordings.labels
        kept = choose(mean_probs, strategy, fraction)
        pseudo = mean_probs.argmax(1)
        if strategy == "person":
            subjects, proportions = prior
            pseudo = protocol_assignment(mean_probs, np.array([subjects[r] for r in ids]), proportions)
        accuracy = float((pseudo[kept] == rec_true[kept]).mean())
        window_class = dict(zip(ids[kept].tolist(), pseudo[kept].tolist(), strict=True))
        mask = np.isin(pool_rec, ids[kept])
        window_y = torch.tensor([window_class[r] for r in pool_rec[mask]], dtype=torch.long)
        x = torch.cat([lab_x, pool_x[torch.from_numpy(mask)]])
        y = torch.cat([lab_y, window_y])
        (pool_probs, test_probs, val_probs), alpha = ridge_probs(
            x, y, classes, alphas, val, [pool_x, test_x, val[0]]
        )
        rounds.append(
            {
                "pseudo": accuracy,
                "kept": len(kept) / len(ids),
                "alpha": alpha,
                "probs": test_probs,
                "val accuracy": val_accuracy(val_probs, val[1]),
            }
        )
    return rounds


def measure_set(name, seeds, out, extra=(), variants=VARIANTS):
    from motionlab.datasets.registry import real_dataset

    dataset = real_dataset(name)
    csv_path = dataset.ensure(DATA_ROOT)
    fields, rows = read_rows(csv_path)
    overrides = [*dataset.train_overrides(csv_path), *extra]
    full_dm = class_windows(overrides, out / "probe_full")
    train_x, train_y, train_ri = split_arrays(full_dm, "train")
    train_rec = np.array([full_dm.windows["train"].recordings[i].name.split("/", 1)[1] for i in train_ri])
    val_x, val_y, _ = split_arrays(full_dm, "val")
    test_x, test_y, test_ri = split_arrays(full_dm, "test")
    classes = len(full_dm.class_names)
    print(
        name, "windows train/val/test", len(train_x), len(val_x), len(test_x), "classes", classes, flush=True
    )
    results = []
    for seed in seeds:
        started = time.process_time()
        (b_train, b_val, b_test), alphas = rocket_features(
            overrides, seed, full_dm, train_x, full_dm.feature_stats, [train_x, val_x, test_x]
        )
        print(f"  seed {seed} variant b features {time.process_time() - started:.1f} s CPU", flush=True)
        p_train, p_val, p_test = (
            per_person_standardized(x, window_people(full_dm, split))
            for x, split in zip((b_train, b_val, b_test), ("train", "val", "test"), strict=True)
        )
        fulls = {"full": ("-", (b_train, b_val, b_test))}
        if "p" in variants:
            fulls["full_p"] = ("p", (p_train, p_val, p_test))
        for method, (variant, (v_train, v_val, v_test)) in fulls.items():
            (probs,), _ = ridge_probs(v_train, train_y, classes, alphas, (v_val, val_y), [v_test])
            full = scores(probs, test_y.numpy(), test_ri)
            results.append({"seed": seed, "cell": "100 %", "variant": variant, "method": method, **full})
            print(
                f"  seed {seed} {method} {full['window accuracy']:.3f}/{full['recording accuracy']:.3f}",
                flush=True,
            )
        seen = set()
        for cell in CELLS:
            keep = labelled_recordings(rows, cell, seed)
            if frozenset(keep) in seen:
                continue
            seen.add(frozenset(keep))
            labelled = np.isin(train_rec, sorted(keep))
            pool = ~labelled
            subset = [r for r in rows if r["split"] != "train" or r["recording"] in keep]
            cell_dir = out / f"{cell.replace(' ', '').replace('%', 'pct')}_seed{seed}"
            lab_overrides = [
                *dataset.train_overrides(write_rows(cell_dir / "labelled.csv", fields, subset)),
                *extra,
            ]
            lab_dm = class_windows(lab_overrides, cell_dir / "probe")
            lab_x, lab_y, _ = split_arrays(lab_dm, "train")
            assert lab_dm.class_names == full_dm.class_names
            assert torch.equal(lab_x, train_x[torch.from_numpy(labelled)]), "labelled windows differ"
            assert torch.equal(lab_y, train_y[torch.from_numpy(labelled)])
            assert torch.equal(split_arrays(lab_dm, "test")[0], test_x)
            started = time.process_time()
            (a_lab, a_pool, a_val, a_test), _ = rocket_features(
                lab_overrides,
                seed,
                lab_dm,
                lab_x,
                lab_dm.feature_stats,
                [lab_x, train_x[torch.from_numpy(pool)], val_x, test_x],
            )
            print(
                f"  seed {seed} {cell} variant a features {time.process_time() - started:.1f} s CPU",
                flush=True,
            )
            mask = torch.from_numpy(labelled)
            people_train = window_people(full_dm, "train")
            ap_lab, ap_pool = (
                per_person_standardized(x, people_train[rows])
                for x, rows in ((a_lab, labelled), (a_pool, pool))
            )
            ap_val, ap_test = (
                per_person_standardized(x, window_people(full_dm, split))
                for x, split in ((a_val, "val"), (a_test, "test"))
            )
            apm = [
                per_person_standardized(x, people, spread=False)
                for x, people in (
                    (a_lab, people_train[labelled]),
                    (a_pool, people_train[pool]),
                    (a_val, window_people(full_dm, "val")),
                    (a_test, window_people(full_dm, "test")),
                )
            ]
            features = {
                "a": (a_lab, a_pool, a_val, a_test),
                "ap": (ap_lab, ap_pool, ap_val, ap_test),
                "apm": tuple(apm),
                "b": (b_train[mask], b_train[~mask], b_val, b_test),
                "p": (p_train[mask], p_train[~mask], p_val, p_test),
            }
            people = len({r.get("subject", "") for r in rows if r["recording"] in keep})
            subjects = {r["recording"]: r.get("subject", "") for r in rows}
            lab_classes = [
                full_dm.class_names.index(label)
                for label in {r["recording"]: r["label"] for r in rows if r["recording"] in keep}.values()
            ]
            prior = (subjects, np.bincount(lab_classes, minlength=classes) / len(lab_classes))
            for variant in variants:
                v_lab, v_pool, v_val, v_test = features[variant]
                (probs, val_probs), _ = ridge_probs(
                    v_lab, lab_y, classes, alphas, (v_val, val_y), [v_test, v_val]
                )
                result = {
                    **scores(probs, test_y.numpy(), test_ri),
                    "val accuracy": val_accuracy(val_probs, val_y),
                }
                base = {"seed": seed, "cell": cell, "people": people, "variant": variant}
                results.append({**base, "method": "scratch", **result})
                print(
                    f"  {seed} {cell} {variant} scratch {result['window accuracy']:.3f}/"
                    f"{result['recording accuracy']:.3f}",
                    flush=True,
                )
                for strategy in STRATEGIES:
                    rounds = self_train(
                        (v_lab, v_pool),
                        lab_y,
                        train_rec[pool],
                        train_y[mask.logical_not()].numpy(),
                        classes,
                        alphas,
                        (v_val, val_y),
                        v_test,
                        strategy,
                        prior,
                    )
                    for number, r in enumerate(rounds, 1):
                        result = scores(r["probs"], test_y.numpy(), test_ri)
                        results.append(
                            {
                                **base,
                                "method": f"st_{strategy}",
                                "round": number,
                                "pseudo": r["pseudo"],
                                "kept": r["kept"],
                                "val accuracy": r["val accuracy"],
                                **result,
                            }
                        )
                        print(
                            f"  {seed} {cell} {variant} st_{strategy} r{number} pseudo {r['pseudo']:.3f} "
                            f"kept {r['kept']:.2f} test {result['window accuracy']:.3f}/"
                            f"{result['recording accuracy']:.3f}",
                            flush=True,
                        )
    return results


def full_line(method: str, variant: str, runs: list[dict]) -> str:
    """One line of `summarize`: a ``full`` method's seed-mean window and recording accuracy."""
    return (
        f"{method} (every training recording labelled, variant {variant} features): window "
        f"{np.mean([r['window accuracy'] for r in runs]):.3f}, recording "
        f"{np.mean([r['recording accuracy'] for r in runs]):.3f}; per seed window "
        + ", ".join(f"{r['window accuracy']:.3f}" for r in runs)
    )


def guarded(results: list[dict]) -> list[dict]:
    """Per seed, cell, variant and strategy, the engine's validation guard (``task.self_training.guard``):
    the last round where its validation window accuracy is at least scratch's, else scratch (method
    ``st_<strategy>+guard``, ``kept`` 1 or 0). Results without validation accuracy give none."""
    chosen = []
    for r in results:
        if (
            "val accuracy" not in r
            or r["method"] == "scratch"
            or r.get("round") != len(STRATEGIES[r["method"][3:]])
        ):
            continue
        (scratch,) = [
            s
            for s in results
            if (s["seed"], s["cell"], s["variant"], s["method"])
            == (r["seed"], r["cell"], r["variant"], "scratch")
        ]
        kept = r["val accuracy"] >= scratch["val accuracy"]
        picked = {key: value for key, value in (r if kept else scratch).items() if key != "pseudo"}
        chosen.append({**picked, "method": f"{r['method']}+guard", "round": 0, "kept": float(kept)})
    return chosen


def summarize(everything) -> str:
    """Markdown tables: per set, cell, variant and method (self-training: each round), the seed means
    of test window / recording accuracy, pseudo-label recording accuracy, the gain in window points
    over scratch with variant a's features (the labelled-only run), and the % of full's window accuracy."""
    lines = []
    for name, results in everything.items():
        results = results + guarded(results)
        full = [r for r in results if r["method"] == "full"]
        full_p = [r for r in results if r["method"] == "full_p"]
        full_window = np.mean([r["window accuracy"] for r in full])
        seeds = sorted({r["seed"] for r in results})
        lines += [f"### {name} (seeds {', '.join(map(str, seeds))})", "", full_line("full", "b", full), ""]
        if full_p:
            lines += [full_line("full_p", "p", full_p), ""]
        lines += [
            "| cell | feat | method | round | window acc (per seed) | window | recording | pseudo acc | kept "
            "| Δ window vs scratch a (pts) | % of full |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        keys = []
        for r in results:
            key = (r["cell"], r["variant"], r["method"], r.get("round", 0))
            if r["method"] not in ("full", "full_p") and key not in keys:
                keys.append(key)
        for cell, variant, method, number in keys:
            runs = [
                r
                for r in results
                if (r["cell"], r["variant"], r["method"], r.get("round", 0))
                == (cell, variant, method, number)
            ]
            base = [r for r in results if (r["cell"], r["variant"], r["method"]) == (cell, "a", "scratch")]
            window = np.mean([r["window accuracy"] for r in runs])
            recording = np.mean([r["recording accuracy"] for r in runs])
            gain = 100 * (window - np.mean([r["window accuracy"] for r in base]))
            pseudo = f"{np.mean([r['pseudo'] for r in runs]):.3f}" if "pseudo" in runs[0] else ""
            kept = f"{np.mean([r['kept'] for r in runs]):.2f}" if "kept" in runs[0] else ""
            per_seed = " ".join(f"{r['window accuracy']:.3f}" for r in runs)
            lines.append(
                f"| {cell} | {variant} | {method} | {number or ''} | {per_seed} | {window:.3f} "
                f"| {recording:.3f} "
                f"| {pseudo} | {kept} | {gain:+.1f} | {100 * window / full_window:.0f} % |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=["shoulder_exercises", "smartphone_activities"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--out", default="selftrain_screen.json")
    parser.add_argument("--strategies", nargs="*", default=list(STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--overrides", nargs="*", default=[], help="train.py overrides added to the recipe")
    parser.add_argument("--summarize", nargs="+", help="only print the tables of these result JSON files")
    args = parser.parse_args()
    if args.summarize:
        everything = {}
        for path in args.summarize:
            for name, results in json.loads(Path(path).read_text()).items():
                kept = everything.setdefault(name, [])
                seen = {(r["seed"], r["cell"], r["variant"], r["method"], r.get("round")) for r in kept}
                # scratch and full are in every file: once each
                kept += [
                    r
                    for r in results
                    if (r["seed"], r["cell"], r["variant"], r["method"], r.get("round")) not in seen
                ]
        print(summarize(everything))
        return
    for strategy in set(STRATEGIES) - set(args.strategies):
        del STRATEGIES[strategy]
    everything = {}
    with single_threaded(), tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            everything[name] = measure_set(name, args.seeds, Path(tmp) / name, args.overrides, args.variants)
            Path(args.out).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
