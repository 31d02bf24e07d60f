"""Tiny random models in the official layouts, for tests."""

from __future__ import annotations

import torch

from vidinvert.models.stylegan2 import Generator

TINY_CHANNELS = {4: 32, 8: 32, 16: 16, 32: 8}


def random_generator(size: int, style_dim: int, channels: dict[int, int], seed: int = 0) -> Generator:
    """A StyleGAN2 with random weights and non-zero noise strengths, biases and latent_avg."""
    torch.manual_seed(seed)
    G = Generator(size, style_dim=style_dim, n_mlp=2, channels=channels)
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith(("noise.weight", "activate.bias", ".bias")) and "modulation" not in name:
                p.normal_(0, 0.1)
        G.latent_avg.normal_()
    return G.eval().requires_grad_(False)


def tiny_generator(seed: int = 0, size: int = 32, style_dim: int = 64) -> Generator:
    """A small StyleGAN2 with random weights (non-zero noise strengths, biases and latent_avg)."""
    channels = {res: TINY_CHANNELS.get(res, 8) for res in (2 ** i for i in range(2, size.bit_length()))}
    return random_generator(size, style_dim, channels, seed)
