"""The paste of a semantic face swap (E2Style, section V): the source's central face region
(eyes, nose, mouth) laid onto the target's aligned crop under a feathered mask.

Both crops are FFHQ-aligned at the same size, so their eyes and mouths sit at the same places and
one fixed mask on the crop serves every pair. The source's colours are first brought to the
target's skin by matching each channel's mean and standard deviation inside the mask (weighted by
it); the encoder and generator then blend the seams into one face.
"""

from __future__ import annotations

import numpy as np

from vidinvert.errors import VidinvertError

#: The region's ellipse on an FFHQ-aligned crop, as fractions of the crop side: centred between
#: the eyes (at about 0.47 of the height) and the mouth (about 0.73), wide enough for the outer eye
#: corners, from the brows to below the lower lip.
REGION_CENTRE = (0.5, 0.6)
REGION_RADII = (0.2, 0.21)
#: The mask falls from 1 at the ellipse to 0 at this many radii beyond it.
REGION_FEATHER = 0.35


def check_region_scale(scale: float) -> None:
    """Refuse a region scale that leaves no region."""
    if not scale > 0:
        raise VidinvertError(f"--region-scale must be above 0, got {scale}")


def region_mask(size: int, scale: float = 1.0) -> np.ndarray:
    """The paste mask (size, size) float32 in [0, 1]: 1 inside the central ellipse (its radii times
    `scale`), falling smoothly to 0 over the feather band outside it."""
    check_region_scale(scale)
    centres = (np.arange(size, dtype=np.float64) + 0.5) / size
    x, y = np.meshgrid(centres, centres)
    radius = np.hypot((x - REGION_CENTRE[0]) / (REGION_RADII[0] * scale),
                      (y - REGION_CENTRE[1]) / (REGION_RADII[1] * scale))
    t = np.clip((radius - 1.0) / REGION_FEATHER, 0.0, 1.0)
    return (1.0 - t * t * (3.0 - 2.0 * t)).astype(np.float32)


def weighted_stats(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean and standard deviation (3,) over the pixels, weighted by `mask`."""
    weights = mask.astype(np.float64)[..., None]
    total = weights.sum()
    if total <= 0:
        raise VidinvertError("the paste region is empty")
    pixels = image.astype(np.float64)
    mean = (pixels * weights).sum(axis=(0, 1)) / total
    var = (((pixels - mean) ** 2) * weights).sum(axis=(0, 1)) / total
    return mean, np.sqrt(var)


def match_colour(source: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The source (H, W, 3) as float64 with each channel's weighted mean and standard deviation inside
    `mask` made the target's (a flat source channel only takes the target's mean); not clipped."""
    source_mean, source_std = weighted_stats(source, mask)
    target_mean, target_std = weighted_stats(target, mask)
    gain = np.divide(target_std, source_std, out=np.zeros(3), where=source_std > 1e-6)
    return (source.astype(np.float64) - source_mean) * gain + target_mean


def paste_region(source: np.ndarray, target: np.ndarray, mask: np.ndarray, colour: bool = True) -> np.ndarray:
    """The target crop (uint8 (S, S, 3)) with the source crop's region laid on under `mask`:
    mask * source' + (1 - mask) * target, rounded, where source' is the source colour-matched to the
    target inside the mask (`colour`) or as it is. Where the mask is 0 the target is unchanged."""
    if source.shape != target.shape or source.shape[:2] != mask.shape:
        raise VidinvertError(f"the source crop {source.shape}, target crop {target.shape} and mask {mask.shape} "
                             "must be the same size")
    laid = match_colour(source, target, mask) if colour else source.astype(np.float64)
    alpha = mask.astype(np.float64)[..., None]
    blended = alpha * np.clip(laid, 0, 255) + (1.0 - alpha) * target.astype(np.float64)
    out = np.rint(blended).astype(np.uint8)
    outside = mask <= 0
    out[outside] = target[outside]
    return out
