"""The compositing stage: each frame's edit carried into the frame under a feathered face mask:
the rendered face pasted (`generated`, and every reconstruction), or the change field applied to
the real pixels (`warp`, `delta`)."""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.face.composite import at_depth, paste
from vidinvert.face.mask import face_mask
from vidinvert.face.transfer import apply_change
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import FrameRecord
from vidinvert.video.records import beside


def composite_frames(frames: Iterable[FaceFrame], config: RenderConfig = RenderConfig()) -> Iterator[FrameRecord]:
    """Every frame with its edit in place, at the source's depth; frames without a face come out
    untouched."""
    for frame in frames:
        image = frame.record.picture
        if frame.before is not None:  # warp or delta: the renderer drew the face before the edit too
            if frame.change is not None and frame.change.any():
                change = at_depth(frame.change, image.dtype)
                image = apply_change(image, change, frame.transform, _mask(frame, image, config))
        elif frame.face is not None:
            image = paste(image, frame.face, frame.transform, _mask(frame, image, config), seamless=config.seamless)
        if config.side_by_side:
            yield beside(frame.record, image)
        else:
            yield frame.record.with_picture(image)


def _mask(frame: FaceFrame, image: np.ndarray, config: RenderConfig) -> np.ndarray:
    return face_mask(frame.landmarks, image.shape, forehead=config.mask_forehead, dilate=config.mask_dilate,
                     feather=config.mask_feather)
