"""Resampling frames between frame rates: positions on the new grid, NaN kept missing."""

from __future__ import annotations

import numpy as np

from motionlab.pose.resample import resample_frames


def test_frames_land_on_the_new_time_grid_and_missing_values_stay_missing():
    values = np.arange(10, dtype=np.float32)[:, None].repeat(2, axis=1)
    values[5] = np.nan
    doubled = resample_frames(values, 30.0, 60.0)
    assert doubled.shape == (20, 2) and doubled.dtype == np.float32
    np.testing.assert_allclose(doubled[:9, 0], np.arange(9) / 2)
    assert np.isnan(doubled[9:12]).all() and doubled[12, 0] == 6.0
    np.testing.assert_array_equal(resample_frames(values, 60.0, 30.0)[:, 0], [0, 2, 4, 6, 8])
    assert resample_frames(values, 29.97, 30.0) is values  # NTSC 29.97 fps counts as 30
