"""The metric models of one evaluation (LPIPS, identity), loaded once per process.

The official identity backbone measures ID, TL-ID and TG-ID. Without it, dlib's face-recognition
embedding (the identity extra) stands in for TL-ID and TG-ID only (`vidinvert.metrics.recognition_identity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from vidinvert.device import resolve_device
from vidinvert.metrics.identity import IdentityModel, load_identity_model
from vidinvert.metrics.perceptual import Lpips, load_lpips
from vidinvert.metrics.recognition_identity import RecognitionIdentity, load_recognition_identity
from vidinvert.metrics.unavailable import Unavailable


@dataclass
class MetricSuite:
    """Device, batch size and the optional metric models (or why each is unavailable).

    ``recognition``: dlib's embedding for TL-ID / TG-ID when ``identity`` is unavailable (None when
    the official backbone is there).
    """

    device: torch.device
    lpips: Lpips | Unavailable
    identity: IdentityModel | Unavailable
    batch_size: int = 16
    recognition: RecognitionIdentity | Unavailable | None = None

    @classmethod
    def load(
        cls,
        device: str = "cpu",
        identity_weights: str | Path | None = None,
        lpips: bool = True,
        batch_size: int = 16,
        weights_dir: str | Path | None = None,
    ) -> MetricSuite:
        """Load LPIPS (unless ``lpips`` is False) and the identity model from what is on disk."""
        device = resolve_device(device)
        perceptual = load_lpips(device) if lpips else Unavailable("lpips", "disabled (--no-lpips)")
        identity = load_identity_model(identity_weights, device=device, weights_dir=weights_dir)
        recognition = load_recognition_identity() if isinstance(identity, Unavailable) else None
        return cls(device, perceptual, identity, batch_size, recognition)

    def temporal_identity(self) -> IdentityModel | RecognitionIdentity | None:
        """The model that embeds the crops for TL-ID / TG-ID: the official one, else dlib's, else None."""
        for model in (self.identity, self.recognition):
            if isinstance(model, (IdentityModel, RecognitionIdentity)):
                return model
        return None

    def sources(self) -> dict[str, str | None]:
        """What each loaded model is (weights file or variant); None for unavailable ones."""
        temporal = self.temporal_identity()
        return {
            "lpips": None if isinstance(self.lpips, Unavailable) else "LPIPS v0.1, AlexNet trunk",
            "identity": None if isinstance(self.identity, Unavailable) else self.identity.source,
            "tl_id/tg_id identity": None if temporal is None else temporal.source,
        }

    def unavailable(self) -> dict[str, str]:
        """Reasons of the models that could not be loaded, by metric name."""
        models = (self.lpips, self.identity, self.recognition)
        return {m.metric: m.reason for m in models if isinstance(m, Unavailable)}
