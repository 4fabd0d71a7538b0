"""Build workout sessions from videos and label files (seed 004's build step).

.. code-block:: text

    python -m motionlab.data.workout.build VIDEO_DIR --out DIR [--subject-from labels|folder|stem]

Every video under ``VIDEO_DIR`` (searched recursively) with a ``<stem>.labels.yaml`` beside it
(`motionlab.data.workout.labels`) goes through the pose extractor and its landmark cache (the same
pipeline as the gait data), onto the ``--fps`` time grid, and into the 25 joint angles of
`motionlab.pose.angles`. Each video becomes a session ``<DIR>/<session>.npz`` in the workout format,
so ``python train.py data=workout data.path=DIR`` trains on them.

Frames without a pose, or with a landmark an angle needs hidden, are NaN rows; runs of more than
``--max-gap`` of them (and those at either end) are cut out (an angle hidden on one side takes its
other side's value first: `motionlab.pose.angles.fill_hidden_side`), the video then giving several sessions
(``<session>_part<k>``), so the sessions train with the data engine's defaults. Videos without labels,
videos that cannot be read and videos without a single complete frame are skipped; everything
skipped or cut is listed in ``<DIR>/build_report.json``. Label errors stop the build before any
extraction, naming the file and field.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from motionlab.data.recording import Recording, split_at_gaps
from motionlab.data.workout.format import JOINT_ANGLES, WORKOUT_CLASSES, write_workout_session
from motionlab.data.workout.labels import LABELS_SUFFIX, VideoLabels, labels_path, read_labels
from motionlab.errors import DataFormatError
from motionlab.pose.angles import MIN_VISIBILITY, angles_from_pose
from motionlab.pose.cache import extract_videos
from motionlab.pose.extractor import VIDEO_SUFFIXES, ExtractorSettings, PoseSequence

SUBJECT_SOURCES: tuple[str, ...] = ("labels", "folder", "stem")
REPORT_NAME = "build_report.json"
DEFAULT_POSE_MODEL = ".cache/pose/pose_landmarker_full.task"
DEFAULT_CACHE_DIR = "data/pose_cache"


@dataclass
class BuildReport:
    """What a build wrote (one entry per session file), what it skipped (video → reason) and what it
    cut out at long gaps (video → frames and rep starts dropped)."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    cut: dict[str, dict[str, int]] = field(default_factory=dict)
    videos_extracted: int = 0
    videos_from_cache: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "skipped": self.skipped,
            "cut_at_gaps": self.cut,
            "videos_extracted": self.videos_extracted,
            "videos_from_cache": self.videos_from_cache,
            "frames": sum(s["frames"] for s in self.sessions),
            "reps": sum(s["reps"] for s in self.sessions),
        }


@dataclass(frozen=True)
class LabelledVideo:
    video: Path
    labels: VideoLabels
    session: str
    subject: str


