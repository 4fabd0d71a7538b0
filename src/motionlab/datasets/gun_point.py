"""GunPoint: the tracked centroid of an actor's right hand in video, two gestures (UCR archive).

A female and a male actor either draw a replica gun from a hip holster and point it at a target, or
point with the index finger; the hand's X coordinate was tracked at 30 fps (150 frames, z-normalised
per recording by the archive). 200 recordings; the archive's 150 TEST recordings are the test split
(the actor of each recording is not given, so recordings are held out).
"""

from __future__ import annotations

import functools

from motionlab.datasets.archive_csv import convert_archive
from motionlab.datasets.registry import RealDataset

FPS = 30

DATASET = RealDataset(
    name="gun_point",
    title="GunPoint — tracked hand position in video, gun-draw vs point, 200 recordings",
    kind="landmarks",
    convert=functools.partial(
        convert_archive,
        archive="GunPoint",
        archive_source="UCR time series classification archive",
        channels=("hand_x",),
        label_names={"1": "gun", "2": "point"},
        provenance={
            "licence": "UCR archive: free for research use, cite the archive; aeon itself is BSD-3-Clause",
            "citation": "Ratanamahatana and Keogh, 2005; Dau et al., The UCR time series archive, 2019. "
            "arXiv:1810.07758",
            "fps": FPS,
            "labels": {"1": "gun", "2": "point"},
            "held_out": "recordings (the archive's TEST cases); the actor of each recording is unknown",
        },
    ),
    fps=FPS,
    overrides=("data.window=120", "data.eval_stride=5"),
)
