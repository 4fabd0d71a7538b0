"""MiniRocket (Dempster et al., 2021) as a classical baseline for window classification.

The classifier aeon's ``MiniRocketClassifier`` builds: the MiniRocket transform (about 10,000
convolutional features per window), features scaled to unit variance (``StandardScaler(with_mean=
False)``) and a ridge classifier with its penalty chosen by leave-one-out cross-validation
(``RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))``). It is built here from those parts so that the
per-class decision scores are available: averaging them over a recording's windows gives the
recording's answer, as averaging probabilities does for the deep model.

Plain numpy in, numpy out: no Lightning, no torch. aeon is an optional extra (``pip install -e
.[classical]``); `aeon_missing` says whether it can be used.

The first fit in a fresh environment compiles aeon's numba kernels (tens of seconds, cached on disk
for later processes); `fit_minirocket` does that on a two-window warm-up first and reports it as
``compile_seconds``, so that ``fit_seconds`` is the method's own cost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

# MiniRocket's kernels are 9 frames long: shorter windows are zero-padded at the end to this length.
MIN_FRAMES = 9
RIDGE_ALPHAS = np.logspace(-3, 3, 10)
# Windows transformed at once when scoring: the features of a block are blocks × ~10,000 × 4 bytes.
SCORE_BLOCK = 1024


def aeon_missing() -> str | None:
    """``None`` when aeon's MiniRocket can be imported, else a one-line note saying how to install it."""
    try:
        import aeon.transformations.collection.convolution_based  # noqa: F401
    except ImportError as error:
        return f"no MiniRocket baseline: aeon cannot be imported ({error}); pip install -e '.[classical]'"
    return None


@dataclass
class FittedMiniRocket:
    """A fitted MiniRocket classifier and what its fit cost.

    Attributes:
        transform, scaler, ridge: the fitted aeon transform, scaler and ridge classifier.
        num_classes: size of the class vocabulary; classes missing from the training windows get a
            score of ``-inf``.
        windows: training windows it was fitted on.
        fit_seconds: wall time of the fit (transform, scaling and ridge), without compilation.
        fit_cpu_seconds: process CPU time of the same (all threads).
        compile_seconds: wall time of the warm-up that compiles (or loads) aeon's numba kernels.
    """

    transform: Any
    scaler: Any
    ridge: Any
    num_classes: int
    windows: int
    fit_seconds: float
    fit_cpu_seconds: float
    compile_seconds: float


def fit_minirocket(
    x_train: np.ndarray,
    y_train: np.ndarray,
    num_classes: int,
    seed: int = 0,
    n_kernels: int = 10_000,
    n_jobs: int = 1,
) -> FittedMiniRocket:
    """Fit MiniRocket + scaled ridge on raw windows ``x_train [N, T, F]`` (frames × features, as the
    engine's batches hold them) with class indices ``y_train [N]`` in ``range(num_classes)``.

    ``n_kernels`` and ``n_jobs`` (threads) are aeon's; ``seed`` fixes the transform's random biases.
    Raises ``ImportError`` without aeon and ``ValueError`` when the windows hold fewer than 2 classes.
    """
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler

    y_train = np.asarray(y_train, dtype=np.int64)
    if len(np.unique(y_train)) < 2:
        raise ValueError(f"MiniRocket needs training windows of at least 2 classes, got {np.unique(y_train)}")
    x = aeon_layout(x_train)
    started = time.perf_counter()
    with torch_threads_kept():
        MiniRocket(n_kernels=n_kernels, n_jobs=n_jobs, random_state=seed).fit_transform(x[:2])
    compile_seconds = time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    transform = MiniRocket(n_kernels=n_kernels, n_jobs=n_jobs, random_state=seed)
    with torch_threads_kept():
        features = transform.fit_transform(x)
    scaler = StandardScaler(with_mean=False)
    ridge = RidgeClassifierCV(alphas=RIDGE_ALPHAS).fit(scaler.fit_transform(features), y_train)
    return FittedMiniRocket(
        transform=transform,
        scaler=scaler,
        ridge=ridge,
        num_classes=num_classes,
        windows=len(x),
        fit_seconds=time.perf_counter() - started,
        fit_cpu_seconds=time.process_time() - cpu,
        compile_seconds=compile_seconds,
    )


def score_minirocket(model: FittedMiniRocket, x: np.ndarray) -> np.ndarray:
    """Decision scores ``[N, num_classes]`` of windows ``x [N, T, F]`` (higher = more likely; the
    argmax is the predicted class, a recording's answer is the argmax of its windows' mean score).
    Windows are transformed a block at a time, so memory stays bounded."""
    scores = np.full((len(x), model.num_classes), -np.inf)
    classes = model.ridge.classes_
    for start in range(0, len(x), SCORE_BLOCK):
        with torch_threads_kept():
            features = model.transform.transform(aeon_layout(x[start : start + SCORE_BLOCK]))
        decision = model.ridge.decision_function(model.scaler.transform(features))
        if decision.ndim == 1:  # two classes: one score, positive for classes_[1]
            decision = np.stack([-decision, decision], axis=1)
        scores[start : start + len(decision), classes] = decision
    return scores


@contextmanager
def torch_threads_kept() -> Iterator[None]:
    """Puts torch's intra-op thread count back after an aeon transform, where torch is loaded.

    aeon sets numba's thread count for each transform, then back to numba's default: every core. With
    numba's OpenMP threading layer that is the count of the OpenMP runtime torch shares, so a process
    that runs torch on one thread (a pytest-xdist worker, a sweep trial with ``threads=1``) would run
    every later torch operation on every core, and spin against the other processes for them."""
    torch = sys.modules.get("torch")  # this module never imports torch itself
    threads = torch.get_num_threads() if torch else None
    try:
        yield
    finally:
        if torch:
            torch.set_num_threads(threads)


def aeon_layout(x: np.ndarray) -> np.ndarray:
    """``[N, T, F]`` windows → aeon's ``[N, channels, T]`` float32 (what MiniRocket computes in),
    zero-padded at the end to `MIN_FRAMES` frames when shorter."""
    x = np.asarray(x, dtype=np.float32).transpose(0, 2, 1)
    if x.shape[2] < MIN_FRAMES:
        x = np.pad(x, ((0, 0), (0, 0), (0, MIN_FRAMES - x.shape[2])))
    return np.ascontiguousarray(x)
