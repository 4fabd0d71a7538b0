import numpy as np

from motionlab.inference.sliding import overlap_average, sliding_starts, sliding_windows


def test_sliding_starts_cover_the_end():
    assert sliding_starts(10, 4, 3).tolist() == [0, 3, 6]
    assert sliding_starts(11, 4, 3).tolist() == [0, 3, 6, 7]
    assert sliding_starts(3, 4, 1).tolist() == []


def test_sliding_windows_are_the_right_frames():
    frames = np.arange(22).reshape(11, 2)
    _, windows = sliding_windows(frames, 4, 3)
    assert windows.shape == (4, 4, 2)
    assert windows[3].tolist() == frames[7:11].tolist()


def test_overlap_average_of_window_outputs():
    starts = np.array([0, 2])
    values = np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])  # frames 0-2 and 2-4
    assert overlap_average(values, starts, 6).tolist()[:5] == [1.0, 1.0, 2.0, 3.0, 3.0]
    assert np.isnan(overlap_average(values, starts, 6)[5])
    # the identity: averaging the windows of a signal gives the signal back
    signal = np.random.default_rng(0).normal(size=(50, 3))
    s, w = sliding_windows(signal, 8, 3)
    np.testing.assert_allclose(overlap_average(w, s, 50), signal)
