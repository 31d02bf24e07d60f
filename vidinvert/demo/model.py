"""The bundled demo model: a small StyleGAN2 and encoder trained on CelebA (see MODEL_CARD.md).

Files live in `vidinvert/data/demo/`: `generator.pt` (rosinality `g_ema` layout), `encoder.pt`
(vidinvert-encoder, float16 weights), `directions/` (directions found for this generator only,
searched only while it is the generator in use) and `MODEL_CARD.md`.
"""

from __future__ import annotations

import logging

import torch

from vidinvert.demo import paths
from vidinvert.device import resolve_device
from vidinvert.errors import WeightsError
from vidinvert.models import LoadedModels, load_encoder, load_generator
from vidinvert.notices import notice

log = logging.getLogger(__name__)

DEMO_SOURCE = "bundled demo model"


def load_default_models(device: str | torch.device = "auto") -> LoadedModels:
    """The bundled demo model (G, E and its directions), on `device` ("auto": CUDA when available)."""
    if not paths.demo_model_present():
        raise WeightsError(f"the bundled demo model is missing from {paths.DEMO_DIR}; reinstall vidinvert, "
                           "or use your own --generator and --encoder files with `vidinvert edit`")
    device = resolve_device(device)
    G = load_generator(paths.GENERATOR_FILE, device=device)
    E = load_encoder(paths.ENCODER_FILE, device=device)
    notice(log, "using the bundled demo model (%d px, trained on CelebA: non-commercial research only; see %s)",
           G.size, paths.MODEL_CARD)
    return LoadedModels(G, E, paths.DIRECTIONS_DIR, DEMO_SOURCE)
