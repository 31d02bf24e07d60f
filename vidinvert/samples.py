"""Sample scales of pictures: uint8 (255 = white), uint16 (65535) and float32 (1.0), and the 8-bit view.

A leaf module (numpy and OpenCV only): the video layer decodes deep sources to these types and the
compositing blends at them, while the face models keep working on 8-bit pictures.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Highest level of each sample type: white.
LEVELS = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0, np.dtype(np.float32): 1.0}


def to_8bit(picture: np.ndarray) -> np.ndarray:
    """The picture on the 8-bit scale, each sample rounded to the nearest level."""
    if picture.dtype == np.uint8:
        return picture
    if picture.dtype == np.uint16:
        return cv2.convertScaleAbs(picture, alpha=255.0 / 65535.0)
    return cv2.convertScaleAbs(np.clip(picture, 0.0, 1.0), alpha=255.0)


def from_8bit(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Values on the 8-bit scale (uint8 or float) as float32 on the scale of ``dtype``."""
    scale = LEVELS[np.dtype(dtype)] / 255.0
    values = values.astype(np.float32)
    return values if scale == 1.0 else values * np.float32(scale)


def levels(dtype: np.dtype) -> float:
    """White in samples of ``dtype``."""
    return LEVELS[np.dtype(dtype)]
