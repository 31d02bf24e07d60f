"""The occluder segmenter: the bundled weights, file errors, deterministic synthesis, and real hands on real faces."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidinvert.errors import VidinvertError
from vidinvert.face.occlusion import BUNDLED_FILE, OcclusionSegmenter
from vidinvert.train.occluders import CUT, KINDS, OccluderAssets, occlude

#: Measured on the bundled weights: these 16 faces with these real hands score an IoU of 0.95.
HAND_IOU = 0.6
#: Clean held-out faces: the fraction of pixels marked is measured at 0.0013 on these 16 faces.
CLEAN_FRACTION = 0.02


def _toy_assets() -> OccluderAssets:
    rng = np.random.default_rng(0)
    hands = rng.integers(0, 256, (3, CUT, CUT, 4), dtype=np.uint8)
    hands[..., 3] = 0
    hands[:, 20:76, 30:66, 3] = 255
    return OccluderAssets(hands, rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8))


def test_synthetic_occluders_are_deterministic_for_a_seed():
    assets = _toy_assets()
    face = np.random.default_rng(1).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    for kind in KINDS:
        a = occlude(face, (kind,), np.random.default_rng(7), assets)
        b = occlude(face, (kind,), np.random.default_rng(7), assets)
        c = occlude(face, (kind,), np.random.default_rng(8), assets)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), kind
        assert a[1].any(), f"{kind}: no occluder pixels"
        assert not np.array_equal(a[0], c[0]), kind


def test_bundled_model_loads_and_gives_probabilities_at_the_crop_size():
    segmenter = OcclusionSegmenter.bundled()
    assert BUNDLED_FILE.stat().st_size < 2 * 2**20
    crops = np.random.default_rng(0).integers(0, 256, (3, 100, 100, 3), dtype=np.uint8)
    prob = segmenter(crops)
    assert prob.shape == (3, 100, 100) and prob.dtype == np.float32
    assert prob.min() >= 0 and prob.max() <= 1
    assert np.array_equal(prob, segmenter(crops))
    assert segmenter(crops[:0]).shape == (0, 100, 100)
    with pytest.raises(VidinvertError):
        segmenter(crops.astype(np.float32))


def test_missing_or_corrupt_weights_are_user_errors(tmp_path):
    with pytest.raises(VidinvertError, match="not found"):
        OcclusionSegmenter.load(tmp_path / "none.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(BUNDLED_FILE.read_bytes()[:1000])
    with pytest.raises(VidinvertError):
        OcclusionSegmenter.load(corrupt)
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(VidinvertError, match="not a"):
        OcclusionSegmenter.load(other)
    mismatched = tmp_path / "mismatched.pt"
    data = torch.load(BUNDLED_FILE, weights_only=True)
    data["meta"]["channels"] = [4, 8]
    torch.save(data, mismatched)
    with pytest.raises(VidinvertError, match="does not fit"):
        OcclusionSegmenter.load(mismatched)


@pytest.fixture(scope="module")
def held_out_faces(shared_data, tmp_path_factory):
    from vidinvert.train.data import aligned_faces

    return aligned_faces(shared_data / "celeba" / "test", 128, cache_dir=tmp_path_factory.mktemp("faces"),
                         progress=False, limit=16)


def test_a_real_hand_on_a_held_out_face_is_found(shared_data, held_out_faces):
    from vidinvert.train.occluders import cut_hand, detect_hands
    from vidinvert.video import open_video

    with open_video(shared_data / "hands" / "phone_s20.mp4", frames="270:290") as video:
        frames = [np.ascontiguousarray(r.image) for i, r in enumerate(video) if i % 4 == 0]
    cuts = [cut_hand(f, p) for f, hands in zip(frames, detect_hands(frames)) for p in hands]
    cuts = [c for c in cuts if c is not None]
    assert len(cuts) >= 2, "mediapipe found too few hands in the clip's held-out end"
    assets = OccluderAssets(np.stack(cuts), np.zeros((1, 64, 64, 3), np.uint8))
    segmenter = OcclusionSegmenter.bundled()
    inter = union = 0
    for i, face in enumerate(held_out_faces):
        image, mask = occlude(face, ("hand",), np.random.default_rng(i), assets, degrade=False)
        found = segmenter(image[None])[0] > 0.5
        inter += (found & mask).sum()
        union += (found | mask).sum()
    assert inter / union > HAND_IOU


def test_clean_held_out_faces_get_almost_no_occluder_pixels(held_out_faces):
    marked = OcclusionSegmenter.bundled()(held_out_faces) > 0.5
    assert marked.mean() < CLEAN_FRACTION
