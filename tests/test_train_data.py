"""Training data: real photos aligned with the project's aligner, cached by size and file list."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from _fixtures_train import FACE_SIZE, celeba_small, one_thread, small_faces  # noqa: F401  (fixtures)
from vidinvert.errors import VidinvertError
from vidinvert.face.detect import detect
from vidinvert.train.augment import diff_augment, parse_policy
from vidinvert.train.data import FaceBatches, aligned_faces, list_images
from vidinvert.train.jitter import jitter


def test_aligned_faces_are_found_again_and_cached(celeba_small, tmp_path):
    faces = aligned_faces(celeba_small, 64, cache_dir=tmp_path, progress=False)
    assert faces.shape == (6, 64, 64, 3) and faces.dtype == np.uint8
    cached = sorted(p.name for p in tmp_path.iterdir())
    assert len(cached) == 2 and cached[0].startswith("faces-64px-") and cached[1].startswith("quads-")
    # the crops are faces: mediapipe finds one in each, centred like FFHQ (eyes above the middle)
    for crop in faces:
        found = detect(crop)
        assert found, "no face in an aligned crop"
        assert found[0].anchors[:2, 1].mean() < 32
    assert np.array_equal(aligned_faces(celeba_small, 64, cache_dir=tmp_path, progress=False), faces)
    # another size re-crops from the cached quads; another file list gets another key
    assert aligned_faces(celeba_small, 32, cache_dir=tmp_path, progress=False).shape == (6, 32, 32, 3)
    other = tmp_path / "other"
    shutil.copytree(celeba_small, other)
    next(other.rglob("*.jpg")).unlink()
    assert len(aligned_faces(other, 32, cache_dir=tmp_path, progress=False)) == 5
    assert len(list(tmp_path.glob("faces-32px-*.npy"))) == 2


def test_missing_or_empty_folder_is_a_user_error(tmp_path):
    with pytest.raises(VidinvertError, match="not found"):
        list_images(tmp_path / "nope")
    with pytest.raises(VidinvertError, match="no images"):
        list_images(tmp_path)


def test_batches_are_reproducible_and_flipped(small_faces):
    a, b = FaceBatches(small_faces, seed=3), FaceBatches(small_faces, seed=3)
    first = a.sample(8)
    assert first.shape == (8, 3, FACE_SIZE, FACE_SIZE) and -1 <= first.min() and first.max() <= 1
    state = a.state()
    assert torch.equal(first, b.sample(8))
    again = a.sample(8)
    a.load_state(state)
    assert torch.equal(a.sample(8), again)
    originals = torch.from_numpy(small_faces).permute(0, 3, 1, 2).float() / 127.5 - 1
    flipped = sum(any(torch.equal(img, o.flip(-1)) and not torch.equal(img, o) for o in originals)
                  for img in FaceBatches(small_faces, seed=0).sample(32))
    assert 0 < flipped < 32


def test_augmentations_keep_shape_and_gradient(small_faces):
    x = (torch.from_numpy(small_faces).permute(0, 3, 1, 2).float() / 127.5 - 1).requires_grad_(True)
    out = diff_augment(x, parse_policy("color,translation,cutout"))
    assert out.shape == x.shape and not torch.equal(out, x)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # cutout blanks a half-side square centred anywhere: a quarter of the image, down to a
    # sixteenth when the square is clipped at a corner
    torch.manual_seed(0)
    zeros = (diff_augment(x.detach(), ("cutout",)) == 0).all(1).float().mean(dim=(1, 2))
    assert ((zeros > 1 / 16 - 0.02) & (zeros < 1 / 4 + 0.02)).all(), zeros
    with pytest.raises(ValueError, match="unknown augmentation"):
        parse_policy("color,zoom")


def test_jitter_moves_a_little(small_faces):
    x = torch.from_numpy(small_faces).permute(0, 3, 1, 2).float() / 127.5 - 1
    moved = jitter(x)
    diff = (moved - x).abs().mean().item()
    assert moved.shape == x.shape and 0.005 < diff < 0.3
