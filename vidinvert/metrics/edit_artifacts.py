"""What an edit must not do to a face, measured so that an expression's motion does not count:
a colour cast of the skin, and a seam where the change stops.

Both are taken on the input mesh's geometry (points (468, 2) in frame pixels, eye distance d).

- Skin colour cast: the face oval without the lips, eyes and brows (each grown by 0.08 d) is the
  skin S. Input and output are low-passed over S alone (normalised convolution, Gaussian of 0.1 d:
  the skin's texture moved by an expression averages out, a tint does not), converted to CIELAB
  (D65, sRGB), and the CIE76 delta-E of each pixel of S is taken; a frame gives the median and the
  95th percentile.
- Seam: the signed change c = mean over RGB of (output - input), in levels, low-passed by a
  Gaussian of 0.05 d (a moved edge, a +/- pair, cancels; a step of tint does not); the seam is the
  99th percentile of |grad c| * 0.05 d (the change across 0.05 d, in levels) over a band: around
  the face oval (from 0.15 d inside to 0.6 d outside it, where an edit mask ends, the forehead
  included) and around the edges of the FFHQ crop (0.05 d each side).
"""

from __future__ import annotations

import cv2
import numpy as np

from vidinvert.face import mesh_indices as mi
from vidinvert.face.mask import grow, polygon_mask, shrink

FEATURE_GROW = 0.08
SKIN_BLUR = 0.1
SEAM_BLUR = 0.05
OVAL_INSIDE, OVAL_OUTSIDE = 0.15, 0.6
CROP_BAND = 0.05


def skin_mask(points: np.ndarray, shape: tuple[int, ...], eye_distance: float) -> np.ndarray:
    """Boolean (H, W): the face oval without the lips, eyes and brows (grown by FEATURE_GROW d)."""
    p = np.asarray(points, np.float64)[:, :2]
    oval = polygon_mask(p[list(mi.FACE_OVAL)], shape)
    features = np.zeros_like(oval)
    for polygon in (mi.LIPS_OUTER, mi.EYE_IMAGE_LEFT, mi.EYE_IMAGE_RIGHT):
        features |= polygon_mask(p[list(polygon)], shape, convex=True)
    for brow in (mi.BROW_IMAGE_LEFT + mi.BROW_LOWER_IMAGE_LEFT, mi.BROW_IMAGE_RIGHT + mi.BROW_LOWER_IMAGE_RIGHT):
        features |= polygon_mask(p[list(brow)], shape, convex=True)
    return (oval & (1 - grow(features, FEATURE_GROW * eye_distance))).astype(bool)


def _box(mask: np.ndarray, pad: float) -> tuple[slice, slice]:
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    p = int(np.ceil(pad))
    return (slice(max(ys.min() - p, 0), min(ys.max() + p + 1, h)),
            slice(max(xs.min() - p, 0), min(xs.max() + p + 1, w)))


def _lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(image / 255.0, 0, 1).astype(np.float32), cv2.COLOR_RGB2Lab)


def skin_cast(source: np.ndarray, output: np.ndarray, skin: np.ndarray, eye_distance: float) -> tuple[float, float]:
    """(median, 95th percentile) of the CIE76 delta-E over the skin of the low-passed frames."""
    if not skin.any():
        return float("nan"), float("nan")
    sigma = SKIN_BLUR * eye_distance
    rows, cols = _box(skin, 3 * sigma)
    weight = skin[rows, cols].astype(np.float32)
    soft_weight = cv2.GaussianBlur(weight, (0, 0), sigma)

    def low_pass(image: np.ndarray) -> np.ndarray:
        region = image[rows, cols].astype(np.float32) * weight[..., None]
        return cv2.GaussianBlur(region, (0, 0), sigma) / np.maximum(soft_weight, 1e-6)[..., None]

    delta = np.linalg.norm(_lab(low_pass(output)) - _lab(low_pass(source)), axis=-1)[weight > 0]
    return float(np.median(delta)), float(np.percentile(delta, 95))


def seam_bands(points: np.ndarray, quad: np.ndarray | None, shape: tuple[int, ...],
               eye_distance: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Boolean (H, W) bands where a seam is looked for: around the face oval, around the crop's edges."""
    oval = polygon_mask(np.asarray(points, np.float64)[list(mi.FACE_OVAL), :2], shape)
    edit = grow(oval, OVAL_OUTSIDE * eye_distance) & (1 - shrink(oval, OVAL_INSIDE * eye_distance))
    if quad is None:
        return edit.astype(bool), None
    lines = np.zeros(shape[:2], np.uint8)
    shift = 4
    vertices = np.rint(np.asarray(quad, np.float64) * (1 << shift)).astype(np.int32)
    thickness = max(int(round(2 * CROP_BAND * eye_distance)), 1)
    cv2.polylines(lines, [vertices], True, 1, thickness=thickness, shift=shift)
    return edit.astype(bool), lines.astype(bool)


def seam(source: np.ndarray, output: np.ndarray, band: np.ndarray, eye_distance: float) -> float:
    """The 99th percentile over `band` of the low-passed change's step across SEAM_BLUR d, in levels."""
    if band is None or not band.any():
        return float("nan")
    sigma = SEAM_BLUR * eye_distance
    rows, cols = _box(band, 3 * sigma + 2)
    change = (output[rows, cols].astype(np.float32) - source[rows, cols].astype(np.float32)).mean(axis=2)
    change = cv2.GaussianBlur(change, (0, 0), sigma)
    gx = cv2.Sobel(change, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(change, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    step = np.hypot(gx, gy)[band[rows, cols]] * sigma
    return float(np.percentile(step, 99))
