"""What the pipeline knows about one video frame: an immutable record each stage extends.

A stage never changes a record it received; it returns `dataclasses.replace(frame, ...)` with the
fields it owns filled in. Frames without the tracked face keep every face field None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.face.align import CropTransform
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.video import FrameRecord


@dataclass(frozen=True)
class Latents:
    """One face's W+ latents (n_latent, style_dim), feature tensor (C, h, w) or None, and per-image
    generator weight residuals by parameter name (HyperInverter) or None."""

    wplus: torch.Tensor
    feature: torch.Tensor | None = None
    weight_deltas: dict[str, torch.Tensor] | None = None


@dataclass(frozen=True)
class FaceFrame:
    """A decoded frame and, when it has the tracked face, everything derived from that face.

    Stages fill the fields in this order: landmarks (tracking), quad (crop smoothing), crop and
    transform (alignment), inverted, reconstruction and cold (inversion), base and edited (editing),
    face and before (rendering), change (the warp/delta change stage).
    """

    record: FrameRecord
    landmarks: FaceLandmarks | None = None
    interpolated: bool = False  # landmarks bridged over a detection gap
    starts_segment: bool = False  # the face's first frame after a cut or a long gap (cold start)
    quad: np.ndarray | None = None  # smoothed FFHQ quad (4, 2) in frame pixels
    crop: np.ndarray | None = None  # aligned uint8 RGB crop at the encoder's input size
    transform: CropTransform | None = None
    inverted: Latents | None = None  # the encoder's answer
    reconstruction: torch.Tensor | None = None  # G(inverted): (3, S, S) in [-1, 1]
    cold: bool = False  # inverted from the average latent rather than the previous frame
    base: Latents | None = None  # inverted latents after temporal smoothing, before the edit
    edited: Latents | None = None  # base plus the edit offset (feature tensor corrected)
    face: np.ndarray | None = None  # the rendered face: uint8 (S, S, 3) RGB
    before: np.ndarray | None = None  # warp/delta: the face rendered from `base` (before the edit)
    near_face: np.ndarray | None = None  # warp: a strong edit's face drawn at the read limit (`Renderer.read_limit`)
    drawn_offset: float | None = None  # warp: norm of the edit offset `before` and `near_face` differ by
    change: np.ndarray | None = None  # warp/delta: the change field in crop coordinates (transfer)

    @property
    def has_face(self) -> bool:
        return self.transform is not None

    @property
    def final(self) -> Latents | None:
        """The latents the face is rendered from: the edited ones when an edit stage ran."""
        return self.edited if self.edited is not None else self.inverted

