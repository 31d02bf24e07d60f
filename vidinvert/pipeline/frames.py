"""What the pipeline knows about one video frame as it moves through the stages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.face.align import CropTransform
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.video import FrameRecord


@dataclass
class FaceFrame:
    """A decoded frame and, when it has the tracked face, everything derived from that face."""

    record: FrameRecord
    landmarks: FaceLandmarks | None = None
    interpolated: bool = False
    quad: np.ndarray | None = None  # smoothed FFHQ quad (4, 2) in frame pixels
    crop: np.ndarray | None = None  # aligned uint8 RGB crop at the encoder's input size
    transform: CropTransform | None = None
    wplus: torch.Tensor | None = None  # inverted latents (n_latent, style_dim)
    feature: torch.Tensor | None = None  # inverted feature tensor (C, h, w) or None
    reconstruction: torch.Tensor | None = None  # the inversion's image (3, S, S) in [-1, 1]
    cold: bool = False  # inverted from the average latent rather than the previous frame

    @property
    def has_face(self) -> bool:
        return self.transform is not None


def to_model_input(crop: np.ndarray) -> torch.Tensor:
    """uint8 HWC RGB -> float (1, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(np.array(crop, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1.0


def to_uint8_images(images: torch.Tensor) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, H, W, 3) RGB."""
    images = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return images.permute(0, 2, 3, 1).cpu().numpy()
