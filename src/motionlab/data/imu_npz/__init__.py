"""IMU sessions: one .npz per session with accelerometer and gyroscope channels and an activity per frame."""

from motionlab.data.registry import DataFormat

FORMAT = DataFormat(
    name="imu_npz",  # configs/data/imu_npz.yaml, data=imu_npz
    title="IMU sessions: accelerometer + gyroscope per frame, an activity per frame (.npz)",
    small_sample=("data.path=tests/data/imu_npz/sessions",),  # or data.sample.* sizes of a generator
)
