"""Closed-form factorisation (SeFa, Shen & Zhou 2021): unsupervised directions from the weights alone.

The modulation (style affine) layers map w to per-channel styles s = A w + b. Directions that change
the styles the most are the top eigenvectors of sum_l A_l^T A_l over the chosen latent layers, with
each output channel's weight row scaled to unit norm first (as SeFa does). Eigenvectors are returned
in order of decreasing eigenvalue and apply to the chosen latent layers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import torch

from vidinvert.edit.directions import Direction
from vidinvert.errors import VidinvertError


@dataclass(frozen=True)
class SefaResult:
    """Unit directions (k, style_dim) by decreasing eigenvalue, their eigenvalues and latent layers."""

    vectors: torch.Tensor
    eigenvalues: torch.Tensor
    layers: tuple[int, ...]

    def directions(self, prefix: str = "sefa") -> list[Direction]:
        return [Direction(v[None].clone(), self.layers, f"{prefix}_{i:02d}", "sefa")
                for i, v in enumerate(self.vectors)]


def modulation_keys(latent: int, state: Mapping[str, torch.Tensor], include_torgb: bool = False) -> list[str]:
    """Keys of the modulation weights that read latent `latent` in a rosinality-layout state dict.

    Styled conv n reads w[n-1] (conv1 <- w[0], convs[m] <- w[m+1]); to_rgb1 reads w[1] and
    to_rgbs[j] reads w[2j+3].
    """
    keys = ["conv1.conv.modulation.weight" if latent == 0 else f"convs.{latent - 1}.conv.modulation.weight"]
    if include_torgb:
        if latent == 1:
            keys.append("to_rgb1.conv.modulation.weight")
        elif latent >= 3 and latent % 2 == 1:
            keys.append(f"to_rgbs.{(latent - 3) // 2}.conv.modulation.weight")
    return [k for k in keys if k in state]


def sefa(state: Mapping[str, torch.Tensor], layers: Sequence[int] | None = None, num: int | None = None,
         include_torgb: bool = False) -> SefaResult:
    """Factorise the modulation weights of the given latent layers (all styled convs by default)."""
    if layers is None:
        n_convs = sum(1 for k in state if k.startswith("convs.") and k.endswith(".conv.modulation.weight"))
        layers = range(n_convs + 1 if "conv1.conv.modulation.weight" in state else 0)
    weights = []
    for latent in layers:
        keys = modulation_keys(latent, state, include_torgb)
        if not keys:
            raise VidinvertError(f"latent layer {latent} drives no styled convolution of this generator")
        weights += [state[k].detach().double().cpu() for k in keys]
    if not weights:
        raise VidinvertError("no modulation weights found (not a StyleGAN2 generator in the rosinality layout?)")
    A = torch.cat(weights, dim=0)  # (sum of channels, style_dim)
    A = A / A.norm(dim=1, keepdim=True).clamp_min(1e-12)
    eigenvalues, eigenvectors = torch.linalg.eigh(A.T @ A)
    order = torch.argsort(eigenvalues, descending=True)[: num or None]
    return SefaResult(eigenvectors[:, order].T.float().contiguous(), eigenvalues[order].float(),
                      tuple(int(i) for i in layers))
