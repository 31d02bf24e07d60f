"""Editing an inversion that carries a feature tensor (FeatureStyleEncoder, paper Eq. 1).

The image of an inversion (w, F) is G(F, w): F replaces the activation after styled convolution K.
Edits of the latents that feed convolutions 1..K would be lost, so F is corrected by how the
generator's own activation moves: F' = F + G_K(w') - G_K(w). Styled convolution n reads latent
w[n-1] (conv1 <- w[0], convs[m] <- w[m+1]), so G_K depends on w[0..K-1] only: for FFHQ's K = 5
(convs[3], the second 16x16 convolution) that is latents 0-4. An edit that leaves those latents
alone needs no correction and costs no generator call.

All three generator calls (G_K(w), G_K(w'), G(F', w')) must see the same noise; `fixed_noise`
turns a "random" request into one drawn list that is then reused.
"""

from __future__ import annotations

from typing import Sequence

import torch

from vidinvert.edit.directions import Direction, apply_edits
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec


def fixed_noise(G: Generator, noise: NoiseSpec, batch: int, seed: int | None = None) -> NoiseSpec:
    """A noise spec that gives the same noise on every call: 'random' becomes one drawn list."""
    if noise != "random":
        return noise
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed if seed is not None else torch.seed())
    stored = G.noise_list("stored")
    return [torch.randn(batch, 1, *buf.shape[-2:], generator=gen).to(buf.device) for buf in stored]


def edit_feature(G: Generator, feature: torch.Tensor, w: torch.Tensor, w_edited: torch.Tensor,
                 feature_index: int = 5, noise: NoiseSpec = "stored") -> torch.Tensor:
    """F' = F + G_K(w_edited) - G_K(w); F itself when the edit leaves latents 0..K-1 unchanged."""
    feeding = slice(0, feature_index)
    if torch.equal(w[:, feeding], w_edited[:, feeding]):
        return feature
    before = G.features(w, index=feature_index, noise=noise)
    after = G.features(w_edited, index=feature_index, noise=noise)
    return feature + (after - before).to(feature.dtype)


@torch.no_grad()
def render_edited(G: Generator, w: torch.Tensor, edits: Sequence[tuple[Direction, float | torch.Tensor]],
                  feature: torch.Tensor | None = None, feature_index: int = 5,
                  noise: NoiseSpec = "stored") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Apply edits to an inversion (w, optional F) and render it.

    Returns (image, edited w, edited F or None); the same noise is used in every generator call.
    """
    noise = fixed_noise(G, noise, w.shape[0])
    w_edited = apply_edits(w, edits)
    if feature is None:
        return G.synthesize(w_edited, noise=noise), w_edited, None
    feature_edited = edit_feature(G, feature, w, w_edited, feature_index, noise)
    image = G.synthesize(w_edited, noise=noise, feature=feature_edited, feature_index=feature_index)
    return image, w_edited, feature_edited
