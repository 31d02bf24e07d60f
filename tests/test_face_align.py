from __future__ import annotations

import numpy as np
import pytest

from _fixtures_face import clip_frames, portraits
from vidinvert.errors import VidinvertError
from vidinvert.face.align import crop, crop_transform, ffhq_quad, quad_from_params, quad_params, quad_side
from _align_reference import crop_reference
from vidinvert.face.detect import MeshDetector
from vidinvert.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH_LEFT, MOUTH_RIGHT


@pytest.fixture(scope="module")
def portrait_faces(shared_data):
    images = portraits(shared_data, 4)
    with MeshDetector() as detector:
        return [(image, detector.detect(image)[0]) for image in images]


def test_quad_follows_the_recipe_on_known_points():
    anchors = np.zeros((5, 2))
    anchors[EYE_LEFT], anchors[EYE_RIGHT] = (40, 50), (60, 50)
    anchors[MOUTH_LEFT], anchors[MOUTH_RIGHT] = (42, 80), (58, 80)
    quad = ffhq_quad(anchors)
    # e2e = (20, 0), e2m = (0, 30): x along +x with length max(40, 54) = 54, c = (50, 53)
    c, x, y = quad_params(quad)
    np.testing.assert_allclose(c, (50, 53))
    np.testing.assert_allclose(x, (54, 0))
    np.testing.assert_allclose(y, (0, 54))
    np.testing.assert_allclose(quad[0], (-4, -1))
    assert quad_side(quad) == pytest.approx(108)


def test_aligned_portrait_gives_nearly_the_identity(portrait_faces):
    corners = np.array([[0, 0], [0, 1023], [1023, 1023], [1023, 0]], dtype=float)
    for image, face in portrait_faces:
        quad = ffhq_quad(face)
        assert np.abs(quad - corners).max() < 60
        transform = crop_transform(quad, 1024)
        np.testing.assert_allclose(transform.matrix[:2, :2], np.eye(2), atol=0.08)
        np.testing.assert_allclose(transform.matrix @ transform.inverse, np.eye(3), atol=1e-9)


def test_transform_maps_quad_corners_to_crop_corners():
    quad = quad_from_params((300.0, 200.0), (80.0, 20.0), (-20.0, 80.0))
    t = crop_transform(quad, 256)
    mapped = np.c_[quad, np.ones(4)] @ t.matrix.T
    # quad corners are the crop's outer pixel edges, half a pixel beyond the corner pixel centres
    np.testing.assert_allclose(mapped[:, :2], [[-0.5, -0.5], [-0.5, 255.5], [255.5, 255.5], [255.5, -0.5]], atol=1e-9)


@pytest.mark.parametrize("size", [64, 256, 1024])
def test_fast_crop_matches_the_reference_recipe(portrait_faces, size):
    image, face = portrait_faces[0]
    quad = ffhq_quad(face)
    # the reference shifts the quad by (shrink - 1) / 2 pixels when it shrinks; compare like with like
    shrink = int(np.floor(quad_side(quad) / size * 0.5))
    ref = crop_reference(image, quad - max(shrink - 1, 0) / 2, size).astype(int)
    for resample, max_tol, mean_tol in (("lanczos", 20, 1.2), ("area", 25, 2.0)):
        fast, transform = crop(image, quad, size, resample=resample)
        assert fast.shape == (size, size, 3) and fast.dtype == np.uint8
        assert transform.size == size
        diff = np.abs(fast.astype(int) - ref)
        assert diff.max() <= max_tol and diff.mean() < mean_tol, resample


def test_unknown_resample_filter(portrait_faces):
    image, face = portrait_faces[0]
    with pytest.raises(VidinvertError, match="resample"):
        crop(image, ffhq_quad(face), 64, resample="nearest")


def test_padding_outside_the_frame(portrait_faces):
    image, face = portrait_faces[1]
    part = np.ascontiguousarray(image[250:, 300:])  # the face now runs off the top-left corner
    quad = ffhq_quad(face) - (300, 250)
    padded, _ = crop(part, quad, 256)
    black, _ = crop(part, quad, 256, padding=False)
    ref = crop_reference(part, quad, 256)
    corner = (slice(0, 40), slice(0, 40))
    assert black[corner].max() == 0
    assert padded[corner].mean() > 20  # reflected, blurred, faded towards the median colour
    assert np.abs(padded[corner].astype(int) - ref[corner].astype(int)).mean() < 4
    assert np.abs(padded.astype(int) - ref.astype(int)).mean() < 2.5


def test_crop_of_video_frame_is_centred_on_the_face(shared_data):
    frame = clip_frames(shared_data / "videos" / "talk_audio.mp4", 1)[0]
    with MeshDetector() as detector:
        face = detector.detect(frame)[0]
    out, transform = crop(frame, ffhq_quad(face), 256)
    with MeshDetector() as detector:
        again = detector.detect(out)
    assert len(again) == 1
    # in an FFHQ crop the eyes sit near (0.38, 0.48) and (0.62, 0.48) of the side
    eyes = again[0].anchors[[EYE_LEFT, EYE_RIGHT]] / 256
    np.testing.assert_allclose(eyes, [[0.38, 0.48], [0.62, 0.48]], atol=0.05)
    # and the transform maps the frame's landmarks onto the crop's
    mapped = np.c_[face.anchors, np.ones(5)] @ transform.matrix.T
    assert np.abs(mapped[:, :2] - again[0].anchors).max() < 6
