"""Closed-form factorisation (SeFa, Shen & Zhou 2021): unsupervised directions from the weights alone.

The modulation (style affine) layers map w to per-channel styles s = A w + b. Directions that change
the styles the most are the top eigenvectors of sum_l A_l^T A_l over the chosen latent layers, with
each output channel's weight row scaled to unit norm first (as SeFa does). Eigenvectors are returned
in order of decreasing eigenvalue and apply to the chosen latent layers only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import torch

from vidinvert.edit.directions import Direction, parse_layers, save_direction
from vidinvert.discover.render import contact_sheet, parse_strengths, resolve_generator, save_image
from vidinvert.errors import VidinvertError
from vidinvert.models import Generator

log = logging.getLogger(__name__)


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


def sefa_directions(generator: str | Path | Generator | None = None, output: str | Path = "sefa",
                    layers: str | None = None, num: int = 10, include_torgb: bool = False,
                    strengths: str = "-6,-3,0,3,6", seed: int = 0, truncation: float = 0.7, tile: int = 128,
                    sheet: bool = True, weights_dir: str | Path | None = None, device: str = "auto") -> SefaResult:
    """Find SeFa directions for a generator; write OUTPUT/sefa_NN.npz, eigenvalues.json and contact_sheet.png."""
    G = resolve_generator(generator, weights_dir, device)
    chosen = parse_layers(layers) if layers else None
    if chosen and max(chosen) >= G.n_latent:
        raise VidinvertError(f"layers {layers} exceed this generator's {G.n_latent} latent layers")
    result = sefa(G.state_dict(), chosen, num, include_torgb)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    directions = result.directions()
    for d in directions:
        save_direction(d, out / f"{d.name}.npz")
    summary = {"layers": list(result.layers), "include_torgb": include_torgb,
               "eigenvalues": [round(float(e), 6) for e in result.eigenvalues]}
    (out / "eigenvalues.json").write_text(json.dumps(summary, indent=1) + "\n")
    if sheet:
        image = contact_sheet(G, directions, parse_strengths(strengths), seed, truncation, tile)
        save_image(image, out / "contact_sheet.png")
    log.info("wrote %d SeFa directions for layers %s to %s", len(directions), result.layers, out)
    return result
