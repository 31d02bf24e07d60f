"""Carry the generator's change onto the real face instead of pasting the generated face.

The generator renders the frame's inversion twice, before the edit, G(w), and after it, G(w + edit).
Their difference is the change the edit asks for; the real pixels are kept wherever it is zero.

- `warp`: the motion of the face between the two renders, read by the face mesh on each
  (`vidinvert.face.render_motion`), moves the real pixels; the colour change the motion cannot
  explain is added on top only inside the mouth opening (teeth appearing), as grey, low-passed to
  the generator's resolution.
- `delta`: only the colour change, after - before, low-passed, is added to the real pixels.
- `generated`: the "after" render itself is pasted (`vidinvert.face.composite.paste`).

Both fields, motion and residual colour, live in crop coordinates (the aligned crop at
`work_size` px) and fade to zero at the hull of the real face's mesh (`delta`: where the two
renders differ, inside that hull). The frame is then resampled once, in frame coordinates, only where the field moves
a pixel; everything else, and every pixel of a frame whose renders are equal, is kept bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from vidinvert.config import RENDER_MODES
from vidinvert.errors import VidinvertError
from vidinvert.face.align import CropTransform
from vidinvert.face.composite import blend
from vidinvert.face import mesh_indices as mi
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.face.render_motion import motion_field, mouth_opening, taper

#: The crop grid the change fields are estimated and stored on: twice the generator's side, within
#: these bounds (large generators are reduced).
WORK_MIN, WORK_MAX = 128, 256
#: The edit mask rises from 0 to 1 as the renders' blurred mean RGB difference goes from LOW to HIGH
#: (0..255 levels).
CHANGE_LOW = 6.0
CHANGE_HIGH = 20.0
#: Sizes in generator pixels: growth of the edit mask around the change (its feathering is half
#: that) and the Gaussian that low-passes the residual colour.
MASK_GROW = 2.0
RESIDUAL_SIGMA = 0.75
#: Channels of a change field: motion (x, y) in work-grid pixels, then residual RGB in levels.
FIELD_CHANNELS = 5
#: Rec. 601 luma weights: the residual colour the warp keeps is grey.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
#: Below this fraction of the default edit the mask thresholds stop shrinking.
MIN_EDIT_SIZE = 0.05


@dataclass(frozen=True)
class ChangeOptions:
    """How the change is estimated: the mode and the edit-mask thresholds (0..255 levels)."""

    mode: str = "warp"
    low: float = CHANGE_LOW
    high: float = CHANGE_HIGH

    def __post_init__(self) -> None:
        if self.mode not in RENDER_MODES:
            raise VidinvertError(f"unknown render mode {self.mode!r}; choose one of {', '.join(RENDER_MODES)}")
        if not 0 <= self.low < self.high:
            raise VidinvertError(f"edit mask thresholds must satisfy 0 <= low < high, got {self.low}, {self.high}")

    def for_edit_size(self, size: float) -> ChangeOptions:
        """The thresholds scaled by `size` in (0, 1]: for an edit that fraction of the default one,
        whose renders differ by about that fraction as much."""
        size = min(max(size, MIN_EDIT_SIZE), 1.0)
        return self if size == 1.0 else replace(self, low=self.low * size, high=self.high * size)


def work_size(generator_size: int) -> int:
    """Side of the work grid for renders of a generator of this size."""
    return int(min(max(2 * generator_size, WORK_MIN), WORK_MAX))


def _work(image: np.ndarray, size: int) -> np.ndarray:
    """A uint8 render resampled to the work grid, as float32."""
    interpolation = cv2.INTER_CUBIC if image.shape[0] < size else cv2.INTER_AREA
    return cv2.resize(image.astype(np.float32), (size, size), interpolation=interpolation)


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE) if sigma > 0 else image


def hull_mask(landmarks: FaceLandmarks, transform: CropTransform, size: int) -> np.ndarray:
    """The convex hull of the face's landmarks on a work grid of side `size`, float32 of 0/1."""
    points = np.asarray(landmarks.points, np.float64)
    crop = points @ transform.matrix[:2, :2].T + transform.matrix[:2, 2]
    grid = (crop + 0.5) * (size / transform.size) - 0.5
    mask = np.zeros((size, size), np.uint8)
    shift = 4
    hull = cv2.convexHull(np.rint(grid * (1 << shift)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1, lineType=cv2.LINE_AA, shift=shift)
    return mask.astype(np.float32)


def edit_mask(before: np.ndarray, after: np.ndarray, hull: np.ndarray, options: ChangeOptions) -> np.ndarray:
    """Soft float32 mask in [0, 1] on the hull's grid of where the renders differ, inside the hull."""
    size, work = before.shape[0], hull.shape[0]
    difference = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(axis=2)
    difference = _gaussian(difference, 1.0)
    soft = np.clip((difference - options.low) / (options.high - options.low), 0.0, 1.0)
    grow = round(MASK_GROW)
    if grow > 0:
        soft = cv2.dilate(soft, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    soft = _gaussian(soft, MASK_GROW / 2)
    if size != work:
        soft = cv2.resize(soft, (work, work), interpolation=cv2.INTER_LINEAR)
    return np.clip(soft, 0.0, 1.0) * taper(hull)


def _resample(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """image(x + flow(x)) on the work grid."""
    size = image.shape[0]
    grid = np.mgrid[0:size, 0:size].astype(np.float32)
    return cv2.remap(image, grid[1] + flow[..., 0], grid[0] + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def estimate_change(before: np.ndarray, after: np.ndarray, hull: np.ndarray,
                    options: ChangeOptions = ChangeOptions(),
                    points: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """The change field (n, n, FIELD_CHANNELS) float32 from two uint8 renders, on the grid of `hull`
    (n = `work_size` of the renders' size, see `hull_mask`).

    Channels 0-1: motion in work-grid pixels (zero in `delta` mode); 2-4: residual colour in 0..255
    levels. Zero everywhere when the renders are equal.

    `warp` needs `points`, the face mesh (468, 2) of the "before" and the "after" render in render
    pixels, and optionally the real face's mesh in the same pixels (where the motion is placed):
    the motion is the mesh's (`render_motion.motion_field`) and the residual colour is kept only
    inside the "after" mouth opening (teeth appearing), as luminance: an edit's tint of the skin is
    never carried. Without points (the mesh found no face) the field is zero. `delta`
    carries the colour difference where the renders differ, tapered to zero at the hull's edge.
    """
    work = hull.shape[0]
    field = np.zeros((work, work, FIELD_CHANNELS), np.float32)
    if np.array_equal(before, after):
        return field
    scale = work / before.shape[0]  # work-grid pixels per generator pixel
    b, a = _work(before, work), _work(after, work)
    if options.mode == "warp":
        if points is None:
            return field
        real = points[2] if len(points) > 2 else None
        flow = motion_field(points[0], points[1], hull, before.shape[0], real)
        opening = mouth_opening(points[1], work, before.shape[0], scale)
        if real is not None:  # where the real mouth is too: the renders' mouth may sit beside it
            opening *= mouth_opening(real, work, before.shape[0], scale, mi.LIPS_OUTER)
        region = _gaussian(opening, MASK_GROW * scale / 2) * taper(hull)
        residual = _gaussian(a - _resample(b, flow), RESIDUAL_SIGMA * scale)
        luminance = residual @ LUMA
        field[..., :2] = flow
        field[..., 2:] = (luminance * region)[..., None]
        return field
    mask = edit_mask(before, after, hull, options)
    field[..., 2:] = _gaussian(a - b, RESIDUAL_SIGMA * scale) * mask[..., None]
    return field


def apply_change(frame: np.ndarray, field: np.ndarray, transform: CropTransform, alpha: np.ndarray) -> np.ndarray:
    """The frame with a change field applied under the soft face mask `alpha` (H, W) in [0, 1].

    The field's crop-grid motion becomes a frame-pixel displacement through the crop transform, the
    real frame is resampled there once (bicubic), the residual colour is added, and the result is
    blended in under alpha. Pixels the field leaves alone, and those outside alpha, are unchanged.
    """
    return change_with_alpha(frame, field, transform, alpha)[0]


def change_with_alpha(frame: np.ndarray, field: np.ndarray, transform: CropTransform, alpha: np.ndarray,
                      still: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`apply_change`'s frame and the alpha (H, W) float32 it was blended with (`alpha` where the
    field changes a pixel). `still` (H, W) in [0, 1] scales the motion down to 0 where it is 1:
    what lies there (an occluder) is neither moved nor dragged into its surroundings."""
    out = frame.copy()
    used = np.zeros(frame.shape[:2], np.float32)
    if not field.any():
        return out, used
    x0, y0, roi_w, roi_h = cv2.boundingRect((alpha > 0).view(np.uint8))
    if roi_w == 0 or roi_h == 0:
        return out, used
    # sample the field at every ROI pixel: ROI pixels -> frame pixels -> crop pixels -> work grid
    scale = field.shape[0] / transform.size
    to_grid = np.array([[scale, 0, (scale - 1) / 2], [0, scale, (scale - 1) / 2], [0, 0, 1]])
    from_roi = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], dtype=np.float64)
    roi_to_grid = (to_grid @ transform.matrix @ from_roi)[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    motion = cv2.warpAffine(np.ascontiguousarray(field[..., :2]), roi_to_grid, (roi_w, roi_h), flags=flags,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    residual = cv2.warpAffine(np.ascontiguousarray(field[..., 2:]), roi_to_grid, (roi_w, roi_h), flags=flags,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    # a motion on the work grid -> crop pixels -> frame pixels (the inverse transform's linear part)
    to_frame = (transform.inverse[:2, :2] / scale).astype(np.float32)
    dx = to_frame[0, 0] * motion[..., 0] + to_frame[0, 1] * motion[..., 1]
    dy = to_frame[1, 0] * motion[..., 0] + to_frame[1, 1] * motion[..., 1]
    if still is not None:
        free = 1.0 - still[y0:y0 + roi_h, x0:x0 + roi_w]
        dx, dy = dx * free, dy * free
    region = frame[y0:y0 + roi_h, x0:x0 + roi_w]
    moved = (dx != 0) | (dy != 0)
    new = region.astype(np.float32)
    if moved.any():
        xs = np.arange(x0, x0 + roi_w, dtype=np.float32)[None, :]
        ys = np.arange(y0, y0 + roi_h, dtype=np.float32)[:, None]
        warped = cv2.remap(frame, xs + dx, ys + dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        new = np.where(moved[..., None], warped.astype(np.float32), new)
    new += residual
    changed = moved | residual.any(axis=-1)
    weight = np.where(changed, alpha[y0:y0 + roi_h, x0:x0 + roi_w], 0.0).astype(np.float32)
    out[y0:y0 + roi_h, x0:x0 + roi_w] = blend(region, new, weight)
    used[y0:y0 + roi_h, x0:x0 + roi_w] = weight
    return out, used
