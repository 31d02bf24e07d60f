"""Identity-network files in the official layouts with random weights (for the ID metrics)."""

from __future__ import annotations

from pathlib import Path

import torch

from _fixtures_enc import randomize_
from vidinvert.models.identity import IR_SE50, IdentityBackbone, IdentityLayout


def write_identity_file(path: Path, layout: IdentityLayout = IR_SE50, seed: int = 0) -> Path:
    """Save a random-weight backbone of ``layout`` as a bare state dict (the official file format)."""
    torch.manual_seed(seed)
    backbone = randomize_(IdentityBackbone(layout), seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(backbone.state_dict(), path)
    return path
