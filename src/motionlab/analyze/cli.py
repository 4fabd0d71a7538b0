"""``python -m motionlab.analyze VIDEO... --model model.onnx [--out DIR] [--plot]``.

Videos are files or folders (searched recursively). Each video gets ``<out>/<name>.json`` (and
``<name>.png`` with ``--plot``); ``<out>/summary.json`` lists every video's result. A video that
cannot be read is reported with Low confidence and the reason, and the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from motionlab.analyze.features import UnsupportedModelError
from motionlab.analyze.plot import plot_analysis
from motionlab.analyze.report import print_results
from motionlab.analyze.results import analyze_pose, failed_analysis, task_kind
from motionlab.errors import DataFormatError
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.pose.cache import extract_videos
from motionlab.pose.extractor import VIDEO_SUFFIXES, ExtractorSettings

DEFAULT_POSE_MODEL = ".cache/pose/pose_landmarker_full.task"
DEFAULT_CACHE_DIR = "data/pose_cache"


def find_videos(paths: Sequence[str | Path]) -> list[Path]:
    """The videos among ``paths``: files as given, folders searched recursively (sorted)."""
    videos: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            videos.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
            )
        else:
            videos.append(path)
    return videos


def analyze_videos(
    videos: Sequence[str | Path],
    model_path: str | Path,
    settings: ExtractorSettings,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    out_dir: str | Path | None = None,
    plot: bool = False,
    max_gap_seconds: float = 0.25,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Analyse every video with the exported model; one JSON-ready summary per video, in order.

    With ``out_dir``, writes ``<name>.json`` per video (``<name>.png`` too with ``plot``) and
    ``summary.json``; ``<name>`` is the video's file stem, made unique within the batch.
    """
    if not Path(model_path).is_file():
        raise FileNotFoundError(f"{model_path}: no such model file — export a trained run with `make export`")
    model = OnnxMotionModel(model_path)
    kind = task_kind(model)
    poses, extraction = extract_videos(videos, settings, cache_dir, progress)
    names = _unique_names([Path(v) for v in videos])
    out = None if out_dir is None else Path(out_dir)
    summaries = []
    for video, name in zip(map(Path, videos), names, strict=True):
        pose = poses.get(video)
        if pose is None:
            summary = failed_analysis(extraction.failed.get(str(video), "no pose extracted"), kind)
            analysis = None
        else:
            analysis = analyze_pose(pose, model, max_gap_seconds)
            summary = analysis.summary
        summary = {"video": str(video), "model": str(model_path), **summary}
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            if analysis is not None and plot:
                analysis.summary = summary
                summary["plot"] = str(plot_analysis(out / f"{name}.png", analysis, pose, model))
            (out / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
        summaries.append(summary)
    if out is not None:
        (out / "summary.json").write_text(
            json.dumps({"model": str(model_path), "videos": summaries}, indent=2) + "\n"
        )
    return summaries


def _unique_names(videos: list[Path]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for video in videos:
        count = seen.get(video.stem, 0)
        seen[video.stem] = count + 1
        names.append(video.stem if count == 0 else f"{video.stem}-{count}")
    return names


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.analyze`` (and of ``motionlab analyze``, key=value)."""
    parser = argparse.ArgumentParser(
        prog="python -m motionlab.analyze",
        description="Analyse videos with an exported motionlab model (gait or workout): a table on the "
        "terminal, a JSON file per video and an optional plot.",
    )
    parser.add_argument("videos", nargs="+", help="video files or folders of videos (searched recursively)")
    parser.add_argument("--model", required=True, help="the exported model.onnx (export.py)")
    parser.add_argument(
        "--out", default="analysis", help="folder for the JSON files and plots (default: analysis)"
    )
    parser.add_argument("--plot", action="store_true", help="also write a PNG of the per-frame predictions")
    parser.add_argument("--pose-model", default=DEFAULT_POSE_MODEL, help="pose landmarker .task bundle")
    parser.add_argument(
        "--cache-dir", default=DEFAULT_CACHE_DIR, help="landmark cache (shared with the data)"
    )
    parser.add_argument(
        "--max-gap",
        type=float,
        default=0.25,
        help="longest run without a pose that is interpolated (seconds)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console()
    videos = find_videos(args.videos)
    if not videos:
        console.print(
            f"[red]error:[/] no videos ({', '.join(VIDEO_SUFFIXES)}) in {args.videos}", highlight=False
        )
        return 1
    try:
        summaries = analyze_videos(
            videos,
            args.model,
            ExtractorSettings(model_path=args.pose_model),
            args.cache_dir,
            args.out,
            args.plot,
            args.max_gap,
            not args.no_progress,
        )
    except (DataFormatError, UnsupportedModelError, FileNotFoundError, ImportError, ValueError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return 1
    print_results(summaries, console)
    console.print(f"results: {Path(args.out) / 'summary.json'}", highlight=False)
    failed = sum(1 for summary in summaries if "error" in summary)
    if failed == len(summaries):
        console.print(f"[red]error:[/] none of the {failed} video(s) could be analysed", highlight=False)
        return 1
    if failed:
        console.print(
            f"[yellow]{failed} of {len(summaries)} video(s) could not be analysed[/]", highlight=False
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
