"""The metric models of one evaluation (LPIPS, identity), loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from vidinvert.device import resolve_device
from vidinvert.metrics.identity import IdentityModel, load_identity_model
from vidinvert.metrics.perceptual import Lpips, load_lpips
from vidinvert.metrics.unavailable import Unavailable


@dataclass
class MetricSuite:
    """Device, batch size and the optional metric models (or why each is unavailable)."""

    device: torch.device
    lpips: Lpips | Unavailable
    identity: IdentityModel | Unavailable
    batch_size: int = 16

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
        return cls(device, perceptual, identity, batch_size)

    def sources(self) -> dict[str, str | None]:
        """What each loaded model is (weights file or variant); None for unavailable ones."""
        return {
            "lpips": None if isinstance(self.lpips, Unavailable) else "LPIPS v0.1, AlexNet trunk",
            "identity": None if isinstance(self.identity, Unavailable) else self.identity.source,
        }

    def unavailable(self) -> dict[str, str]:
        """Reasons of the models that could not be loaded, by metric name."""
        return {m.metric: m.reason for m in (self.lpips, self.identity) if isinstance(m, Unavailable)}
