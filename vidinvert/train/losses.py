"""Encoder training losses (FeatureStyleEncoder, sec. 4.1) and what replaces the ones needing absent weights.

LPIPS weights cannot be shipped or fetched, so the multi-scale perceptual term is replaced by
`multiscale_pixel_loss`: at scales 1, 1/2 and 1/4 (the seed's three scales), the mean squared
error of the images plus that of their horizontal and vertical finite differences (which
weights edges and fine detail, the part plain MSE blurs). The identity term is used only when an
identity model file is given.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vidinvert.metrics.identity import IdentityModel

SCALES = 3


def gradient_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """MSE of horizontal and vertical finite differences of two (B, C, H, W) batches."""
    dx = (a[..., :, 1:] - a[..., :, :-1]) - (b[..., :, 1:] - b[..., :, :-1])
    dy = (a[..., 1:, :] - a[..., :-1, :]) - (b[..., 1:, :] - b[..., :-1, :])
    return dx.pow(2).mean() + dy.pow(2).mean()


def multiscale_pixel_loss(output: torch.Tensor, target: torch.Tensor, scales: int = SCALES) -> torch.Tensor:
    """Sum over `scales` halvings of pixel MSE plus gradient MSE (the stand-in for multi-scale LPIPS)."""
    total = output.new_zeros(())
    for i in range(scales):
        if i:
            output, target = F.avg_pool2d(output, 2), F.avg_pool2d(target, 2)
        total = total + F.mse_loss(output, target) + gradient_mse(output, target)
    return total


def identity_loss(model: IdentityModel, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - cosine similarity of the identity embeddings (images in [-1, 1])."""
    a = model.embed((output + 1) / 2)
    b = model.embed((target + 1) / 2).detach()
    return (1 - (a * b).sum(1)).mean()
