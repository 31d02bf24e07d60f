"""A morph between two inversions: every frame renders their blend, W+, feature tensor and generator
weight residuals alike (E2Style Alg. 4; HyperInverter's interpolation of latents and weights)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from vidinvert.edit.mixing import blend, blend_residuals, morph_weights
from vidinvert.errors import VidinvertError
from vidinvert.images import to_uint8
from vidinvert.pipeline.frames import Latents
from vidinvert.pipeline.render_stage import Renderer


def blend_latents(a: Latents, b: Latents, weight: float) -> Latents:
    """weight * B + (1 - weight) * A, part by part."""
    if (a.feature is None) != (b.feature is None) or (a.weight_deltas is None) != (b.weight_deltas is None):
        raise VidinvertError("the two inversions come from different encoders")
    feature = None if a.feature is None else blend(a.feature, b.feature, weight)
    deltas = None if a.weight_deltas is None else blend_residuals(a.weight_deltas, b.weight_deltas, weight)
    return Latents(blend(a.wplus, b.wplus, weight), feature, deltas)


def morph_plan(frames: int, ease: str = "linear") -> list[float]:
    """Every frame's blend weight, checked before anything is loaded (vidinvert.edit.mixing.morph_weights)."""
    return morph_weights(frames, ease)


def morph_faces(renderer: Renderer, a: Latents, b: Latents, weights: list[float],
                size: int | None = None) -> Iterator[np.ndarray]:
    """The faces from A to B at `weights` (`morph_plan`) as uint8 RGB, size x size (default: the
    generator's), a render batch at a time."""
    for start in range(0, len(weights), renderer.batch_size):
        batch = [blend_latents(a, b, weight) for weight in weights[start:start + renderer.batch_size]]
        yield from to_uint8(renderer.images(batch), size)
