"""The compositing stage: each frame's edit carried into the frame under a feathered face mask:
the rendered face pasted (`generated`, and every reconstruction), or the change field applied to
the real pixels (`warp`, `delta`).

With several faces in a frame, every face's edit is computed from the decoded frame, never from
another face's result, and blended in from the farthest (smallest) face to the nearest: where two
masks overlap the nearer face is in front and no pixel is changed twice.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

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
        yield composited(frame.record, [(frame, config)], config.side_by_side)


def composited(record: FrameRecord, faces: Sequence[tuple[FaceFrame, RenderConfig]],
               side_by_side: bool = False) -> FrameRecord:
    """One frame with the edits of its faces (each with its own render settings) in place."""
    image = record.picture
    drawn = [(frame, config) for frame, config in faces if _draws(frame)]
    if len(drawn) == 1:
        frame, config = drawn[0]
        image = _edited(frame, image, _mask(frame, image, config), config)
    elif drawn:
        image = _layered(image, drawn)
    return beside(record, image) if side_by_side else record.with_picture(image)


def _draws(frame: FaceFrame) -> bool:
    if frame.before is not None:  # warp or delta: the renderer drew the face before the edit too
        return frame.change is not None and bool(frame.change.any())
    return frame.face is not None


def _edited(frame: FaceFrame, image: np.ndarray, mask: np.ndarray, config: RenderConfig) -> np.ndarray:
    """The frame with this face's edit blended in under `mask`."""
    if frame.before is not None:
        return apply_change(image, at_depth(frame.change, image.dtype), frame.transform, mask)
    return paste(image, frame.face, frame.transform, mask, seamless=config.seamless)


def _layered(image: np.ndarray, faces: list[tuple[FaceFrame, RenderConfig]]) -> np.ndarray:
    """Several faces' edits: each face's mask minus those of the nearer faces, each edit from `image`."""
    faces = sorted(faces, key=lambda item: item[0].landmarks.size)  # far (small) first
    masks = [_mask(frame, image, config) for frame, config in faces]
    wide = np.float64 if image.dtype == np.float32 else np.int64
    total = image.astype(wide)
    for i, (frame, config) in enumerate(faces):
        mask = masks[i]
        for nearer in masks[i + 1:]:
            mask = mask * (1.0 - nearer)
        total += _edited(frame, image, mask.astype(np.float32), config).astype(wide) - image
    if image.dtype != np.float32:  # each face rounded on its own: the sum may pass an end by a level
        total = np.clip(total, 0, np.iinfo(image.dtype).max)
    return total.astype(image.dtype)


def _mask(frame: FaceFrame, image: np.ndarray, config: RenderConfig) -> np.ndarray:
    return face_mask(frame.landmarks, image.shape, forehead=config.mask_forehead, dilate=config.mask_dilate,
                     feather=config.mask_feather)
