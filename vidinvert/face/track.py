"""Follow one face through a stream of frames, bridging short detection gaps.

The face is chosen on the first frame where faces are found (the largest by default, see
FaceSelector) and then followed by bounding-box overlap (IoU), falling back to the nearest centre.
A gap of at most max_gap frames before the face is found again is filled by linear interpolation
of the landmarks; a longer gap leaves those frames without a face (they pass through untouched),
and the face is then chosen afresh. Frames are held back at most max_gap frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar, Union

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face.detect import LandmarkDetector
from vidinvert.face.landmarks import FaceLandmarks, interpolate

P = TypeVar("P")

POSITIONS = ("left", "right", "top", "bottom", "center")
# A size rank (0 = largest), a position word, or a point (x, y) in frame pixels (nearest face).
FaceSelector = Union[int, str, tuple[float, float]]


@dataclass(frozen=True)
class TrackedFace:
    """The tracked face in one frame: landmarks (None when no face), and whether they were interpolated."""

    landmarks: FaceLandmarks | None
    interpolated: bool = False

    @property
    def found(self) -> bool:
        """True when the frame has the tracked face (detected or interpolated)."""
        return self.landmarks is not None


def parse_face(text: str) -> FaceSelector:
    """Read a face selector from text: "0", "1"... (size rank), a position word, or "X,Y" pixels."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    if text in POSITIONS:
        return text
    parts = text.split(",")
    if len(parts) == 2:
        try:
            return float(parts[0]), float(parts[1])
        except ValueError:
            pass
    raise VidinvertError(
        f"bad face selector {text!r}: use a size rank (0 = largest), one of {', '.join(POSITIONS)}, or X,Y pixels"
    )


def select_face(faces: list[FaceLandmarks], face: FaceSelector, frame_shape: tuple[int, ...]) -> FaceLandmarks | None:
    """The face a selector names among one frame's faces (None when it names none of them)."""
    if not faces:
        return None
    if isinstance(face, int):
        ranked = sorted(faces, key=lambda f: f.area, reverse=True)
        return ranked[face] if 0 <= face < len(ranked) else None
    centres = np.array([f.centre for f in faces])
    if isinstance(face, str):
        if face == "center":
            target = np.array([frame_shape[1], frame_shape[0]], dtype=np.float64) / 2
            return faces[int(np.argmin(np.hypot(*(centres - target).T)))]
        axis, pick = {"left": (0, np.argmin), "right": (0, np.argmax),
                      "top": (1, np.argmin), "bottom": (1, np.argmax)}[face]
        return faces[int(pick(centres[:, axis]))]
    target = np.asarray(face, dtype=np.float64)
    return faces[int(np.argmin(np.hypot(*(centres - target).T)))]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def match_face(faces: list[FaceLandmarks], last: FaceLandmarks, *, min_iou: float = 0.2) -> FaceLandmarks | None:
    """The face continuing `last`: best IoU, else the nearest centre within half a face size."""
    if not faces:
        return None
    overlaps = [iou(f.bbox, last.bbox) for f in faces]
    best = int(np.argmax(overlaps))
    if overlaps[best] >= min_iou:
        return faces[best]
    distances = [float(np.hypot(*(f.centre - last.centre))) for f in faces]
    best = int(np.argmin(distances))
    return faces[best] if distances[best] <= 0.5 * last.size else None


class FaceTracker:
    """Detects faces frame by frame and follows one of them.

    detector: any LandmarkDetector (use video mode for a stream).
    face: which face to follow when (re)starting a track (see FaceSelector).
    max_gap: longest run of frames without the face that is bridged by interpolation.
    """

    def __init__(self, detector: LandmarkDetector, *, face: FaceSelector = 0, max_gap: int = 5,
                 min_iou: float = 0.2) -> None:
        if max_gap < 0:
            raise VidinvertError(f"max_gap must be >= 0 frames, got {max_gap}")
        self.detector = detector
        self.face = face
        self.max_gap = max_gap
        self.min_iou = min_iou

    def track(self, frames: Iterable[tuple[P, np.ndarray]]) -> Iterator[tuple[P, TrackedFace]]:
        """Yield (payload, TrackedFace) for every (payload, uint8 RGB frame), in order."""
        last: FaceLandmarks | None = None
        gap: list[P] = []  # payloads of frames missing the face since `last`
        for payload, image in frames:
            faces = self.detector.detect(image)
            if last is None:
                found = select_face(faces, self.face, image.shape)
            else:
                found = match_face(faces, last, min_iou=self.min_iou)
            if found is None:
                if last is None:
                    yield payload, TrackedFace(None)
                    continue
                gap.append(payload)
                if len(gap) > self.max_gap:
                    for held in gap:
                        yield held, TrackedFace(None)
                    gap, last = [], None
                continue
            for i, held in enumerate(gap, start=1):
                yield held, TrackedFace(interpolate(last, found, i / (len(gap) + 1)), interpolated=True)
            gap, last = [], found
            yield payload, TrackedFace(found)
        for held in gap:
            yield held, TrackedFace(None)
