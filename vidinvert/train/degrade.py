"""Degradations a restoration encoder is trained on (E2Style, Alg. 5): the encoder sees the degraded
face, every loss compares against the clean one.

All take and return (B, 3, H, W) batches in [-1, 1]:
- `sr4`, `sr8`: area-filtered down by 4 (8) and bilinearly back up to the input size, so the result
  is a function of the (H/4, W/4) image alone;
- `gray`: luma (ITU-R BT.601 weights) in all three channels;
- `inpaint`: random holes (one to three rectangles and one to three brush strokes) filled with
  `HOLE_FILL`, 0, the middle grey; every pixel outside the holes is left as it was.

Randomness (the holes) comes from `generator`, or torch's global generator when none is given (the
trainer's, saved in its checkpoints).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vidinvert.errors import VidinvertError

DEGRADATIONS = ("inpaint", "sr4", "sr8", "gray")
HOLE_FILL = 0.0
LUMA = (0.299, 0.587, 0.114)
#: Rectangle sides and stroke widths as fractions of the image side.
RECT_SIDE = (0.15, 0.45)
STROKE_WIDTH = (0.04, 0.09)
STROKE_SEGMENTS = 4


def check_degradation(mode: str | None) -> str | None:
    """`mode` itself when it names a degradation (or is None); a VidinvertError otherwise."""
    if mode is not None and mode not in DEGRADATIONS:
        raise VidinvertError(f"unknown degradation {mode!r}; choose from {', '.join(DEGRADATIONS)}")
    return mode


def degrade(x: torch.Tensor, mode: str | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """`x` degraded by `mode` (None: `x` itself)."""
    if check_degradation(mode) is None:
        return x
    if mode == "gray":
        return grayscale(x)
    if mode == "inpaint":
        return fill_holes(x, hole_masks(len(x), x.shape[-2], x.shape[-1], generator, x.device))
    return low_resolution(x, int(mode[2:]))


def low_resolution(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Area-filtered down by `factor`, bilinearly back up to the input size."""
    h, w = x.shape[-2:]
    if h % factor or w % factor:
        raise VidinvertError(f"a {w}x{h} image cannot be shrunk by {factor}")
    small = F.avg_pool2d(x, factor)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def grayscale(x: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True).expand_as(x).contiguous()


def fill_holes(x: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
    """`x` with the pixels where `holes` (B, 1, H, W) bool is set replaced by `HOLE_FILL`."""
    return torch.where(holes, torch.full_like(x, HOLE_FILL), x)


def hole_masks(n: int, h: int, w: int, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu") -> torch.Tensor:
    """(n, 1, h, w) bool: one to three rectangles and one to three brush strokes per image."""
    def uniform(shape, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(shape, generator=generator)

    def count() -> torch.Tensor:
        return torch.randint(1, 4, (n,), generator=generator)

    side = min(h, w)
    rows = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    masks = torch.zeros(n, h, w, dtype=torch.bool)
    n_rects, n_strokes = count(), count()
    for k in range(3):
        size = uniform((n, 2), *RECT_SIDE) * side
        corner = uniform((n, 2), 0, 1) * (torch.tensor([h, w]) - size)
        top, left = corner[:, 0].view(n, 1, 1), corner[:, 1].view(n, 1, 1)
        inside = ((rows >= top) & (rows < top + size[:, 0].view(n, 1, 1))
                  & (cols >= left) & (cols < left + size[:, 1].view(n, 1, 1)))
        masks |= inside & (k < n_rects).view(n, 1, 1)
    for k in range(3):
        masks |= _stroke(n, h, w, rows, cols, uniform) & (k < n_strokes).view(n, 1, 1)
    return masks.unsqueeze(1).to(device)


def _stroke(n: int, h: int, w: int, rows: torch.Tensor, cols: torch.Tensor, uniform) -> torch.Tensor:
    """A free-form brush stroke per image: a chain of thick segments from a random point."""
    side = min(h, w)
    radius = (uniform((n,), *STROKE_WIDTH) * side / 2).view(n, 1, 1)
    point = uniform((n, 2), 0, 1) * torch.tensor([h, w])
    mask = torch.zeros(n, h, w, dtype=torch.bool)
    for _ in range(STROKE_SEGMENTS):
        angle = uniform((n,), 0, 2 * torch.pi)
        length = uniform((n,), 0.1, 0.3) * side
        end = point + torch.stack([torch.sin(angle), torch.cos(angle)], dim=1) * length.unsqueeze(1)
        end = torch.minimum(torch.maximum(end, torch.zeros(2)), torch.tensor([h - 1.0, w - 1.0]))
        mask |= _near_segment(rows, cols, point, end, radius)
        point = end
    return mask


def _near_segment(rows: torch.Tensor, cols: torch.Tensor, start: torch.Tensor, end: torch.Tensor,
                  radius: torch.Tensor) -> torch.Tensor:
    """Pixels within `radius` of the segment start-end, per image."""
    n = len(start)
    d = end - start
    length2 = d.pow(2).sum(1).clamp_min(1e-6).view(n, 1, 1)
    t = (((rows - start[:, 0].view(n, 1, 1)) * d[:, 0].view(n, 1, 1)
          + (cols - start[:, 1].view(n, 1, 1)) * d[:, 1].view(n, 1, 1)) / length2).clamp(0, 1)
    dy = rows - (start[:, 0].view(n, 1, 1) + t * d[:, 0].view(n, 1, 1))
    dx = cols - (start[:, 1].view(n, 1, 1) + t * d[:, 1].view(n, 1, 1))
    return dy.pow(2) + dx.pow(2) <= radius.pow(2)
