"""Random small similarity transforms and colour changes: the 'previous frame' of warm-start training."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def jitter(images: torch.Tensor, shift: float = 0.03, rotate_deg: float = 3.0, scale: float = 0.03,
           colour: float = 0.05) -> torch.Tensor:
    """Each (B, 3, H, W) image in [-1, 1] shifted (fraction of the side), rotated, scaled and recoloured.

    Amounts are drawn uniformly within +-the given bounds from torch's global generator; borders
    are filled by reflection.
    """
    b = images.shape[0]

    def uniform(bound: float, *shape: int) -> torch.Tensor:
        return (torch.rand(b, *shape, device=images.device) * 2 - 1) * bound

    angle = uniform(math.radians(rotate_deg))
    zoom = 1 + uniform(scale)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, uniform(2 * shift)], 1),
                         torch.stack([sin, cos, uniform(2 * shift)], 1)], 1)
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    gain = 1 + uniform(colour, 3, 1, 1)
    offset = uniform(colour, 3, 1, 1)
    return (moved * gain + offset).clamp(-1, 1)