def find_labelled_videos(
    video_dir: Path, subject_from: str, class_names: Sequence[str]
) -> tuple[list[LabelledVideo], list[Path]]:
    """Videos under ``video_dir`` with their validated labels, and the videos without a label file."""
    if not video_dir.is_dir():
        raise FileNotFoundError(f"{video_dir}: no such folder of videos")
    videos = sorted(p for p in video_dir.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not videos:
        raise DataFormatError(video_dir, "holds no videos", f"add videos ({', '.join(VIDEO_SUFFIXES)})")
    labelled, unlabelled = [], []
    sessions: dict[str, Path] = {}
    for video in videos:
        path = labels_path(video)
        if not path.is_file():
            unlabelled.append(video)
            continue
        labels = read_labels(path, class_names)
        session = video.relative_to(video_dir).with_suffix("").as_posix().replace("/", "_")
        if session in sessions:
            raise DataFormatError(
                video, f"gives the session id '{session}' that {sessions[session]} also gives", "rename one"
            )
        sessions[session] = video
        labelled.append(LabelledVideo(video, labels, session, _subject(video, labels, subject_from)))
    return labelled, unlabelled


def _subject(video: Path, labels: VideoLabels, subject_from: str) -> str:
    if subject_from == "folder":
        return video.parent.name
    if subject_from == "stem":
        return video.stem.split("_")[0]
    if labels.subject is None:
        raise DataFormatError(
            labels.path,
            "has no field 'subject'",
            "add `subject: <name>`, or build with --subject-from folder (the video's folder name) or "
            "--subject-from stem (the file name up to its first '_')",
        )
    return labels.subject


def session_recording(
    item: LabelledVideo,
    pose: PoseSequence,
    fps: float,
    class_names: Sequence[str],
    min_visibility: float = MIN_VISIBILITY,
) -> Recording:
    """The video's joint angles on the ``fps`` grid, with per-frame labels and rep starts."""
    angles = angles_from_pose(pose, fps, JOINT_ANGLES, min_visibility)
    labels, rep_starts = item.labels.frame_labels(len(angles), fps, pose.fps)
    lookup = {name: i for i, name in enumerate(class_names)}
    return Recording(
        name=item.session,
        frames=angles,
        feature_names=list(JOINT_ANGLES),
        fps=fps,
        group=item.subject,
        source=str(item.video),
        targets={"label": np.array([lookup[name] for name in labels.tolist()], dtype=np.int64)},
        events={"rep_starts": rep_starts},
        meta={"subject": item.subject},
    )


def build_workout_dataset(
    video_dir: str | Path,
    out_dir: str | Path,
    settings: ExtractorSettings,
    cache_dir: str | Path = DEFAULT_CACHE_DIR,
    fps: float = 30.0,
    subject_from: str = "labels",
    class_names: Sequence[str] = WORKOUT_CLASSES,
    min_visibility: float = MIN_VISIBILITY,
    max_gap: int = 5,
    progress: bool = True,
) -> BuildReport:
    """Write one workout session per labelled video (or per piece between long gaps) into ``out_dir``."""
    if subject_from not in SUBJECT_SOURCES:
        raise ValueError(f"subject_from must be one of {SUBJECT_SOURCES}, got {subject_from!r}")
    video_dir, out_dir = Path(video_dir), Path(out_dir)
    items, unlabelled = find_labelled_videos(video_dir, subject_from, class_names)
    report = BuildReport()
    for video in unlabelled:
        report.skipped[str(video)] = f"no labels: {video.stem}{LABELS_SUFFIX} is not beside it"
    poses, extraction = extract_videos([item.video for item in items], settings, cache_dir, progress)
    report.skipped.update(extraction.failed)
    report.videos_extracted, report.videos_from_cache = len(extraction.extracted), len(extraction.cached)
    _remove_previous_build(out_dir)
    for item in items:
        if item.video not in poses:
            continue
        recording = session_recording(item, poses[item.video], fps, class_names, min_visibility)
        complete = ~np.isnan(recording.frames).any(axis=1)
        if not complete.any():
            report.skipped[str(item.video)] = _why_incomplete(recording)
            continue
        pieces, dropped = split_at_gaps(recording, max_gap)
        for k, piece in enumerate(pieces):
            name = piece.name if len(pieces) == 1 else f"{item.session}_part{k}"
            path = write_workout_session(
                out_dir / f"{name}.npz",
                piece.frames,
                np.asarray(class_names)[piece.targets["label"]],
                piece.events["rep_starts"],
                item.subject,
                fps,
                JOINT_ANGLES,
                class_names,
            )
            report.sessions.append(_session_entry(path, item, piece, class_names))
        if dropped:
            kept = sum(len(piece.events["rep_starts"]) for piece in pieces)
            report.cut[str(item.video)] = {
                "frames": dropped,
                "reps": len(recording.events["rep_starts"]) - kept,
            }
    _write_report(out_dir / REPORT_NAME, report)
    return report


def _why_incomplete(recording: Recording) -> str:
    missing = np.isnan(recording.frames)
    if missing.all():
        return "no pose detected in any frame (or every landmark hidden)"
    worst = recording.feature_names[int(missing.mean(axis=0).argmax())]
    return f"no frame has all {len(recording.feature_names)} joint angles (most often missing: {worst})"


def _session_entry(
    path: Path, item: LabelledVideo, piece: Recording, class_names: Sequence[str]
) -> dict[str, Any]:
    counts = np.bincount(piece.targets["label"], minlength=len(class_names))
    return {
        "session": path.stem,
        "file": str(path),
        "video": str(item.video),
        "subject": item.subject,
        "first_frame": int(piece.meta.get("first_frame", 0)),
        "frames": len(piece),
        "reps": len(piece.events["rep_starts"]),
        "frames_per_class": dict(zip(class_names, counts.tolist(), strict=True)),
        "frames_with_missing_angles": int(np.isnan(piece.frames).any(axis=1).sum()),
    }


def _remove_previous_build(out_dir: Path) -> None:
    """Delete the session files a previous build wrote here, so a rebuild leaves no stale session."""
    previous = out_dir / REPORT_NAME
    if not previous.is_file():
        return
    for session in json.loads(previous.read_text()).get("sessions", []):
        Path(session["file"]).unlink(missing_ok=True)


def _write_report(path: Path, report: BuildReport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")


def print_report(report: BuildReport, out_dir: Path, console: Console) -> None:
    table = Table(title=f"workout sessions in {out_dir}")
    for column in ("session", "subject", "frames", "reps", "exercise frames"):
        table.add_column(column, justify="right" if column in ("frames", "reps") else "left")
    for session in report.sessions:
        frames = ", ".join(f"{name} {n}" for name, n in session["frames_per_class"].items() if n)
        table.add_row(
            session["session"], session["subject"], str(session["frames"]), str(session["reps"]), frames
        )
    console.print(table)
    for video, cut in report.cut.items():
        console.print(
            f"[yellow]cut[/] {video}: {cut['frames']} frames without a complete pose, {cut['reps']} reps"
        )
    for video, reason in report.skipped.items():
        console.print(f"[yellow]skipped[/] {video}: {reason}")
    totals = report.to_dict()
    console.print(
        f"{len(report.sessions)} session(s), {totals['frames']} frames, {totals['reps']} reps; "
        f"{len(report.skipped)} video(s) skipped; report: {out_dir / REPORT_NAME}"
    )


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.data.workout.build`` (and of ``motionlab
    build-workout-data``, key=value)."""
    parser = argparse.ArgumentParser(
        prog="python -m motionlab.data.workout.build",
        description="Build workout sessions (.npz) from videos and <stem>.labels.yaml label files.",
    )
    parser.add_argument(
        "video_dir", type=Path, help="folder of videos with label files (searched recursively)"
    )
    parser.add_argument("--out", type=Path, required=True, help="where the sessions are written")
    parser.add_argument(
        "--subject-from",
        choices=SUBJECT_SOURCES,
        default="labels",
        help="the subject of a video: the label file's 'subject', the video's folder name, or its file "
        "name up to the first '_' (default: labels)",
    )
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of the sessions (default 30)")
    parser.add_argument(
        "--classes", default=",".join(WORKOUT_CLASSES), help="exercise names, comma-separated"
    )
    parser.add_argument("--pose-model", default=DEFAULT_POSE_MODEL, help="pose landmarker .task bundle")
    parser.add_argument(
        "--cache-dir", default=DEFAULT_CACHE_DIR, help="landmark cache (shared with gait data)"
    )
    parser.add_argument(
        "--min-visibility", type=float, default=MIN_VISIBILITY, help="hide landmarks below this"
    )
    parser.add_argument(
        "--max-gap", type=int, default=5, help="longest run of incomplete frames kept (frames)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console()
    try:
        report = build_workout_dataset(
            args.video_dir,
            args.out,
            ExtractorSettings(model_path=args.pose_model),
            cache_dir=args.cache_dir,
            fps=args.fps,
            subject_from=args.subject_from,
            class_names=[name.strip() for name in args.classes.split(",")],
            min_visibility=args.min_visibility,
            max_gap=args.max_gap,
            progress=not args.no_progress,
        )
    except (DataFormatError, FileNotFoundError, ImportError) as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return 1
    print_report(report, args.out, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
