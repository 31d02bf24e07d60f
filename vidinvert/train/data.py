"""Training faces: raw photos aligned the FFHQ way with the project's own aligner, cached as uint8 arrays.

A data folder holds images directly or in sub-folders (one per identity, as CelebA's
`celeba/train/celeb_N/*.jpg`). `aligned_faces(root, size)` detects every face once (mediapipe face
mesh), cuts the FFHQ quad at `size` px and stores the result in `cache_dir` as
`faces-<size>px-<hash>.npy` (N, size, size, 3) uint8, the hash covering the file list, so a changed
folder never reuses a stale cache. The detected quads are cached too (`quads-<hash>.npy`), so
other sizes only re-crop. Photos with no face found are left out (logged).

`FaceBatches` draws training batches from such an array with a torch random generator whose state
is part of a training checkpoint, so a resumed run sees the very batches a straight run would.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vidinvert.files import atomic_path
from vidinvert.errors import VidinvertError
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.detect import MeshDetector
from vidinvert.images import read_rgb

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
#: Marks a photo with no face in the cached quad array.
NO_FACE = np.nan


def list_images(root: str | os.PathLike) -> list[Path]:
    """Image files directly in `root` or one folder down, sorted by relative path."""
    root = Path(root)
    if not root.is_dir():
        raise VidinvertError(f"data folder not found: {root}")
    files = [p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
             and len(p.relative_to(root).parts) <= 2]
    if not files:
        raise VidinvertError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root} or its sub-folders")
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def file_list_hash(root: Path, files: list[Path]) -> str:
    """Short hash of the relative paths and sizes: the cache key of a data folder."""
    digest = hashlib.sha1()
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:12]


def detect_quads(files: list[Path], progress: bool = True) -> np.ndarray:
    """The FFHQ quad (4, 2) of the largest face in every photo; NaN rows where none is found."""
    quads = np.full((len(files), 4, 2), NO_FACE, dtype=np.float64)
    with MeshDetector(video=False, max_faces=1) as detector:
        for i, path in enumerate(tqdm(files, desc="detecting faces", unit="img", disable=not progress)):
            faces = detector.detect(read_rgb(path))
            if faces:
                quads[i] = ffhq_quad(faces[0])
    return quads


def aligned_faces(root: str | os.PathLike, size: int, cache_dir: str | os.PathLike | None = None,
                  progress: bool = True, limit: int | None = None) -> np.ndarray:
    """FFHQ-aligned crops (N, size, size, 3) uint8 of the faces in `root` (see the module doc).

    `limit` keeps the first `limit` photos of the sorted list (small runs and tests).
    Without `cache_dir` nothing is written.
    """
    root = Path(root)
    files = list_images(root)[:limit]
    key = file_list_hash(root, files)
    cache = Path(cache_dir) if cache_dir is not None else None
    faces_file = cache / f"faces-{size}px-{key}.npy" if cache else None
    if faces_file is not None and faces_file.exists():
        return np.load(faces_file)
    quads_file = cache / f"quads-{key}.npy" if cache else None
    if quads_file is not None and quads_file.exists():
        quads = np.load(quads_file)
    else:
        quads = detect_quads(files, progress)
        if quads_file is not None:
            _save_npy(quads_file, quads)
    found = ~np.isnan(quads).any(axis=(1, 2))
    if not found.any():
        raise VidinvertError(f"no face found in any of the {len(files)} photos in {root}")
    if not found.all():
        log.warning("no face found in %d of %d photos in %s; they are left out", (~found).sum(), len(files), root)
    crops = np.stack([crop(read_rgb(files[i]), quads[i], size)[0] for i in
                      tqdm(np.flatnonzero(found), desc=f"aligning at {size}px", unit="img", disable=not progress)])
    if faces_file is not None:
        _save_npy(faces_file, crops)
    return crops


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


class FaceBatches:
    """Random batches (with replacement) from aligned faces, horizontally flipped with probability 1/2.

    Every draw uses `generator`, whose state (`state()` / `load_state()`) makes runs resumable.
    """

    def __init__(self, faces: np.ndarray, flip: bool = True, seed: int = 0) -> None:
        if faces.ndim != 4 or faces.shape[-1] != 3 or faces.dtype != np.uint8:
            raise ValueError(f"faces must be uint8 (N, H, W, 3), got {faces.dtype} {faces.shape}")
        self.faces = torch.from_numpy(np.ascontiguousarray(faces))
        self.flip = flip
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.faces)

    @property
    def size(self) -> int:
        return int(self.faces.shape[1])

    def sample(self, batch: int) -> torch.Tensor:
        """(batch, 3, S, S) float in [-1, 1] on the CPU."""
        index = torch.randint(len(self.faces), (batch,), generator=self.generator)
        images = self.faces[index].permute(0, 3, 1, 2).float() / 127.5 - 1.0
        if self.flip:
            mirrored = torch.rand(batch, generator=self.generator) < 0.5
            images[mirrored] = images[mirrored].flip(-1)
        return images

    def state(self) -> torch.Tensor:
        return self.generator.get_state()

    def load_state(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)
