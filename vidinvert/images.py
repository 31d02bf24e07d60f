"""Conversions between images at the edges (uint8 HWC RGB) and inside the models (float NCHW in [-1, 1])."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def to_model_input(images: np.ndarray) -> torch.Tensor:
    """uint8 RGB (H, W, 3) or (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    tensor = torch.from_numpy(np.array(images, dtype=np.float32))  # a copy: frames may be read-only views
    if tensor.ndim == 3:
        tensor = tensor[None]
    return tensor.permute(0, 3, 1, 2) / 127.5 - 1.0


def to_uint8(images: torch.Tensor, size: int | None = None) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, size, size, 3) RGB, area-resized when size is given."""
    images = images.detach().float()
    if size is not None and size != images.shape[-1]:
        images = F.interpolate(images, size=(size, size), mode="area" if size < images.shape[-1] else "bilinear")
    out = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return out.permute(0, 2, 3, 1).cpu().numpy()
