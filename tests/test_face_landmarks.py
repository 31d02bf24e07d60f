from __future__ import annotations

import numpy as np
import pytest

from _fixtures_face import portraits, read_image
from vidinvert.errors import VidinvertError
from vidinvert.face import mesh_indices as mi
from vidinvert.face.detect import MeshDetector, detect, make_detector
from vidinvert.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH_LEFT, MOUTH_RIGHT, NOSE, from_ibug68


def test_mesh_indices_agree_with_mediapipe_connections():
    from mediapipe.python.solutions import face_mesh_connections as conn

    def nodes(edges):
        return {i for edge in edges for i in edge}

    assert set(mi.EYE_IMAGE_LEFT) == nodes(conn.FACEMESH_RIGHT_EYE)
    assert set(mi.EYE_IMAGE_RIGHT) == nodes(conn.FACEMESH_LEFT_EYE)
    oval = mi.FACE_OVAL
    edges = {frozenset(e) for e in conn.FACEMESH_FACE_OVAL}
    assert {frozenset((oval[i], oval[(i + 1) % len(oval)])) for i in range(len(oval))} == edges


def test_landmarks_on_celebahq_portraits(shared_data):
    images = portraits(shared_data, 6)
    with MeshDetector() as detector:
        for image in images:
            faces = detector.detect(image)
            assert len(faces) == 1
            face = faces[0]
            a = face.anchors
            assert face.points.shape == (468, 2)
            assert a[EYE_LEFT, 0] < a[EYE_RIGHT, 0]
            assert a[MOUTH_LEFT, 0] < a[MOUTH_RIGHT, 0]
            eye_y = (a[EYE_LEFT, 1] + a[EYE_RIGHT, 1]) / 2
            assert eye_y < a[NOSE, 1] < (a[MOUTH_LEFT, 1] + a[MOUTH_RIGHT, 1]) / 2
            # aligned portraits: eyes about a quarter of the width apart, face centred
            assert 150 < a[EYE_RIGHT, 0] - a[EYE_LEFT, 0] < 400
            assert np.all(np.abs(face.centre - 512) < 200)
            assert face.score is None


def test_several_faces_largest_first(shared_data):
    big, small = portraits(shared_data, 2)
    small = small[::2, ::2]
    canvas = np.full((1024, 1600, 3), 128, np.uint8)
    canvas[:, :1024] = big
    canvas[256:768, 1060:1572] = small
    faces = detect(canvas, max_faces=3)
    assert len(faces) == 2
    assert faces[0].area > 2.5 * faces[1].area
    assert faces[0].centre[0] < 1024 < faces[1].centre[0]


def test_ibug68_mapping_uses_eye_means_and_mouth_corners():
    points = np.random.default_rng(0).uniform(0, 100, (68, 2))
    face = from_ibug68(points, score=0.9)
    np.testing.assert_allclose(face.anchors[EYE_LEFT], points[36:42].mean(axis=0))
    np.testing.assert_allclose(face.anchors[EYE_RIGHT], points[42:48].mean(axis=0))
    np.testing.assert_allclose(face.anchors[MOUTH_LEFT], points[48])
    np.testing.assert_allclose(face.anchors[MOUTH_RIGHT], points[54])
    assert face.outline.shape == (27, 2)


def test_face_alignment_backend_never_downloads(tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(VidinvertError) as err:
        make_detector("face-alignment")
    if importlib.util.find_spec("face_alignment") is None:
        assert "pip install face-alignment" in str(err.value)
    else:
        assert "2DFAN4" in str(err.value) and str(tmp_path) in str(err.value)
    assert not any(tmp_path.rglob("*.pth")) and not any(tmp_path.rglob("*.zip"))


def test_bad_backend_and_bad_image():
    with pytest.raises(VidinvertError, match="unknown --landmarks"):
        make_detector("dlib")
    with pytest.raises(VidinvertError, match="uint8 RGB"):
        detect(np.zeros((10, 10), np.float32))


def test_pixel_centres_sit_at_integers(shared_data):
    # mirroring an image maps pixel x to w - 1 - x, so a point and its mirror image sum to w - 1
    paths = sorted((shared_data / "celeba" / "train").glob("*/*.jpg"))[:300:15]
    offsets = []
    with MeshDetector() as detector:
        for path in paths:
            image = read_image(path)
            plain, mirrored = detector.detect(image), detector.detect(np.ascontiguousarray(image[:, ::-1]))
            if plain and mirrored:
                width = image.shape[1]
                offsets.append(plain[0].points[:, 0].mean() + mirrored[0].points[:, 0].mean() - (width - 1))
    assert len(offsets) >= 15
    assert abs(np.mean(offsets)) < 0.6
