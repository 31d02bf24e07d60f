"""What lies in front of a face and must stay as it is: hands (mediapipe's hand landmarker) and,
with `auto`, held objects, glasses frames and hair found by the bundled occluder segmenter on the
aligned crop (vidinvert.face.occlusion).

The result is an occluder matte per frame: 1 where the edit must not change a pixel, falling to 0
over a feathered edge outside the occluder. A hand's matte is the hull of its landmarks grown by
about a finger's width: exactly 1 there, so its pixels come out as they went in. Each frame keeps at
least FADE of the previous frame's matte, so a hand the landmarker misses for a frame fades out over
a few frames instead of popping; `reset` (at a shot cut) forgets everything.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vidinvert.face.align import CropTransform
from vidinvert.face.hands import HandFinder, palm_length
from vidinvert.face.landmarks import FaceLandmarks

#: A hand's region: its landmarks' hull grown by GROW palm lengths (about a finger's width), then
#: feathered to 0 over FEATHER palm lengths further out.
GROW = 0.22
FEATHER = 0.15
#: Only hands whose region comes within NEAR face sizes of a face's landmarks are kept out.
NEAR = 0.25
FADE = 0.5
NEGLIGIBLE = 1 / 512
#: The segmenter's probability is mapped to the matte by a ramp from LOW to HIGH (1 at and above HIGH).
LOW, HIGH = 0.3, 0.5


def region_matte(points: np.ndarray, shape: tuple[int, ...], grow: float, feather: float) -> np.ndarray:
    """Float32 (H, W): 1 inside the hull of `points` (N, 2) grown by `grow` pixels, falling linearly
    to 0 over `feather` pixels further out; 0 elsewhere."""
    h, w = shape[:2]
    matte = np.zeros((h, w), np.float32)
    reach = grow + feather + 2
    x0, y0 = np.maximum(np.floor(points.min(axis=0) - reach).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0) + reach).astype(int) + 1, (w, h))
    if x1 <= x0 or y1 <= y0:
        return matte
    outside = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    hull = cv2.convexHull(np.rint(points - (x0, y0)).astype(np.int32))
    cv2.fillConvexPoly(outside, hull, 0)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    matte[y0:y1, x0:x1] = np.clip(1.0 - (distance - grow) / max(feather, 1e-6), 0.0, 1.0)
    return matte


def hand_matte(hand: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    palm = max(palm_length(hand), 1.0)
    return region_matte(hand, shape, GROW * palm, FEATHER * palm)


def _near(hand: np.ndarray, faces: Sequence[FaceLandmarks]) -> bool:
    reach = (GROW + FEATHER) * palm_length(hand)
    lo, hi = hand.min(axis=0) - reach, hand.max(axis=0) + reach
    for face in faces:
        margin = NEAR * face.size
        f_lo, f_hi = face.points.min(axis=0) - margin, face.points.max(axis=0) + margin
        if np.all(lo <= f_hi) and np.all(f_lo <= hi):
            return True
    return False


def crop_matte(probability: np.ndarray, transform: CropTransform, shape: tuple[int, ...]) -> np.ndarray:
    """A segmenter's occluder probability on an aligned crop (S, S) as a matte on the frame's grid."""
    size = probability.shape[0]
    soft = np.clip((probability - LOW) / (HIGH - LOW), 0.0, 1.0).astype(np.float32)
    scale = transform.size / size
    to_crop_grid = np.array([[scale, 0, (scale - 1) / 2], [0, scale, (scale - 1) / 2], [0, 0, 1]])
    warp = (transform.inverse @ to_crop_grid)[:2]
    return cv2.warpAffine(soft, warp, (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


class Occluders:
    """Fed every frame of a run in order: the occluder matte of each frame with faces to edit."""

    def __init__(self, kinds: str) -> None:
        self.kinds = kinds
        self._hands = HandFinder() if kinds in ("hands", "auto") else None
        self._segmenter = None
        if kinds == "auto":
            from vidinvert.face.occlusion import OcclusionSegmenter

            self._segmenter = OcclusionSegmenter.bundled()
        self._previous: np.ndarray | None = None

    def forget(self) -> None:
        """Forget the matte fading from the previous frame (before a frame shown on its own)."""
        self._previous = None

    def reset(self) -> None:
        """Forget the hands followed and the matte fading so far (at a shot cut)."""
        self.forget()
        if self._hands is not None:
            self._hands.reset()

    def __call__(self, image: np.ndarray, faces: Sequence[tuple[FaceLandmarks, np.ndarray | None,
                                                             CropTransform | None]]) -> np.ndarray | None:
        """The matte (H, W) of the frame `image` (uint8 RGB) for its faces (landmarks, aligned crop,
        crop transform), or None where nothing covers them."""
        if not faces or self.kinds == "none":
            self._previous = None
            return None
        matte = self._found(image, faces)
        if self._previous is not None:
            faded = self._previous * FADE
            faded[faded < NEGLIGIBLE] = 0
            matte = faded if matte is None else np.maximum(matte, faded)
        if matte is not None and not matte.any():
            matte = None
        self._previous = matte
        return matte

    def _found(self, image, faces) -> np.ndarray | None:
        mattes = []
        landmarks = [face for face, _, _ in faces]
        for hand in self._hands.find(image) if self._hands is not None else ():
            if _near(hand, landmarks):
                mattes.append(hand_matte(hand, image.shape))
        if self._segmenter is not None:
            posed = [(crop, transform) for _, crop, transform in faces if crop is not None]
            if posed:
                probabilities = self._segmenter(np.stack([crop for crop, _ in posed]))
                for probability, (_, transform) in zip(probabilities, posed):
                    mattes.append(crop_matte(probability, transform, image.shape))
        return np.maximum.reduce(mattes) if mattes else None

    def close(self) -> None:
        if self._hands is not None:
            self._hands.close()
