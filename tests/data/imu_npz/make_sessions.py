"""Writes the small IMU sessions that `motionlab.data.imu_npz`'s ``small_sample`` and tests read:
``python tests/data/imu_npz/make_sessions.py`` → ``sessions/s0.npz … s5.npz``, one subject each, 600
frames at 50 Hz: 200 frames each of sitting, standing and walking. Synthetic (gravity on another axis
per posture, a 2 Hz stride while walking, sensor noise): for plumbing tests, not for accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FPS = 50.0
SEGMENT = 200
GRAVITY = {"sit": (0.0, 0.3, 0.95), "stand": (0.0, 0.0, 1.0), "walk": (0.1, 0.0, 1.0)}


def session(rng: np.random.Generator, order: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    time = np.arange(SEGMENT) / FPS
    acc, gyro = [], []
    for activity in order:
        stride = np.sin(2 * np.pi * 2.0 * time + rng.uniform(0, 2 * np.pi)) * (activity == "walk")
        acc.append(np.asarray(GRAVITY[activity]) + 0.3 * np.outer(stride, (1, 0.2, 0.5)))
        gyro.append(0.5 * np.outer(stride, (0.2, 1, 0.1)))
    acc = np.concatenate(acc) + rng.normal(0, 0.02, (3 * SEGMENT, 3))
    gyro = np.concatenate(gyro) + rng.normal(0, 0.02, (3 * SEGMENT, 3))
    return acc.astype(np.float32), gyro.astype(np.float32), np.repeat(order, SEGMENT)


def main(out: Path = Path(__file__).parent / "sessions") -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(6):
        order = list(rng.permutation(list(GRAVITY)))
        acc, gyro, activity = session(rng, order)
        np.savez_compressed(
            out / f"s{index}.npz", acc=acc, gyro=gyro, activity=activity, fps=FPS, subject=f"subject{index}"
        )


if __name__ == "__main__":
    main()
