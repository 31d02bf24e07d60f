"""Helpers for the face tests: real portraits and clip frames from the shared data, as uint8 RGB."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import av
import cv2
import numpy as np


def read_image(path: Path) -> np.ndarray:
    """An image file as uint8 RGB."""
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def portraits(shared_data: Path, count: int) -> list[np.ndarray]:
    """The first `count` aligned CelebA-HQ portraits (1024 x 1024)."""
    paths = sorted((shared_data / "faces" / "celebahq").glob("*.jpg"))[:count]
    return [read_image(p) for p in paths]


def clip_frames(path: Path, count: int | None = None, step: int = 1) -> list[np.ndarray]:
    """Decoded frames of a clip as uint8 RGB: every `step`-th one, at most `count` of them."""
    with av.open(str(path)) as container:
        frames = (f.to_ndarray(format="rgb24") for f in container.decode(video=0))
        return list(islice(islice(frames, 0, None, step), count))
