"""The compositing stage: each frame's edit carried into the frame under a feathered face mask:
the rendered face pasted (`generated`, and every reconstruction), or the change field applied to
the real pixels (`warp`, `delta`).

What must stay as it is holds the edit back: occluders in front of the faces (hands, and with
`auto` held objects; vidinvert.face.occluders) and the compositor's holdout matte. Under either the
mask is scaled down (to 0 under white), and the motion of `warp` too, so an occluder is neither
moved nor dragged into the face around it.

With several faces in a frame, every face's edit is computed from the decoded frame, never from
another face's result, and blended in from the farthest (smallest) face to the nearest: where two
masks overlap the nearer face is in front and no pixel is changed twice.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Iterator, Sequence

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.face.composite import at_depth, paste_with_alpha
from vidinvert.face.mask import face_mask
from vidinvert.face.occluders import Occluders
from vidinvert.face.transfer import change_with_alpha
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import FrameRecord
from vidinvert.video.holdout import HoldoutMatte
from vidinvert.video.records import beside
from vidinvert.video.shots import CutDetector

Faces = Sequence[tuple[FaceFrame, RenderConfig]]


class Compositor:
    """Fed every processed frame in order with its faces; closes the occluder finder it holds.

    occluders: 'hands', 'auto' or 'none'; holdout: the run's holdout matte or None; matte: give each
    output record the alpha its edit was blended with (`FrameRecord.matte`)."""

    def __init__(self, occluders: str = "none", holdout: HoldoutMatte | None = None, matte: bool = False) -> None:
        self.occluders = Occluders(occluders) if occluders != "none" else None
        self._cuts = CutDetector()
        self.holdout = holdout
        self.matte = matte

    def __call__(self, record: FrameRecord, faces: Faces, side_by_side: bool = False) -> FrameRecord:
        """One frame with the edits of its faces (each with its own render settings) in place."""
        image = record.picture
        drawn = [(frame, config) for frame, config in faces if _draws(frame)]
        held = self._held(record, drawn)
        used = None
        if len(drawn) == 1:
            frame, config = drawn[0]
            image, used = _edited(frame, image, _mask(frame, image, config, held), config, held)
        elif drawn:
            image, used = _layered(image, drawn, held)
        out = beside(record, image) if side_by_side else record.with_picture(image)
        if not self.matte:
            return out
        if used is not None and side_by_side:
            used = np.hstack([np.zeros_like(used), used])
        return dataclasses.replace(out, matte=used if used is not None and used.any() else None)

    def _held(self, record: FrameRecord, drawn: Faces) -> np.ndarray | None:
        """The frame's hold-back (H, W) in [0, 1]: 1 where nothing may change; None: nothing held."""
        mattes = []
        if self.occluders is not None:
            if self._cuts(record.image):
                self.occluders.reset()
            faces = [(frame.landmarks, frame.crop, frame.transform) for frame, _ in drawn]
            occluded = self.occluders(record.image, faces)
            if occluded is not None:
                mattes.append(occluded)
        if self.holdout is not None and drawn:
            holdout = self.holdout.at(record.index)
            if holdout is not None:
                mattes.append(holdout)
        if not mattes:
            return None
        return mattes[0] if len(mattes) == 1 else 1.0 - (1.0 - mattes[0]) * (1.0 - mattes[1])

    def alone(self, record: FrameRecord, faces: Faces) -> FrameRecord:
        """One frame composited on its own, nothing carried over from the frame composited before."""
        if self.occluders is not None:
            self.occluders.forget()
        return self(record, faces)

    def close(self) -> None:
        if self.occluders is not None:
            self.occluders.close()


def composite_frames(frames: Iterable[FaceFrame], config: RenderConfig = RenderConfig(),
                     compositor: Compositor | None = None) -> Iterator[FrameRecord]:
    """Every frame with its edit in place, at the source's depth; frames without a face come out
    untouched."""
    compositor = compositor or Compositor()
    for frame in frames:
        yield compositor(frame.record, [(frame, config)], config.side_by_side)


def composited(record: FrameRecord, faces: Faces, side_by_side: bool = False) -> FrameRecord:
    """One frame with the edits of its faces in place, nothing held back."""
    return Compositor()(record, faces, side_by_side)


def _draws(frame: FaceFrame) -> bool:
    if frame.before is not None:  # warp or delta: the renderer drew the face before the edit too
        return frame.change is not None and bool(frame.change.any())
    return frame.face is not None


def _edited(frame: FaceFrame, image: np.ndarray, mask: np.ndarray, config: RenderConfig,
            held: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The frame with this face's edit blended in under `mask`, and the alpha it was blended with."""
    if frame.before is not None:
        return change_with_alpha(image, at_depth(frame.change, image.dtype), frame.transform, mask, held)
    return paste_with_alpha(image, frame.face, frame.transform, mask, seamless=config.seamless)


def _layered(image: np.ndarray, faces: Faces, held: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Several faces' edits: each face's mask minus those of the nearer faces, each edit from `image`."""
    faces = sorted(faces, key=lambda item: item[0].landmarks.size)  # far (small) first
    masks = [_mask(frame, image, config, held) for frame, config in faces]
    wide = np.float64 if image.dtype == np.float32 else np.int64
    total = image.astype(wide)
    used = np.zeros(image.shape[:2], np.float32)
    for i, (frame, config) in enumerate(faces):
        mask = masks[i]
        for nearer in masks[i + 1:]:
            mask = mask * (1.0 - nearer)
        edited, alpha = _edited(frame, image, mask.astype(np.float32), config, held)
        total += edited.astype(wide) - image
        used += alpha
    if image.dtype != np.float32:  # each face rounded on its own: the sum may pass an end by a level
        total = np.clip(total, 0, np.iinfo(image.dtype).max)
    return total.astype(image.dtype), used


def _mask(frame: FaceFrame, image: np.ndarray, config: RenderConfig, held: np.ndarray | None) -> np.ndarray:
    mask = face_mask(frame.landmarks, image.shape, forehead=config.mask_forehead, dilate=config.mask_dilate,
                     feather=config.mask_feather)
    return mask if held is None else mask * (1.0 - held)
