import numpy as np

from motionlab.inference.peaks import find_peaks


def test_peaks_above_threshold_and_apart():
    signal = np.array([0, 0.2, 0.9, 0.3, 0, 0.6, 0.7, 0.1, 0, 0.4, 0])
    assert find_peaks(signal, threshold=0.5, min_distance=1).tolist() == [2, 6]
    # 2 and 6 are 4 apart: with min_distance 5 only the higher one (0.9 at 2) survives
    assert find_peaks(signal, threshold=0.5, min_distance=5).tolist() == [2]


def test_plateau_counts_once_and_edges_and_nan():
    signal = np.array([1.0, 1.0, 0.2, 0.8, 0.8, 0.8, 0.1, np.nan, 0.9])
    assert find_peaks(signal, threshold=0.5, min_distance=1).tolist() == [0, 3, 8]
    assert find_peaks(np.array([]), 0.5, 1).tolist() == []


def test_gaussian_train_counts_every_bump():
    t = np.arange(300)
    starts = np.arange(20, 300, 45)
    signal = np.exp(-((t[:, None] - starts) ** 2) / 20).max(axis=1)
    assert find_peaks(signal, 0.5, 24).tolist() == starts.tolist()
