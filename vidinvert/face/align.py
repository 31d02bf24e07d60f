"""FFHQ alignment: the crop every FFHQ-trained generator and encoder expects, at any output size.

The quad and the padding follow the official FFHQ recipe. The resampling is made fast for video:
instead of warping to a 4096 square and resizing down, the quad is warped straight to a modest
supersampled size (at most about one source pixel per sample) and filtered down to the output
size (Lanczos as the recipe, or a box filter). The padding is computed only where the quad reads
it, with its wide blur and median colour taken on a reduced copy. Unlike the recipe, the map from
frame to crop stays exact when the frame is first shrunk (the recipe's shrink step shifts the quad
by (shrink - 1) / 2 frame pixels). bin/bench_align.py measures the difference to the recipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from vidinvert.errors import VidinvertError
from vidinvert.face.landmarks import EYE_LEFT, EYE_RIGHT, MOUTH_LEFT, MOUTH_RIGHT, FaceLandmarks

RESAMPLE = ("lanczos", "area")


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


def crop(image: np.ndarray, quad: np.ndarray, size: int, *, padding: bool = True,
         resample: str = "lanczos") -> tuple[np.ndarray, CropTransform]:
    """Cut the quad out of a uint8 RGB frame as a size x size uint8 RGB crop.

    Where the quad (plus the recipe's border) leaves the frame, the frame is reflect-padded and the
    padding blurred and faded towards the median colour as in the FFHQ recipe (padding=False fills
    black instead). resample is the filter taking the supersampled warp down to the output size:
    "lanczos" (the recipe's own, closest to it) or "area" (a box filter, faster, slightly softer).
    Returns the crop and its transform.
    """
    if resample not in RESAMPLE:
        raise VidinvertError(f"unknown resample filter {resample!r}; choose one of {', '.join(RESAMPLE)}")
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

    # Warp to a supersampled square (at most ~1.25 source pixels per sample), then filter down.
    factor = max(int(math.ceil(patch_qsize / size - 0.25)), 1)
    warp = crop_transform(patch_quad, size * factor).matrix
    out = cv2.warpAffine(patch, warp[:2], (size * factor, size * factor), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if factor > 1 and resample == "lanczos":
        out = np.asarray(Image.fromarray(out).resize((size, size), Image.LANCZOS))
    elif factor > 1:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out, crop_transform(quad, size)


def _pad_like_ffhq(patch: np.ndarray, quad: np.ndarray, qsize: float) -> tuple[np.ndarray, np.ndarray]:
    """The recipe's reflect padding with blur and median fade.

    Returns only the part of the padded patch the quad covers, and the (x, y) offset to add to
    patch coordinates. Wide blurs, and the median colour, are computed on a reduced copy.
    """
    h, w = patch.shape[:2]
    border = max(int(np.rint(qsize * 0.1)), 3)
    lo = np.floor(quad.min(axis=0)).astype(int)
    hi = np.ceil(quad.max(axis=0)).astype(int)
    pad = np.array([max(-lo[0] + border, 0), max(-lo[1] + border, 0),
                    max(hi[0] - w + border, 0), max(hi[1] - h + border, 0)])
    if pad.max() <= border - 4:
        return patch, np.zeros(2)
    pad = np.maximum(pad, int(np.rint(qsize * 0.3)))
    padded = cv2.copyMakeBorder(patch, pad[1], pad[3], pad[0], pad[2], cv2.BORDER_REFLECT_101)
    ph, pw = padded.shape[:2]

    def ramp(at: np.ndarray, n: int, before: int, after: int) -> np.ndarray:
        """The recipe's 1-D mask 1 - min(i / before, (n - 1 - i) / after) at coordinates i."""
        at = at.astype(np.float32)
        return 1.0 - np.minimum(at / before, (n - 1 - at) / after)

    def blend(img: np.ndarray, blurred: np.ndarray, mask: np.ndarray, median: np.ndarray | None) -> np.ndarray:
        img = img.astype(np.float32)
        mask = mask[..., None]
        img += (blurred - img) * np.clip(mask * 3.0 + 1.0, 0.0, 1.0)
        if median is not None:
            img += (median - img) * np.clip(mask, 0.0, 1.0)
        return img

    # Blur (and find the median colour) on a copy reduced so that the blur stays >= 3 pixels wide.
    sigma = qsize * 0.02
    factor = max(int(sigma // 3), 1)
    small = padded
    if factor > 1:
        small = cv2.resize(padded, (-(-pw // factor), -(-ph // factor)), interpolation=cv2.INTER_AREA)
        sigma = math.sqrt(max(sigma**2 - (factor**2 - 1) / 12, 0.25)) / factor
    radius = max(int(4.0 * sigma + 0.5), 1)  # the support scipy.ndimage.gaussian_filter uses
    small_blurred = cv2.GaussianBlur(small.astype(np.float32), (2 * radius + 1, 2 * radius + 1), sigma,
                                     borderType=cv2.BORDER_REFLECT)
    centre = (factor - 1) / 2  # where a reduced pixel's centre lies in padded coordinates
    small_mask = np.maximum(ramp(centre + factor * np.arange(small.shape[0]), ph, pad[1], pad[3])[:, None],
                            ramp(centre + factor * np.arange(small.shape[1]), pw, pad[0], pad[2])[None, :])
    median = _median_colour(blend(small, small_blurred, small_mask, None))

    # Full resolution only where the warp will read (the quad's bounds plus a pixel for interpolation),
    # and there only in the bands near the padded edges where the recipe's blur ramp is above 0.
    x0, y0 = np.maximum(np.floor(quad.min(axis=0) + pad[:2]).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(quad.max(axis=0) + pad[:2]).astype(int) + 3, (pw, ph))
    out = padded[y0:y1, x0:x1].copy()
    mask_y = ramp(np.arange(y0, y1), ph, pad[1], pad[3])
    mask_x = ramp(np.arange(x0, x1), pw, pad[0], pad[2])
    for rows, cols in _bands(mask_y > -1 / 3, mask_x > -1 / 3):
        ys, xs = slice(y0 + rows.start, y0 + rows.stop), slice(x0 + cols.start, x0 + cols.stop)
        if factor > 1:
            to_small = np.array([[1 / factor, 0, (xs.start + 0.5) / factor - 0.5],
                                 [0, 1 / factor, (ys.start + 0.5) / factor - 0.5]])
            blurred = cv2.warpAffine(small_blurred, to_small, (xs.stop - xs.start, ys.stop - ys.start),
                                     flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        else:
            blurred = small_blurred[ys, xs]
        mask = np.maximum(mask_y[rows, None], mask_x[None, cols])
        out[rows, cols] = np.clip(np.rint(blend(padded[ys, xs], blurred, mask, median)), 0, 255)
    return out, (pad[:2] - (x0, y0)).astype(np.float64)


def _bands(active_rows: np.ndarray, active_cols: np.ndarray) -> list[tuple[slice, slice]]:
    """Rectangles (rows, cols) covering every cell whose row or column is active.

    Active rows and columns are runs at the two ends (the padded edges' ramps).
    """
    n_rows, n_cols = len(active_rows), len(active_cols)
    bands = []
    for active, n, whole, as_rows in ((active_rows, n_rows, slice(0, n_cols), True),
                                      (active_cols, n_cols, slice(0, n_rows), False)):
        inactive = np.flatnonzero(~active)
        if len(inactive) == 0:
            spans = [slice(0, n)]
        else:
            spans = [slice(0, inactive[0]), slice(inactive[-1] + 1, n)]
        for span in spans:
            if span.stop > span.start:
                bands.append((span, whole) if as_rows else (whole, span))
    return bands


def _median_colour(image: np.ndarray) -> np.ndarray:
    """Per-channel median of a float image in [0, 255], to the nearest level (from histograms)."""
    levels = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    half = levels.shape[0] * levels.shape[1] / 2
    medians = []
    for channel in range(3):
        counts = np.cumsum(cv2.calcHist([levels], [channel], None, [256], [0, 256]).ravel())
        medians.append(float(np.searchsorted(counts, half)))
    return np.array(medians, dtype=np.float32)
