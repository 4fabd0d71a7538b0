"""Write the joint-position part of AMP/AWD motion clips as smaller AMP JSON files.

Keeps every top-level key except the frames' other parts (root pose, toes, velocities): ``Frames``
keeps the ``joints_pos`` columns only, and ``Frame_offset``/``Frame_size`` say so. motionlab reads
the result like the original (it only uses the joint positions). This is how ``datasets/awd_go_bdx``
was made from github.com/rimim/AWD ``awd/data/motions/go_bdx_all``::

    python scripts/compact_amp_clips.py <AWD checkout>/awd/data/motions/go_bdx_all datasets/awd_go_bdx
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from motionlab.data.reference.amp_json import JOINTS_PART, load_json, read_amp_motion


def compact(source: Path, target: Path) -> None:
    """``target`` = ``source`` with only the joint positions in its frames (values as in the source)."""
    content = load_json(source)
    joints, _ = read_amp_motion(source)
    content["Frame_offset"] = [{JOINTS_PART: 0}]
    content["Frame_size"] = [{JOINTS_PART: joints.shape[1]}]
    content["Frames"] = [[round(float(v), 5) for v in row] for row in joints]
    target.write_text(json.dumps(content, separators=(",", ":")) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of AMP motion .json files")
    parser.add_argument("target", type=Path, help="folder to write the compact files to")
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.source.glob("*.json")):
        compact(path, args.target / path.name)
        print(f"wrote {args.target / path.name}")


if __name__ == "__main__":
    main()
