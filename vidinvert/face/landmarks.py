"""The landmark result every detector backend returns, whatever its point convention."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidinvert.face import mesh_indices as mi

# Rows of FaceLandmarks.anchors (image sides, not the subject's).
EYE_LEFT, EYE_RIGHT, NOSE, MOUTH_LEFT, MOUTH_RIGHT = range(5)


@dataclass(frozen=True)
class FaceLandmarks:
    """One face in one frame; all coordinates in frame pixels (x, y), pixel centres at integers.

    anchors: (5, 2) eye centres, nose tip and mouth corners, ordered by the EYE_LEFT... constants.
    points: (N, 2) the backend's full point set (468 for the mesh, 68 for face-alignment).
    outline: (M, 2) closed polygon around the face (the mesh's face oval or the 68-point jaw and brows).
    bbox: (4,) x0, y0, x1, y1 of all points.
    score: the backend's confidence, or None when it reports none (the mesh does not).
    """

    anchors: np.ndarray
    points: np.ndarray
    outline: np.ndarray
    bbox: np.ndarray
    score: float | None = None

    @property
    def centre(self) -> np.ndarray:
        """Centre of the bounding box, (2,)."""
        return (self.bbox[:2] + self.bbox[2:]) / 2

    @property
    def area(self) -> float:
        """Area of the bounding box in pixels."""
        w, h = self.bbox[2:] - self.bbox[:2]
        return float(max(w, 0.0) * max(h, 0.0))

    @property
    def size(self) -> float:
        """A face scale in pixels: the larger side of the bounding box."""
        return float(np.max(self.bbox[2:] - self.bbox[:2]))


def _bbox(points: np.ndarray) -> np.ndarray:
    return np.concatenate([points.min(axis=0), points.max(axis=0)]).astype(np.float64)


def _from_points(points: np.ndarray, count: int, eye_left, eye_right, nose: int, mouth_left: int,
                 mouth_right: int, outline, score: float | None) -> FaceLandmarks:
    points = np.asarray(points, dtype=np.float64)[:, :2]
    if points.shape != (count, 2):
        raise ValueError(f"expected ({count}, 2) points, got {points.shape}")
    anchors = np.stack([
        points[list(eye_left)].mean(axis=0),
        points[list(eye_right)].mean(axis=0),
        points[nose],
        points[mouth_left],
        points[mouth_right],
    ])
    return FaceLandmarks(anchors, points, points[list(outline)], _bbox(points), score)


def from_mesh(points: np.ndarray, score: float | None = None) -> FaceLandmarks:
    """Build the common result from the face mesh's (468, 2) points in frame pixels."""
    return _from_points(points, mi.MESH_POINT_COUNT, mi.EYE_IMAGE_LEFT, mi.EYE_IMAGE_RIGHT, mi.NOSE_TIP,
                        mi.MOUTH_IMAGE_LEFT, mi.MOUTH_IMAGE_RIGHT, mi.FACE_OVAL, score)


def from_ibug68(points: np.ndarray, score: float | None = None) -> FaceLandmarks:
    """Build the common result from (68, 2) points in the 68-point convention."""
    return _from_points(points, 68, mi.IBUG68_EYE_IMAGE_LEFT, mi.IBUG68_EYE_IMAGE_RIGHT, mi.IBUG68_NOSE_TIP,
                        mi.IBUG68_MOUTH_IMAGE_LEFT, mi.IBUG68_MOUTH_IMAGE_RIGHT, mi.IBUG68_FACE_OUTLINE, score)


def interpolate(a: FaceLandmarks, b: FaceLandmarks, t: float) -> FaceLandmarks:
    """Linear blend (1 - t) * a + t * b of two results of the same backend, for detection gaps."""
    def mix(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (1.0 - t) * u + t * v

    score = None if a.score is None or b.score is None else float(mix(a.score, b.score))
    return FaceLandmarks(mix(a.anchors, b.anchors), mix(a.points, b.points), mix(a.outline, b.outline),
                         mix(a.bbox, b.bbox), score)
