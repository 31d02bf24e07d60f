"""The compositing stage: each rendered face pasted back into its frame under a feathered mask."""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.face.composite import paste
from vidinvert.face.mask import face_mask
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import FrameRecord


def composite_frames(frames: Iterable[FaceFrame], config: RenderConfig = RenderConfig()) -> Iterator[FrameRecord]:
    """Every frame with its face pasted back; frames without a face come out untouched."""
    for frame in frames:
        image = frame.record.image
        if frame.face is not None:
            alpha = face_mask(frame.landmarks, image.shape, forehead=config.mask_forehead,
                              dilate=config.mask_dilate, feather=config.mask_feather)
            image = paste(image, frame.face, frame.transform, alpha, seamless=config.seamless)
        if config.side_by_side:
            image = np.hstack([frame.record.image, image])
        yield frame.record.with_image(image)
