"""A soft face mask from landmarks: the face outline raised over the forehead, dilated, feathered.

Sizes are fractions of the face size (the larger side of the landmarks' bounding box).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.errors import VidinvertError
from vidinvert.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH_LEFT, MOUTH_RIGHT, FaceLandmarks

FOREHEAD = RenderConfig.mask_forehead
DILATE = RenderConfig.mask_dilate
FEATHER = RenderConfig.mask_feather


def face_polygon(landmarks: FaceLandmarks, *, forehead: float = FOREHEAD) -> np.ndarray:
    """The face outline (M, 2) with points above the eyes raised by up to forehead * face size."""
    outline = np.asarray(landmarks.outline, dtype=np.float64)
    anchors = landmarks.anchors
    eyes = (anchors[EYE_LEFT] + anchors[EYE_RIGHT]) / 2
    mouth = (anchors[MOUTH_LEFT] + anchors[MOUTH_RIGHT]) / 2
    up = eyes - mouth
    norm = np.hypot(*up)
    if forehead == 0 or norm == 0:
        return outline
    up /= norm
    height = np.clip((outline - eyes) @ up, 0.0, None)
    if height.max() == 0:
        return outline
    return outline + np.outer(height / height.max(), up) * forehead * landmarks.size


def face_mask(landmarks: FaceLandmarks, shape: tuple[int, ...], *, forehead: float = FOREHEAD,
              dilate: float = DILATE, feather: float = FEATHER) -> np.ndarray:
    """Float32 (H, W) mask in [0, 1] for a frame of the given shape; exactly 0 far from the face.

    forehead: how far the outline's top is raised, dilate: dilation radius, feather: Gaussian sigma
    of the soft edge; all as fractions of the face size.
    """
    for name, value in (("forehead", forehead), ("dilate", dilate), ("feather", feather)):
        if value < 0:
            raise VidinvertError(f"mask {name} must be >= 0, got {value}")
    h, w = shape[:2]
    mask = np.zeros((h, w), np.float32)
    polygon = face_polygon(landmarks, forehead=forehead)
    size = landmarks.size
    r_dilate = int(round(dilate * size))
    sigma = feather * size
    r_blur = int(math.ceil(3 * sigma))
    margin = r_dilate + r_blur + 2
    x0, y0 = np.maximum(np.floor(polygon.min(axis=0)).astype(int) - margin, 0)
    x1, y1 = np.minimum(np.ceil(polygon.max(axis=0)).astype(int) + margin + 1, (w, h))
    if x1 <= x0 or y1 <= y0:
        return mask
    roi = np.zeros((y1 - y0, x1 - x0), np.uint8)
    shift = 4  # sub-pixel polygon vertices
    vertices = np.rint((polygon - (x0, y0)) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(roi, [vertices], 255, lineType=cv2.LINE_AA, shift=shift)
    if r_dilate > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_dilate + 1, 2 * r_dilate + 1))
        roi = cv2.dilate(roi, kernel)
    soft = roi.astype(np.float32) / 255.0
    if r_blur > 0:
        soft = cv2.GaussianBlur(soft, (2 * r_blur + 1, 2 * r_blur + 1), sigma, borderType=cv2.BORDER_CONSTANT)
    mask[y0:y1, x0:x1] = soft
    return mask


def polygon_mask(points: np.ndarray, shape: tuple[int, ...], *, convex: bool = False,
                 antialiased: bool = False) -> np.ndarray:
    """uint8 (H, W) mask, 1 inside the polygon of `points` (N, 2) in pixels (sub-pixel vertices);
    `convex`: their convex hull; `antialiased`: OpenCV's anti-aliased edge."""
    mask = np.zeros(shape[:2], np.uint8)
    shift = 4
    vertices = np.rint(np.asarray(points, np.float64)[:, :2] * (1 << shift)).astype(np.int32)
    line = cv2.LINE_AA if antialiased else cv2.LINE_8
    if convex:
        cv2.fillConvexPoly(mask, cv2.convexHull(vertices), 1, lineType=line, shift=shift)
    else:
        cv2.fillPoly(mask, [vertices], 1, lineType=line, shift=shift)
    return mask


def grow(mask: np.ndarray, radius: float) -> np.ndarray:
    """The mask dilated by a disc of `radius` pixels (rounded; 0: unchanged)."""
    r = max(int(round(radius)), 0)
    if r == 0:
        return mask
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))


def shrink(mask: np.ndarray, radius: float) -> np.ndarray:
    """The mask eroded by a disc of `radius` pixels (rounded; 0: unchanged)."""
    r = max(int(round(radius)), 0)
    if r == 0:
        return mask
    return cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
