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

from vidinvert.errors import WeightsError
from vidinvert.models import Generator, InversionEncoder, load_encoder, load_generator

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
GENERATOR_FILE = DEMO_DIR / "generator.pt"
ENCODER_FILE = DEMO_DIR / "encoder.pt"
DIRECTIONS_DIR = DEMO_DIR / "directions"
MODEL_CARD = DEMO_DIR / "MODEL_CARD.md"


def demo_model_present() -> bool:
    """Whether this installation carries the demo model's generator and encoder."""
    return GENERATOR_FILE.is_file() and ENCODER_FILE.is_file()


def load_default_models(device: str | torch.device = "auto") -> tuple[Generator, InversionEncoder]:
    """(G, E) of the bundled demo model, on `device` ("auto": CUDA when available)."""
    from vidinvert.api import resolve_device

    if not demo_model_present():
        raise WeightsError(f"the bundled demo model is missing from {DEMO_DIR}; reinstall vidinvert, "
                           "or use your own --generator and --encoder files with `vidinvert edit`")
    device = resolve_device(device)
    G = load_generator(GENERATOR_FILE, device=device)
    E = load_encoder(ENCODER_FILE, device=device)
    log.info("using the bundled demo model (%d px, trained on CelebA: non-commercial research only; "
             "see %s)", G.size, MODEL_CARD)
    return G, E


def is_demo_generator(G: Generator) -> bool:
    """Whether `G` was loaded from the bundled generator file."""
    source = getattr(G, "source", None)
    return source is not None and os.path.exists(source) and GENERATOR_FILE.is_file() \
        and os.path.samefile(source, GENERATOR_FILE)


def model_directions_dir(G: Generator) -> Path | None:
    """The folder of directions that belong to `G` (the demo model's), or None."""
    return DIRECTIONS_DIR if is_demo_generator(G) else None
