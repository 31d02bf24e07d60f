"""Temporal smoothing of the crop quad (centre c, half-axes x and y) along a face track.

Two streaming stages over (payload, quad or None) pairs; None marks a frame without a face and
splits the track into segments that are smoothed separately. Both run the latent filters of
`vidinvert.temporal` on the quad's parameters stacked as rows [c, x, y], the centre row with
its own strength:

- smooth_quads: Gaussian over time, both sides, with a bounded look-ahead of ceil(3 sigma) frames.
  Defaults follow STIT: centre sigma 1 frame, axes sigma 3 frames (use smaller sigmas below
  24 fps). Near a segment's start and end the kernel is cut and renormalised.
- ema_quads: exponential moving average, causal (no look-ahead) for live use. On a ramp of slope r
  per frame it lags r * (1 - alpha) / alpha behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

from vidinvert.concurrency import tee
from vidinvert.temporal import EMAFilter, GaussianFilter, LayerGroups, TemporalFilter
from vidinvert.errors import VidinvertError
from vidinvert.face.align import quad_from_params, quad_params

P = TypeVar("P")

SIGMA_CENTRE = 1.0
SIGMA_AXES = 3.0


def _centre_and_axes(centre: float, axes: float) -> LayerGroups:
    """One parameter for row 0 (the centre) and another for rows 1-2 (the axes)."""
    return LayerGroups(centre, axes, axes, middle_start=1, fine_start=3)


def _filtered(items: Iterable[tuple[P, np.ndarray | None]], smoother: TemporalFilter) -> Iterator[tuple[P, np.ndarray | None]]:
    payloads, quads = tee(items)
    rows = (None if quad is None else np.stack(quad_params(quad)) for _, quad in quads)
    for (payload, _), smoothed in zip(payloads, smoother(rows)):
        yield payload, None if smoothed is None else quad_from_params(*smoothed)


def smooth_quads(items: Iterable[tuple[P, np.ndarray | None]], *, sigma_centre: float = SIGMA_CENTRE,
                 sigma_axes: float = SIGMA_AXES) -> Iterator[tuple[P, np.ndarray | None]]:
    """Gaussian-smooth the quads of a stream of (payload, quad or None), in order, lazily.

    Holds at most ceil(3 * max sigma) frames ahead and as many behind.
    """
    for name, sigma in (("sigma_centre", sigma_centre), ("sigma_axes", sigma_axes)):
        if sigma < 0:
            raise VidinvertError(f"smoothing sigma must be >= 0 frames, got {name}={sigma}")
    return _filtered(items, GaussianFilter(_centre_and_axes(sigma_centre, sigma_axes), layer_axis=0))


def ema_quads(items: Iterable[tuple[P, np.ndarray | None]], *, alpha_centre: float = 0.6,
              alpha_axes: float = 0.3) -> Iterator[tuple[P, np.ndarray | None]]:
    """Causal exponential moving average of the quads: s_t = s_{t-1} + alpha (v_t - s_{t-1}).

    alpha 1 means no smoothing; a frame without a face restarts the average.
    """
    for name, alpha in (("alpha_centre", alpha_centre), ("alpha_axes", alpha_axes)):
        if not 0 < alpha <= 1:
            raise VidinvertError(f"{name} must be in (0, 1], got {alpha}")
    return _filtered(items, EMAFilter(_centre_and_axes(alpha_centre, alpha_axes), layer_axis=0))
