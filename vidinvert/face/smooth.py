"""Temporal smoothing of the crop quad (centre c, half-axes x and y) along a face track.

Two streaming stages over (payload, quad or None) pairs; None marks a frame without a face and
splits the track into segments that are smoothed separately:

- smooth_quads: Gaussian over time, both sides, with a bounded look-ahead of ceil(3 sigma) frames.
  Defaults follow STIT: centre sigma 1 frame, axes sigma 3 frames (use smaller sigmas below
  24 fps). Near a segment's start and end the kernel is cut and renormalised.
- ema_quads: exponential moving average, causal (no look-ahead) for live use. On a ramp of slope r
  per frame it lags r * (1 - alpha) / alpha behind.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face.align import quad_from_params, quad_params

P = TypeVar("P")

SIGMA_CENTRE = 1.0
SIGMA_AXES = 3.0


def _kernel(sigma: float) -> np.ndarray:
    """Gaussian weights for offsets -R..R, R = ceil(3 sigma); sigma 0 means no smoothing."""
    if sigma < 0:
        raise VidinvertError(f"smoothing sigma must be >= 0 frames, got {sigma}")
    if sigma == 0:
        return np.ones(1)
    radius = math.ceil(3 * sigma)
    offsets = np.arange(-radius, radius + 1)
    return np.exp(-(offsets**2) / (2 * sigma**2))


def _weighted(values: list[np.ndarray], kernel: np.ndarray, at: int) -> np.ndarray:
    """Kernel-weighted mean of values around index `at`, renormalised over the values present."""
    radius = len(kernel) // 2
    lo, hi = max(at - radius, 0), min(at + radius + 1, len(values))
    weights = kernel[lo - at + radius: hi - at + radius]
    return np.tensordot(weights, np.stack(values[lo:hi]), axes=1) / weights.sum()


def smooth_quads(items: Iterable[tuple[P, np.ndarray | None]], *, sigma_centre: float = SIGMA_CENTRE,
                 sigma_axes: float = SIGMA_AXES) -> Iterator[tuple[P, np.ndarray | None]]:
    """Gaussian-smooth the quads of a stream of (payload, quad or None), in order, lazily.

    Holds at most ceil(3 * max sigma) frames ahead and as many behind.
    """
    k_centre, k_axes = _kernel(sigma_centre), _kernel(sigma_axes)
    radius = max(len(k_centre), len(k_axes)) // 2
    payloads: deque[P] = deque()
    centres: deque[np.ndarray] = deque()
    axes: deque[np.ndarray] = deque()
    emitted = 0  # how many entries at the front of the deques were already yielded

    def emit() -> tuple[P, np.ndarray]:
        nonlocal emitted
        c_list, a_list = list(centres), list(axes)
        c = _weighted(c_list, k_centre, emitted)
        x, y = _weighted(a_list, k_axes, emitted)
        payload = payloads[emitted]
        emitted += 1
        if emitted > radius:  # the oldest entry is no longer anybody's neighbour
            payloads.popleft()
            centres.popleft()
            axes.popleft()
            emitted -= 1
        return payload, quad_from_params(c, x, y)

    for payload, quad in items:
        if quad is None:
            while emitted < len(payloads):
                yield emit()
            payloads.clear()
            centres.clear()
            axes.clear()
            emitted = 0
            yield payload, None
            continue
        c, x, y = quad_params(quad)
        payloads.append(payload)
        centres.append(c)
        axes.append(np.stack([x, y]))
        if len(payloads) - emitted > radius:
            yield emit()
    while emitted < len(payloads):
        yield emit()


def ema_quads(items: Iterable[tuple[P, np.ndarray | None]], *, alpha_centre: float = 0.6,
              alpha_axes: float = 0.3) -> Iterator[tuple[P, np.ndarray | None]]:
    """Causal exponential moving average of the quads: s_t = s_{t-1} + alpha (v_t - s_{t-1}).

    alpha 1 means no smoothing; a frame without a face restarts the average.
    """
    for name, alpha in (("alpha_centre", alpha_centre), ("alpha_axes", alpha_axes)):
        if not 0 < alpha <= 1:
            raise VidinvertError(f"{name} must be in (0, 1], got {alpha}")
    state: tuple[np.ndarray, np.ndarray] | None = None
    for payload, quad in items:
        if quad is None:
            state = None
            yield payload, None
            continue
        c, x, y = quad_params(quad)
        a = np.stack([x, y])
        if state is not None:
            c = state[0] + alpha_centre * (c - state[0])
            a = state[1] + alpha_axes * (a - state[1])
        state = (c, a)
        yield payload, quad_from_params(c, a[0], a[1])
