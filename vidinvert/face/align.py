"""FFHQ alignment: the crop every FFHQ-trained generator and encoder expects, at any output size.

The quad and the padding follow the official FFHQ recipe. The resampling is made fast for video:
instead of warping to a 4096 square and resizing down, the quad is warped straight to a modest
supersampled size (at most about one source pixel per sample) and box-filtered (INTER_AREA) down
to the output size. bin/bench_align.py measures the difference to the step-by-step recipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vidinvert.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH_LEFT, MOUTH_RIGHT, FaceLandmarks


@dataclass(frozen=True)
class CropTransform:
    """Where a crop came from.

    quad: (4, 2) frame points that become the crop's corners, in the order top-left, bottom-left,
        bottom-right, top-right (a parallelogram).
    size: the crop's side in pixels.
    matrix: (3, 3) affine map from frame pixel coordinates to crop pixel coordinates.
    inverse: (3, 3) its inverse, crop -> frame (for pasting back).
    """

    quad: np.ndarray
    size: int
    matrix: np.ndarray
    inverse: np.ndarray


def ffhq_quad(points: np.ndarray | FaceLandmarks) -> np.ndarray:
    """The FFHQ quad (4, 2) from a face's anchors (5, 2) (eyes, nose, mouth corners) or landmarks."""
    anchors = points.anchors if isinstance(points, FaceLandmarks) else np.asarray(points, dtype=np.float64)
    eye_left, eye_right = anchors[EYE_LEFT], anchors[EYE_RIGHT]
    eye_avg = (eye_left + eye_right) / 2
    eye_to_eye = eye_right - eye_left
    mouth_avg = (anchors[MOUTH_LEFT] + anchors[MOUTH_RIGHT]) / 2
    eye_to_mouth = mouth_avg - eye_avg

    x = eye_to_eye - _rot90(eye_to_mouth)
    x = x / np.hypot(*x)
    x = x * max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = _rot90(x)
    c = eye_avg + eye_to_mouth * 0.1
    return quad_from_params(c, x, y)


def _rot90(v: np.ndarray) -> np.ndarray:
    return np.array([-v[1], v[0]])


