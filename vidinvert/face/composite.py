"""Paste a generated crop back into its frame: inverse warp, then alpha blend under a soft mask.

Only pixels where the mask is above 0 (and the crop covers them) change; every other pixel of the
result is bit-identical to the input frame.

Frames may be uint8, uint16 (0..65535) or float32 (1.0 = white) at the source's depth; the crop is
always an 8-bit picture from the generator, brought to the frame's scale in float before the blend,
so the blend itself runs at the frame's depth.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face.align import CropTransform
from vidinvert.samples import from_8bit, levels, to_8bit

INTERPOLATIONS = {"bicubic": cv2.INTER_CUBIC, "linear": cv2.INTER_LINEAR}


def paste(frame: np.ndarray, crop: np.ndarray, transform: CropTransform, mask: np.ndarray, *,
          interpolation: str = "bicubic", seamless: bool = False) -> np.ndarray:
    """A new frame with the crop warped back by transform.inverse and blended in under mask.

    frame: uint8, uint16 or float32 (H, W, 3); crop: uint8 (S, S, 3), any S (the transform is
    rescaled to it); mask: float (H, W) in [0, 1]. seamless=True first matches the crop to its
    surroundings with Poisson blending (cv2.seamlessClone, on the 8-bit scale), then blends as usual.
    """
    return paste_with_alpha(frame, crop, transform, mask, interpolation=interpolation, seamless=seamless)[0]


def paste_with_alpha(frame: np.ndarray, crop: np.ndarray, transform: CropTransform, mask: np.ndarray, *,
                     interpolation: str = "bicubic", seamless: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`paste`'s frame and the alpha (H, W) float32 it was blended with: the mask where the crop
    covers the frame."""
    if interpolation not in INTERPOLATIONS:
        raise VidinvertError(f"unknown interpolation {interpolation!r}; choose one of {', '.join(INTERPOLATIONS)}")
    if mask.shape != frame.shape[:2]:
        raise VidinvertError(f"mask shape {mask.shape} does not match frame shape {frame.shape[:2]}")
    out = frame.copy()
    used = np.zeros(frame.shape[:2], np.float32)
    x0, y0, roi_w, roi_h = cv2.boundingRect((mask > 0).view(np.uint8))
    if roi_w == 0 or roi_h == 0:
        return out, used
    x1, y1 = x0 + roi_w, y0 + roi_h
    size = crop.shape[0]
    # crop pixels -> frame pixels (rescaled when the crop's size differs), shifted into the ROI
    scale = transform.size / size
    to_crop_grid = np.array([[scale, 0, (scale - 1) / 2], [0, scale, (scale - 1) / 2], [0, 0, 1]])
    to_roi = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
    warp = (to_roi @ transform.inverse @ to_crop_grid)[:2]
    roi_size = (roi_w, roi_h)
    warped = cv2.warpAffine(crop, warp, roi_size, flags=INTERPOLATIONS[interpolation],
                            borderMode=cv2.BORDER_REPLICATE)
    covered = cv2.warpAffine(np.ones((size, size), np.float32), warp, roi_size, flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    alpha = mask[y0:y1, x0:x1] * covered
    region = frame[y0:y1, x0:x1]
    if seamless:
        warped = _seamless(warped, to_8bit(region), alpha)
    if region.dtype != np.uint8:
        warped = from_8bit(warped, region.dtype)
    out[y0:y1, x0:x1] = blend(region, warped, alpha)
    used[y0:y1, x0:x1] = alpha
    return out, used


def blend(region: np.ndarray, source: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """region + alpha * (source - region) in the region's type; where alpha is 0 the region is kept
    exactly.

    region: uint8, uint16 or float32; source: of the region's shape and scale (integer types:
    rounded and clipped to the type's range; float32 is not clipped, so values above 1.0 survive);
    alpha: float (h, w).
    """
    a = alpha[..., None]
    mixed = region + a * (source.astype(np.float32) - region)
    if region.dtype != np.float32:
        mixed = np.clip(np.rint(mixed), 0, levels(region.dtype)).astype(region.dtype)
    return np.where(a > 0, mixed, region)


def at_depth(change: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A change field (motion in pixels, then residual colour on the 8-bit scale; see
    `vidinvert.face.transfer`) with its residual on the scale of frames of ``dtype``."""
    if np.dtype(dtype) == np.uint8:
        return change
    scaled = change.astype(np.float32, copy=True)
    scaled[..., 2:] = from_8bit(change[..., 2:], dtype)
    return scaled


def _seamless(source: np.ndarray, target: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Poisson-blend source into target where alpha > 0.5 (both the same size); returns the result."""
    pad = 2  # seamlessClone wants the mask clear of the image border
    binary = np.pad((alpha > 0.5).astype(np.uint8) * 255, pad)
    if not binary.any():
        return source
    src = cv2.copyMakeBorder(source, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    dst = cv2.copyMakeBorder(target, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x, y, w, h = cv2.boundingRect(binary)
    centre = (x + w // 2, y + h // 2)
    cloned = cv2.seamlessClone(src, dst, binary, centre, cv2.NORMAL_CLONE)
    return cloned[pad:-pad, pad:-pad]
