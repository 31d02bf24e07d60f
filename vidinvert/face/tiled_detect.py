"""Faces that are small in a wide frame: the detector run on the whole frame and on square tiles.

mediapipe's face detector sees the frame squeezed to 128x128, so in a wide shot with several
people a face of 70 px in a 700 px wide frame is about 13 px there and is missed. Square tiles
the height of the frame, half a tile apart, show every face under half the frame's height whole
in at least one tile, at the detector's usual scale; the whole frame still finds the large faces,
and a face it finds is taken from it (a tile's reading of the same face is dropped). A tile's face
that touches the tile's inner edge is cut off there and is left to the tile that holds it whole;
one face found in several tiles counts once. A tile that holds a face of its own is read every
frame; the others are searched every SEARCH_EVERY frames and at each cut.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vidinvert.face.detect import LandmarkDetector
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.face.track import iou
from vidinvert.face.tracks import DUPLICATE_IOU, distinct

#: Frames at least this much wider (or taller) than square are searched in tiles too.
TILE_ASPECT = 1.5
#: A tile that gave no face of its own on its last search is searched again only every this many
#: frames (a face that appears small in a wide shot is found within as many frames).
SEARCH_EVERY = 5
#: A face within this fraction of the tile side from an inner tile edge is cut off by it.
EDGE = 0.02


def shifted(face: FaceLandmarks, dx: float, dy: float) -> FaceLandmarks:
    """The face moved by (dx, dy) pixels."""
    offset = np.array([dx, dy])
    return FaceLandmarks(face.anchors + offset, face.points + offset, face.outline + offset,
                         face.bbox + np.concatenate([offset, offset]), face.score)


def tile_origins(width: int, height: int) -> list[tuple[int, int, int]]:
    """(x, y, side) of the square tiles of a frame (none for a frame near square)."""
    long_side, short = max(width, height), min(width, height)
    if long_side < TILE_ASPECT * short:
        return []
    starts = list(range(0, long_side - short + 1, max(short // 2, 1)))
    if starts[-1] != long_side - short:
        starts.append(long_side - short)
    return [(s, 0, short) if width >= height else (0, s, short) for s in starts]


class TiledDetector:
    """A LandmarkDetector over the whole frame and its tiles: one detector of `make` each (each
    tile keeps its own tracking state in video mode)."""

    def __init__(self, make: Callable[[], LandmarkDetector]) -> None:
        self._make = make
        self._whole = make()
        self._tiles: dict[tuple[int, int, int], LandmarkDetector] = {}
        self._holding: set[tuple[int, int, int]] = set()  # tiles whose last search gave a face of their own
        self._frame = 0

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        h, w = image.shape[:2]
        whole = self._whole.detect(image)
        faces = []
        searching = self._frame % SEARCH_EVERY == 0
        self._frame += 1
        for origin in tile_origins(w, h):
            if not (searching or origin in self._holding):
                continue
            x, y, side = origin
            detector = self._tiles.get(origin) or self._tiles.setdefault(origin, self._make())
            own = [face for face in (shifted(f, x, y) for f in detector.detect(
                np.ascontiguousarray(image[y:y + side, x:x + side])))
                if not _cut_off(face, x, y, side, w, h) and all(iou(face.bbox, f.bbox) <= DUPLICATE_IOU for f in whole)]
            faces += own
            if own:
                self._holding.add(origin)
            else:
                self._holding.discard(origin)
        return sorted([*whole, *distinct(faces)], key=lambda f: f.area, reverse=True)

    def reset(self) -> None:
        self._frame = 0  # a new shot: every tile is searched at once
        for detector in (self._whole, *self._tiles.values()):
            reset = getattr(detector, "reset", None)
            if reset is not None:
                reset()

    def close(self) -> None:
        for detector in (self._whole, *self._tiles.values()):
            detector.close()


def _cut_off(face: FaceLandmarks, x: int, y: int, side: int, width: int, height: int) -> bool:
    x0, y0, x1, y1 = face.bbox - np.array([x, y, x, y])  # in the tile's pixels
    margin = EDGE * side
    return ((x > 0 and x0 < margin) or (x + side < width and x1 > side - margin)
            or (y > 0 and y0 < margin) or (y + side < height and y1 > side - margin))