def quad_from_params(c: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Quad (4, 2) from its centre c and half-axes x (rightwards) and y (downwards)."""
    c, x, y = (np.asarray(v, dtype=np.float64) for v in (c, x, y))
    return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])


def quad_params(quad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre c and half-axes x, y of a parallelogram quad (the inverse of quad_from_params)."""
    quad = np.asarray(quad, dtype=np.float64)
    return quad.mean(axis=0), (quad[3] - quad[0]) / 2, (quad[1] - quad[0]) / 2


def crop_transform(quad: np.ndarray, size: int) -> CropTransform:
    """The affine map taking the quad onto a size x size crop (pixel centres at integers).

    Crop pixel (u, v) samples the frame at quad[0] + (u + 0.5)/size * (quad[3] - quad[0])
    + (v + 0.5)/size * (quad[1] - quad[0]), as the official PIL quad transform does.
    """
    quad = np.asarray(quad, dtype=np.float64)
    a = (quad[3] - quad[0]) / size
    b = (quad[1] - quad[0]) / size
    inverse = np.array([[a[0], b[0], 0.0], [a[1], b[1], 0.0], [0.0, 0.0, 1.0]])
    inverse[:2, 2] = quad[0] + 0.5 * (a + b)
    return CropTransform(quad, int(size), np.linalg.inv(inverse), inverse)


def quad_side(quad: np.ndarray) -> float:
    """Side length of the quad in pixels (the recipe's qsize)."""
    quad = np.asarray(quad, dtype=np.float64)
    return float(np.hypot(*(quad[3] - quad[0])))


def crop(image: np.ndarray, quad: np.ndarray, size: int, *, padding: bool = True) -> tuple[np.ndarray, CropTransform]:
    """Cut the quad out of a uint8 RGB frame as a size x size uint8 RGB crop.

    Where the quad (plus the recipe's border) leaves the frame, the frame is reflect-padded and the
    padding blurred and faded towards the median colour as in the FFHQ recipe (padding=False fills
    black instead). Returns the crop and its transform.
    """
    quad = np.asarray(quad, dtype=np.float64)
    h, w = image.shape[:2]
    qsize = quad_side(quad)
    shrink = max(int(math.floor(qsize / size * 0.5)), 1)

    # Cut a patch around the quad (with room for the recipe's border) and shrink it.
    border = max(int(np.rint(qsize / shrink * 0.1)), 3)
    margin = (border + 2) * shrink
    x0 = max(int(math.floor(quad[:, 0].min())) - margin, 0)
    y0 = max(int(math.floor(quad[:, 1].min())) - margin, 0)
    x1 = min(int(math.ceil(quad[:, 0].max())) + margin, w)
    y1 = min(int(math.ceil(quad[:, 1].max())) + margin, h)
    x1 -= (x1 - x0) % shrink
    y1 -= (y1 - y0) % shrink
    if x1 <= x0 or y1 <= y0:
        return np.zeros((size, size, 3), np.uint8), crop_transform(quad, size)
    patch = image[y0:y1, x0:x1]
    if shrink > 1:
        patch = cv2.resize(patch, ((x1 - x0) // shrink, (y1 - y0) // shrink), interpolation=cv2.INTER_AREA)
    patch_quad = (quad - (x0, y0) + 0.5) / shrink - 0.5
    patch_qsize = qsize / shrink

    # The recipe's own crop: quad bounds plus its border, within the frame.
    ph, pw = patch.shape[:2]
    cx0, cy0 = np.maximum(np.floor(patch_quad.min(axis=0)).astype(int) - border, 0)
    cx1, cy1 = np.minimum(np.ceil(patch_quad.max(axis=0)).astype(int) + border, (pw, ph))
    patch = patch[cy0:cy1, cx0:cx1]
    patch_quad = patch_quad - (cx0, cy0)

    if padding:
        patch, offset = _pad_like_ffhq(patch, patch_quad, patch_qsize)
        patch_quad = patch_quad + offset

    # Warp to a supersampled square (at most ~1 source pixel per sample), then box-filter down.
    factor = max(int(math.ceil(patch_qsize / size)), 1)
    warp = crop_transform(patch_quad, size * factor).matrix
    out = cv2.warpAffine(patch, warp[:2], (size * factor, size * factor), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if factor > 1:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out, crop_transform(quad, size)


def _pad_like_ffhq(patch: np.ndarray, quad: np.ndarray, qsize: float) -> tuple[np.ndarray, np.ndarray]:
    """The recipe's reflect padding with blur and median fade; returns the patch and its (x, y) offset."""
    h, w = patch.shape[:2]
    border = max(int(np.rint(qsize * 0.1)), 3)
    lo = np.floor(quad.min(axis=0)).astype(int)
    hi = np.ceil(quad.max(axis=0)).astype(int)
    pad = np.array([max(-lo[0] + border, 0), max(-lo[1] + border, 0),
                    max(hi[0] - w + border, 0), max(hi[1] - h + border, 0)])
    if pad.max() <= border - 4:
        return patch, np.zeros(2)
    pad = np.maximum(pad, int(np.rint(qsize * 0.3)))
    img = cv2.copyMakeBorder(patch, pad[1], pad[3], pad[0], pad[2], cv2.BORDER_REFLECT_101)
    blurred = _gaussian_blur(img, qsize * 0.02)
    img = img.astype(np.float32)
    ph, pw = img.shape[:2]
    y, x = np.ogrid[:ph, :pw]
    x = x.astype(np.float32)
    y = y.astype(np.float32)
    mask = np.maximum(1.0 - np.minimum(x / pad[0], (pw - 1 - x) / pad[2]),
                      1.0 - np.minimum(y / pad[1], (ph - 1 - y) / pad[3]))[..., None]
    img += (blurred - img) * np.clip(mask * 3.0 + 1.0, 0.0, 1.0)
    img += (_median_colour(img) - img) * np.clip(mask, 0.0, 1.0)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), pad[:2].astype(np.float64)


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (float32 result); wide ones are done on a smaller copy, the result being smooth."""
    h, w = image.shape[:2]
    factor = max(int(sigma // 3), 1)
    small = image
    if factor > 1:
        small = cv2.resize(image, (-(-w // factor), -(-h // factor)), interpolation=cv2.INTER_AREA)
        sigma = math.sqrt(max(sigma**2 - (factor**2 - 1) / 12, 0.25)) / factor
    radius = max(int(4.0 * sigma + 0.5), 1)  # the support scipy.ndimage.gaussian_filter uses
    small = cv2.GaussianBlur(small.astype(np.float32), (2 * radius + 1, 2 * radius + 1), sigma,
                             borderType=cv2.BORDER_REFLECT)
    if factor > 1:
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return small


def _median_colour(image: np.ndarray) -> np.ndarray:
    """Per-channel median of a float image in [0, 255], to the nearest level (from histograms)."""
    levels = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    half = levels.shape[0] * levels.shape[1] / 2
    medians = []
    for channel in range(3):
        counts = np.cumsum(cv2.calcHist([levels], [channel], None, [256], [0, 256]).ravel())
        medians.append(float(np.searchsorted(counts, half)))
    return np.array(medians, dtype=np.float32)
