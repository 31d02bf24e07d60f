"""Random models in the official layouts for the pipeline benchmarks (importable from bin/ scripts).

Importing this module puts the repository root first on sys.path (so the checkout's `vidinvert` is
the one imported) and tests/ after it (the test suite's model builders are reused, not copied).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _fixtures_enc import FSE_TEST_INPUT, encoder_generator, randomize_, restyle_checkpoint, restyle_encoder  # noqa: E402
from vidinvert.api import load_models  # noqa: E402
from vidinvert.models import (EncoderConfig, Generator, InversionEncoder, build_vidinvert_encoder,  # noqa: E402
                              load_encoder, save_encoder)

Models = tuple[Generator, InversionEncoder, Path]


def random_direction(folder: Path, style_dim: int = 512, seed: int = 0) -> Path:
    """An InterFaceGAN-layout (1, style_dim) direction file with random values."""
    path = folder / "random_boundary.npy"
    np.save(path, np.random.RandomState(seed).randn(1, style_dim))
    return path


def tiny_models(folder: Path) -> Models:
    """The pipeline tests' models: 32 px generator and a ReStyle pSp ResNet34 checkpoint at 64 px input,
    written in the official checkpoint layout and read back through `load_models`."""
    G = encoder_generator()
    path = folder / "restyle_psp_ffhq_encode.pt"
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False), "ResNetBackboneEncoder", G), path)
    G, E = load_models(encoder=path, device="cpu")
    return G, E, random_direction(folder)


def tiny_feature_models(folder: Path) -> Models:
    """32 px generator and a vidinvert encoder (W+ and a feature tensor) at 128 px input, read back
    from its checkpoint file."""
    G = encoder_generator()
    E = randomize_(build_vidinvert_encoder(EncoderConfig.for_generator(G, input_size=FSE_TEST_INPUT)), seed=0)
    E = load_encoder(save_encoder(E, folder / "vidinvert_encoder.pt"), device="cpu")
    return G, E, random_direction(folder)


def real_models(folder: Path, size: int = 256) -> Models:
    """A config-f generator of `size` px (average latent from 2000 samples) and the vidinvert encoder
    for it at 256 px input, random weights."""
    torch.manual_seed(0)
    G = Generator(size).eval().requires_grad_(False)
    with torch.no_grad():
        G.latent_avg.copy_(G.mean_latent(n=2000))
    E = build_vidinvert_encoder(EncoderConfig.for_generator(G, input_size=256)).eval().requires_grad_(False)
    return G, E, random_direction(folder)
