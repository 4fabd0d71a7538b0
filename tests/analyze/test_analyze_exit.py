"""The analyzer's exit status: 1 when no video of the batch could be analysed, 0 with partial failures
(reported and counted)."""

from __future__ import annotations

import numpy as np

from motionlab.analyze.cli import main


def test_a_batch_where_nothing_could_be_analysed_exits_1(gait_model, pose_bundle, tmp_path, capsys):
    from motionlab.pose.render import render_pose_video

    broken = [tmp_path / "videos" / f"broken{i}.mp4" for i in range(2)]
    for video in broken:
        video.parent.mkdir(exist_ok=True)
        video.write_bytes(b"not a video" * 100)
    common = ["--model", str(gait_model), "--pose-model", str(pose_bundle), "--no-progress"]
    common += ["--cache-dir", str(tmp_path / "cache")]
    assert main([*map(str, broken), *common, "--out", str(tmp_path / "none")]) == 1
    assert "none of the 2 video(s) could be analysed" in capsys.readouterr().out

    blank = render_pose_video(tmp_path / "videos" / "empty.avi", np.full((20, 33, 4), np.nan), 30.0, 160, 120)
    assert main([str(broken[0]), str(blank), *common, "--out", str(tmp_path / "some")]) == 0
    assert "1 of 2 video(s) could not be analysed" in capsys.readouterr().out
