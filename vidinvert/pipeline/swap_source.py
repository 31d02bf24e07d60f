"""The source photo of a face swap: its face found before any model loads (a photo without one is
refused at once), aligned the FFHQ way once the encoder's input size is known."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.detect import detect
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.images import read_rgb
from vidinvert.pipeline.face_swap import FaceSwap, make_face_swap
from vidinvert.pipeline.photos import is_photo


@dataclass(frozen=True)
class SourceFace:
    """The source photo (uint8 RGB) and its face's FFHQ quad: found before any model loads, cut at
    the encoder's input size once it is known."""

    image: np.ndarray
    quad: np.ndarray

    def swap(self, size: int, region_scale: float = 1.0, colour: bool = True) -> FaceSwap:
        """The swap of this face aligned at `size` px, as the pipeline aligns a frame's."""
        return make_face_swap(crop(self.image, self.quad, size)[0], region_scale, colour)


def find_source_face(path: str | os.PathLike, landmarks: str = "mediapipe") -> SourceFace:
    """The largest face of the source photo at `path`; a one-line VidinvertError when `path` is not a
    photo, cannot be read or shows no face."""
    if not is_photo(path):
        raise VidinvertError(f"the swap source {path} must be a photo (.png, .jpg, ...), not a video or sequence")
    image = read_rgb(path)
    return SourceFace(image, ffhq_quad(largest_face(image, f"the swap source {Path(path).name}", landmarks)))


def largest_face(image: np.ndarray, name: str, landmarks: str = "mediapipe") -> FaceLandmarks:
    """The largest face in `image`; a VidinvertError naming `name` when there is none."""
    faces = detect(image, landmarks)
    if not faces:
        raise VidinvertError(f"no face found in {name}")
    return faces[0]
