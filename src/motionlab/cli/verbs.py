"""The ``motionlab`` verbs: what each does, the function it runs, and the command it replaces.

Functions are named as ``"module:function"`` and imported only when their verb runs, so that
``motionlab --help`` starts without torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verb:
    """One verb of the ``motionlab`` command.

    Attributes:
        summary: one line for ``motionlab --help``.
        main: ``"module:function"`` run with the verb's arguments, returning the exit status.
        parser: ``"module:function"`` building the argparse parser of ``main`` when its own command line
            is ``--flag`` style: the verb's ``key=value`` arguments become that command line
            (`motionlab.cli.options`). ``None``: ``main`` takes the ``key=value`` arguments as they are.
        prefix: arguments put before the translated ones (a sub-command of ``main``'s parser).
        hidden: parser settings the verb sets through ``prefix`` and does not offer.
        old: the command the verb replaces (which keeps working).
    """

    summary: str
    main: str
    old: str
    parser: str | None = None
    prefix: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()


VERBS: dict[str, Verb] = {
    "train": Verb(
        "train a model, or cross-validate it (overrides of configs/train.yaml)",
        "motionlab.cli.train:main",
        "python train.py …; make train",
    ),
    "sweep": Verb(
        "Optuna hyperparameter search over configs/search/<search>.yaml",
        "motionlab.cli.sweep:main",
        "python sweep.py …; make sweep",
    ),
    "resume": Verb(
        "continue a stopped run in place from its last.ckpt (run=DIR; default: the newest)",
        "motionlab.training.resume:main",
        "python -m motionlab.training.resume [DIR]; make resume",
    ),
    "evaluate": Verb(
        "test metrics and per-window predictions of a run, sweep trial or ensemble",
        "motionlab.cli.evaluate:main",
        "python evaluate.py …; make evaluate",
    ),
    "export": Verb(
        "a run, a sweep's best trial or an ensemble to verified ONNX (+ model card, registry)",
        "motionlab.cli.export:main",
        "python export.py …; make export",
    ),
    "runs": Verb(
        "the runs and sweeps under outputs/: status, epochs, best score, directory",
        "motionlab.runs.index:main",
        "python -m motionlab.runs",
        parser="motionlab.runs.index:parser",
    ),
    "registry": Verb(
        "the exported models and their versions (outputs/model_registry.json)",
        "motionlab.export.registry:main",
        "python -m motionlab.export.registry",
        parser="motionlab.export.registry:parser",
    ),
    "export-case": Verb(
        "case.json for the Node.js and browser examples from an exported run (run=DIR)",
        "motionlab.export.case:main",
        "python -m motionlab.export.case DIR",
        parser="motionlab.export.case:parser",
    ),
    "analyze": Verb(
        "analyse videos with an exported model: a table, a JSON file per video, an optional plot",
        "motionlab.analyze.cli:main",
        "python -m motionlab.analyze …; make analyze",
        parser="motionlab.analyze.cli:parser",
    ),
    "build-workout-data": Verb(
        "workout sessions (.npz) from videos with <stem>.labels.yaml files",
        "motionlab.data.workout.build:main",
        "python -m motionlab.data.workout.build …; make workout-data",
        parser="motionlab.data.workout.build:parser",
    ),
    "pose-model": Verb(
        "build the pose landmarker bundle that video input needs (offline, at setup)",
        "motionlab.pose.bundle:main",
        "python -m motionlab.pose.bundle; make pose-model",
        parser="motionlab.pose.bundle:parser",
    ),
    "datasets": Verb(
        "list the real public data sets that convert offline",
        "motionlab.datasets.__main__:main",
        "python -m motionlab.datasets",
        parser="motionlab.datasets.__main__:parser",
        prefix=("list",),
        hidden=("command", "names", "out"),
    ),
    "convert-datasets": Verb(
        "convert real data sets to CSV (names=[…]; default: all); prints their train command",
        "motionlab.datasets.__main__:main",
        "python -m motionlab.datasets convert …",
        parser="motionlab.datasets.__main__:parser",
        prefix=("convert",),
        hidden=("command",),
    ),
}
