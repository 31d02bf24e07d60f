"""The bundled demo model: a small StyleGAN2 and encoder trained on CelebA (see MODEL_CARD.md).

Files live in `vidinvert/data/demo/`: `generator.pt` (rosinality `g_ema` layout), `encoder.pt`
(vidinvert-encoder, float16 weights), `directions/` (directions found for this generator only,
searched only while it is the generator in use) and `MODEL_CARD.md`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from vidinvert.demo import paths
from vidinvert.device import resolve_device
from vidinvert.errors import WeightsError
from vidinvert.models import Generator, InversionEncoder, load_encoder, load_generator
from vidinvert.notices import notice

log = logging.getLogger(__name__)


def load_default_models(device: str | torch.device = "auto") -> tuple[Generator, InversionEncoder]:
    """(G, E) of the bundled demo model, on `device` ("auto": CUDA when available)."""
    if not paths.demo_model_present():
        raise WeightsError(f"the bundled demo model is missing from {paths.DEMO_DIR}; reinstall vidinvert, "
                           "or use your own --generator and --encoder files with `vidinvert edit`")
    device = resolve_device(device)
    G = load_generator(paths.GENERATOR_FILE, device=device)
    E = load_encoder(paths.ENCODER_FILE, device=device)
    notice(log, "using the bundled demo model (%d px, trained on CelebA: non-commercial research only; see %s)",
           G.size, paths.MODEL_CARD)
    return G, E


def is_demo_generator(G: Generator) -> bool:
    """Whether `G` was loaded from the bundled generator file."""
    source = getattr(G, "source", None)
    return source is not None and os.path.exists(source) and paths.GENERATOR_FILE.is_file() \
        and os.path.samefile(source, paths.GENERATOR_FILE)


def model_directions_dir(G: Generator) -> Path | None:
    """The folder of directions that belong to `G` (the demo model's), or None."""
    return paths.DIRECTIONS_DIR if is_demo_generator(G) else None
