"""Small real training sets for trainer tests: a few CelebA photos, aligned once per session."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch

from vidinvert.train.common import CHECKPOINT_NAME
from vidinvert.train.data import aligned_faces

#: Identities and photos per identity copied from celeba/train for the tests.
IDENTITIES = ("celeb_0", "celeb_1")
PHOTOS_PER_IDENTITY = 3
FACE_SIZE = 32


@pytest.fixture(scope="session")
def celeba_small(shared_data: Path, tmp_path_factory) -> Path:
    """A folder of 6 raw CelebA photos in two identity sub-folders."""
    root = tmp_path_factory.mktemp("celeba_small")
    for identity in IDENTITIES:
        photos = sorted((shared_data / "celeba" / "train" / identity).glob("*.jpg"))[:PHOTOS_PER_IDENTITY]
        (root / identity).mkdir()
        for photo in photos:
            shutil.copy(photo, root / identity / photo.name)
    return root


@pytest.fixture(scope="session")
def small_faces(celeba_small: Path, tmp_path_factory) -> np.ndarray:
    """Those photos aligned FFHQ-style at 32 px, (N, 32, 32, 3) uint8."""
    return aligned_faces(celeba_small, FACE_SIZE, cache_dir=tmp_path_factory.mktemp("face_cache"), progress=False)


@pytest.fixture(autouse=True)
def one_thread():
    """Training steps on tiny models run faster on one thread than on a shared, busy machine's two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def straight_and_resumed(make: Callable[[Path], Any], folder: Path, steps: int = 4) -> tuple[Any, Any]:
    """Two trainers after `steps` training steps: one run straight, one saved half way and
    continued by a fresh trainer from its checkpoint (`make(run_folder)` builds a trainer)."""
    straight = make(folder / "a")
    for _ in range(steps):
        straight.train_step()
    first = make(folder / "b")
    for _ in range(steps // 2):
        first.train_step()
    first.save()
    resumed = make(folder / "b")
    resumed.load(folder / "b" / CHECKPOINT_NAME)
    assert resumed.step == steps // 2
    for _ in range(steps - steps // 2):
        resumed.train_step()
    return straight, resumed
