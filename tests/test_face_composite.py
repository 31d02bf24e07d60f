from __future__ import annotations

import numpy as np
import pytest

from _fixtures_face import clip_frames
from vidinvert.errors import VidinvertError
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.composite import paste
from vidinvert.face.detect import MeshDetector
from vidinvert.face.landmarks import NOSE
from vidinvert.face.mask import face_mask, face_polygon


@pytest.fixture(scope="module")
def frame_and_face(shared_data):
    frame = clip_frames(shared_data / "videos" / "talk_audio.mp4", 1)[0]
    with MeshDetector() as detector:
        return frame, detector.detect(frame)[0]


def test_mask_covers_the_face_and_nothing_far_away(frame_and_face):
    frame, face = frame_and_face
    mask = face_mask(face, frame.shape, forehead=0.15, dilate=0.03, feather=0.04)
    assert mask.shape == frame.shape[:2] and mask.dtype == np.float32
    assert 0 <= mask.min() and mask.max() <= 1
    nx, ny = np.rint(face.anchors[NOSE]).astype(int)
    assert mask[ny, nx] == pytest.approx(1.0)
    assert mask[:20].max() == 0 and mask[-20:].max() == 0  # hair top and shirt untouched
    reach = int(np.ceil(0.03 * face.size) + np.ceil(3 * 0.04 * face.size)) + 2  # dilation, 3 feather sigmas
    x0, x1 = face_polygon(face, forehead=0.15)[:, 0].min(), face_polygon(face, forehead=0.15)[:, 0].max()
    assert mask[:, : int(x0) - reach].max() == 0 and mask[:, int(np.ceil(x1)) + reach:].max() == 0
    assert mask[:, int(x0) - reach // 2].max() > 0  # but it does reach beyond the outline
    # the soft edge: values strictly between 0 and 1 exist
    assert ((mask > 0.05) & (mask < 0.95)).sum() > 100


def test_forehead_margin_raises_the_top(frame_and_face):
    frame, face = frame_and_face
    raised = face_polygon(face, forehead=0.3)
    plain = face_polygon(face, forehead=0.0)
    top = int(np.argmin(plain[:, 1]))
    assert plain[top, 1] - raised[top, 1] == pytest.approx(0.3 * face.size, rel=0.05)
    chin = int(np.argmax(plain[:, 1]))
    np.testing.assert_allclose(raised[chin], plain[chin])
    tight = face_mask(face, frame.shape, forehead=0.0, dilate=0.0, feather=0.01)
    loose = face_mask(face, frame.shape, forehead=0.3, dilate=0.0, feather=0.01)
    above = (int(plain[top, 0]), int(plain[top, 1] - 0.15 * face.size))
    assert tight[above[1], above[0]] == 0 and loose[above[1], above[0]] == pytest.approx(1.0)


@pytest.mark.parametrize("size, inside_mean", [(256, 1.5), (1024, 0.5)])
def test_align_then_paste_back_reproduces_the_frame(frame_and_face, size, inside_mean):
    frame, face = frame_and_face
    aligned, transform = crop(frame, ffhq_quad(face), size)
    mask = face_mask(face, frame.shape)
    out = paste(frame, aligned, transform, mask)
    diff = np.abs(out.astype(int) - frame.astype(int)).max(axis=2)
    assert np.array_equal(out[mask == 0], frame[mask == 0])
    assert diff[mask > 0].mean() < inside_mean
    assert np.percentile(diff[mask > 0], 99) < 12


def test_only_masked_pixels_change(frame_and_face):
    frame, face = frame_and_face
    aligned, transform = crop(frame, ffhq_quad(face), 256)
    edited = 255 - aligned
    mask = face_mask(face, frame.shape)
    for options in ({}, {"interpolation": "linear"}, {"seamless": True}):
        out = paste(frame, edited, transform, mask, **options)
        assert np.array_equal(out[mask == 0], frame[mask == 0])
        changed = np.abs(out.astype(int) - frame.astype(int)).max(axis=2) > 30
        assert changed[mask > 0.99].mean() > 0.5
    nothing = paste(frame, edited, transform, np.zeros(frame.shape[:2], np.float32))
    assert np.array_equal(nothing, frame)


def test_a_crop_at_another_size_lands_in_the_same_place(frame_and_face):
    frame, face = frame_and_face
    quad = ffhq_quad(face)
    small, transform = crop(frame, quad, 256)
    large, _ = crop(frame, quad, 1024)
    mask = face_mask(face, frame.shape)
    a = paste(frame, small, transform, mask).astype(int)
    b = paste(frame, large, transform, mask).astype(int)
    assert np.abs(a - b)[mask > 0].mean() < 2


def test_paste_rejects_a_mismatched_mask(frame_and_face):
    frame, face = frame_and_face
    aligned, transform = crop(frame, ffhq_quad(face), 64)
    with pytest.raises(VidinvertError, match="mask shape"):
        paste(frame, aligned, transform, np.zeros((10, 10), np.float32))
    with pytest.raises(VidinvertError, match="interpolation"):
        paste(frame, aligned, transform, np.zeros(frame.shape[:2], np.float32), interpolation="nearest")
