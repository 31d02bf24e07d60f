"""Style mixing and interpolation of two inversions: the latent arithmetic alone.

- Layer mixing (E2Style, Alg. 3): the content's W+ with some layers replaced by the style's.
  E2Style replaces the last 11 of StyleGAN2's 18 layers (the content keeps layers 0-6);
  `style_layers` scales that split to a generator with another number of layers.
- Feature tensor mixing (FeatureStyleEncoder, Fig. 8): G(F_A, w_B), the feature tensor of one
  image with the latents of the other, taken as they are (no Eq. 1 correction). The feature tensor
  stands in for the activation the latents before it would make; those latents then reach the
  image only through the skip RGB of the layers before it.
- Interpolation (E2Style, Alg. 4; HyperInverter, 4.6): I = G(lambda B + (1 - lambda) A) for W+,
  and the same blend for feature tensors and generator weight residuals.
"""

from __future__ import annotations

from typing import Mapping

import torch

from vidinvert.config import EASES
from vidinvert.edit.directions import parse_layers
from vidinvert.errors import VidinvertError

#: E2Style's split: of 18 layers, the content keeps the first 7 and the style gives the other 11.
E2STYLE_LAYERS = 18
E2STYLE_CONTENT_LAYERS = 7


def style_layers(n_latent: int) -> tuple[int, ...]:
    """The layers the style gives by default: E2Style's split scaled to `n_latent` layers (7-17 of 18)."""
    first = round(n_latent * E2STYLE_CONTENT_LAYERS / E2STYLE_LAYERS)
    return tuple(range(first, n_latent))


def mix_layers(spec: str | None, n_latent: int) -> tuple[int, ...]:
    """`--layers` ('7-17', '4,6-9') checked against the generator's layers; None: `style_layers`."""
    if spec is None:
        return style_layers(n_latent)
    layers = parse_layers(spec)
    if layers[-1] >= n_latent:
        raise VidinvertError(f"--layers {spec}: the generator has layers 0-{n_latent - 1}")
    return layers


def mix_wplus(content: torch.Tensor, style: torch.Tensor, layers: tuple[int, ...]) -> torch.Tensor:
    """W+ (..., n_latent, D) of the content with `layers` taken from the style (same shape, or one
    (n_latent, D) style for every content entry)."""
    mixed = content.clone()
    mixed[..., list(layers), :] = style[..., list(layers), :].to(content)
    return mixed


def blend(a: torch.Tensor, b: torch.Tensor, weight: float) -> torch.Tensor:
    """weight * b + (1 - weight) * a: A at 0, B at 1."""
    return weight * b + (1 - weight) * a


def blend_residuals(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor],
                    weight: float) -> dict[str, torch.Tensor]:
    """Generator weight residuals blended parameter by parameter."""
    if set(a) != set(b):
        raise VidinvertError("the two inversions carry residuals for different generator weights")
    return {name: blend(a[name], b[name], weight) for name in a}


def ease(t: float, kind: str = "linear") -> float:
    """The blend weight at the fraction `t` of a morph: linear, or smooth (smoothstep: slow at both ends)."""
    if kind == "linear":
        return t
    if kind == "smooth":
        return t * t * (3.0 - 2.0 * t)
    raise VidinvertError(f"unknown ease {kind!r}; choose one of {', '.join(EASES)}")


def morph_weights(frames: int, kind: str = "linear") -> list[float]:
    """The blend weight of every frame of a morph: 0 on the first frame (A), 1 on the last (B)."""
    if frames < 2:
        raise VidinvertError(f"a morph needs 2 frames or more (A and B), got {frames}")
    return [ease(i / (frames - 1), kind) for i in range(frames)]
