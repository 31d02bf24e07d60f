"""Real faces as direction material: aligned photos, their face-mesh scores and their inversions.

Directions fitted on random generator samples can act differently on the latents that real faces
invert to, which lie off the sampled distribution. Here the material is real: every photo of a
folder is aligned the FFHQ way (`train.data.aligned_faces`), scored by the face mesh on the photo
itself (at `score_size` px) and inverted by the encoder at the generator's size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.face.expression import ATTRIBUTES, landmark_scores
from vidinvert.face.detect import MeshDetector
from vidinvert.invert import InversionResult, Inverter
from vidinvert.models import Generator, InversionEncoder
from vidinvert.train.data import aligned_faces, to_tensor

#: Size of the aligned real crops given to the face mesh (CelebA faces are about 158 px across).
SCORE_SIZE = 128


@dataclass
class RealFaces:
    """Aligned real faces: crops at the generator's size (N, 3, S, S) in [-1, 1], every attribute's
    face-mesh score of the real photo (N,) with NaN where the mesh found no face, and their inversions."""

    images: torch.Tensor
    scores: dict[str, np.ndarray]
    inversion: InversionResult


def mesh_landmarks(images: np.ndarray, min_confidence: float = 0.5) -> list[np.ndarray | None]:
    """The face mesh points (468, 2) of the largest face of each uint8 RGB image, None where none is found."""
    with MeshDetector(video=False, max_faces=1, min_confidence=min_confidence) as detector:
        found = [detector.detect(image) for image in images]
    return [faces[0].points if faces else None for faces in found]


def attribute_scores(landmarks: list[np.ndarray | None]) -> dict[str, np.ndarray]:
    """Every scorer attribute of every face, (N,) each, NaN where no face was found."""
    rows = [landmark_scores(p) if p is not None else {} for p in landmarks]
    return {a: np.array([r.get(a, np.nan) for r in rows], dtype=np.float64) for a in ATTRIBUTES}


@torch.no_grad()
def invert_faces(G: Generator, E: InversionEncoder, images: torch.Tensor, steps: int = 5,
                 batch: int = 32) -> InversionResult:
    """Cold inversions (`steps` refinement steps from the average latent) of images (N, 3, S, S), on the CPU."""
    inverter = Inverter(G, E)
    device = G.latent_avg.device
    parts = [inverter.invert(chunk.to(device), steps=steps) for chunk in images.split(batch)]
    feature = None if parts[0].feature is None else torch.cat([p.feature.cpu() for p in parts])
    return InversionResult(torch.cat([p.wplus.cpu() for p in parts]), feature, torch.cat([p.image.cpu() for p in parts]))


def load_real_faces(G: Generator, E: InversionEncoder, root: str | os.PathLike, steps: int = 5,
                    cache_dir: str | os.PathLike | None = None, limit: int | None = None,
                    score_size: int = SCORE_SIZE, progress: bool = False) -> RealFaces:
    """Align, score and invert the photos of `root` (see the module doc)."""
    crops = aligned_faces(root, G.size, cache_dir, progress=progress, limit=limit)
    for_scoring = aligned_faces(root, score_size, cache_dir, progress=progress, limit=limit)
    images = to_tensor(crops)
    return RealFaces(images, attribute_scores(mesh_landmarks(for_scoring)), invert_faces(G, E, images, steps))
