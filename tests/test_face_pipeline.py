"""The face stages chained as the video pipeline chains them, on a real clip with a moving head."""

from __future__ import annotations

import numpy as np

from _fixtures_face import clip_frames
from vidinvert.face.align import crop, ffhq_quad, quad_params
from vidinvert.face.composite import paste
from vidinvert.face.detect import MeshDetector
from vidinvert.face.mask import face_mask
from vidinvert.face.smooth import smooth_quads
from vidinvert.face.track import FaceTracker


def test_track_smooth_crop_paste(shared_data):
    frames = clip_frames(shared_data / "videos" / "head_d19.mp4", 20)
    frames[8] = np.zeros_like(frames[12])  # a frame the detector misses

    with MeshDetector(video=True) as detector:
        tracked = FaceTracker(detector, max_gap=2).track(enumerate(frames))
        pairs = (((i, t), ffhq_quad(t.landmarks) if t.found else None) for i, t in tracked)
        results = []
        for (i, t), quad in smooth_quads(pairs, sigma_centre=1.0, sigma_axes=3.0):
            assert quad is not None and t.found
            aligned, transform = crop(frames[i], quad, 128)
            mask = face_mask(t.landmarks, frames[i].shape)
            out = paste(frames[i], aligned, transform, mask)
            assert np.array_equal(out[mask == 0], frames[i][mask == 0])
            results.append((i, t.interpolated, quad))
    assert [i for i, _, _ in results] == list(range(20))
    assert [i for i, interpolated, _ in results if interpolated] == [8]
    # the smoothed crop size changes slowly: no frame-to-frame jump over 2% of the side
    sides = np.array([np.hypot(*quad_params(q)[1]) for _, _, q in results])
    assert np.abs(np.diff(sides)).max() < 0.02 * sides.mean()
