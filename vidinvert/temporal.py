"""Temporal filters for per-frame arrays (W+ latents, feature tensors, edit offsets).

Every filter maps an iterator of per-frame arrays (numpy or torch, any shape) to an iterator of
filtered arrays of the same kind, one out per one in, in order. ``None`` items are frames without
a face: they pass through and split the sequence (no smoothing across them).

- `GaussianFilter`: offline, both sides, over a bounded window; it looks ``latency`` frames ahead
  and never holds more than ``2 * latency + 1`` frames. At sequence ends the kernel is cut and
  renormalised over the frames that exist.
- `EMAFilter` and `OneEuroFilter`: causal (no look-ahead) for streaming.

Strengths may differ per W+ layer group (`LayerGroups`: coarse 0-3, middle 4-7, fine 8+), taken
along ``layer_axis`` of each frame's array (-2 for a (n_latent, 512) latent).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol, TypeVar, Union

import numpy as np
import torch

from vidinvert.errors import VidinvertError

Array = TypeVar("Array", np.ndarray, torch.Tensor)


@dataclass(frozen=True)
class LayerGroups:
    """One filter parameter per W+ layer group: layers [0, middle_start), [middle_start, fine_start), rest."""

    coarse: float
    middle: float
    fine: float
    middle_start: int = 4
    fine_start: int = 8

    def per_layer(self, n_layers: int) -> np.ndarray:
        """The parameter of each of n_layers layers."""
        idx = np.arange(n_layers)
        return np.where(idx < self.middle_start, self.coarse, np.where(idx < self.fine_start, self.middle, self.fine))

    def values(self) -> tuple[float, float, float]:
        return (self.coarse, self.middle, self.fine)


Param = Union[float, LayerGroups]


class TemporalFilter(Protocol):
    """A per-frame filter: iterator of arrays (or None) in, iterator of arrays (or None) out."""

    latency: int  # frames of look-ahead before the first output

    def __call__(self, frames: Iterable[Array | None]) -> Iterator[Array | None]: ...


def _param_like(param: Param, like: Array, layer_axis: int) -> float | Array:
    """A parameter as a scalar or as an array broadcasting along layer_axis of `like`."""
    if not isinstance(param, LayerGroups):
        return float(param)
    axis = layer_axis % like.ndim
    values = param.per_layer(like.shape[axis])
    shape = [1] * like.ndim
    shape[axis] = -1
    values = values.reshape(shape)
    if isinstance(like, torch.Tensor):
        return torch.as_tensor(values, dtype=like.dtype, device=like.device)
    return values.astype(like.dtype if like.dtype.kind == "f" else np.float64)


class GaussianFilter:
    """Two-sided Gaussian smoothing over time with a bounded look-ahead.

    sigma: standard deviation in frames (0 = no smoothing), per layer group if a LayerGroups.
    truncate: the window reaches ``ceil(truncate * sigma)`` frames to each side.
    """

    def __init__(self, sigma: Param, truncate: float = 3.0, layer_axis: int = -2) -> None:
        sigmas = sigma.values() if isinstance(sigma, LayerGroups) else (sigma,)
        if any(s < 0 for s in sigmas) or truncate <= 0:
            raise VidinvertError("Gaussian smoothing needs sigma >= 0 and truncate > 0")
        self.sigma = sigma
        self.truncate = truncate
        self.layer_axis = layer_axis
        self.latency = max(self._radius(s) for s in sigmas)

    def _radius(self, sigma: float) -> int:
        return int(math.ceil(self.truncate * sigma)) if sigma > 0 else 0

    def _weights(self, sigma: float) -> np.ndarray:
        offsets = np.arange(-self.latency, self.latency + 1, dtype=np.float64)
        if sigma == 0:
            return (offsets == 0).astype(np.float64)
        w = np.exp(-0.5 * (offsets / sigma) ** 2)
        w[np.abs(offsets) > self._radius(sigma)] = 0.0
        return w

    def __call__(self, frames: Iterable[Array | None]) -> Iterator[Array | None]:
        if isinstance(self.sigma, LayerGroups):
            kernels = [self._weights(s) for s in self.sigma.values()]
        else:
            kernels = [self._weights(float(self.sigma))]
        window: deque = deque()  # frames of the current segment, oldest first
        first = 0  # segment index of window[0]
        next_out = 0  # segment index of the next frame to emit
        for frame in frames:
            if frame is None:
                while next_out < first + len(window):
                    yield self._smooth(window, first, next_out, kernels)
                    next_out += 1
                window.clear()
                first = next_out = 0
                yield None
                continue
            window.append(frame)
            while next_out + self.latency < first + len(window):
                yield self._smooth(window, first, next_out, kernels)
                next_out += 1
                while window and first < next_out - self.latency:
                    window.popleft()
                    first += 1
        while next_out < first + len(window):
            yield self._smooth(window, first, next_out, kernels)
            next_out += 1

    def _smooth(self, window: deque, first: int, centre: int, kernels: list[np.ndarray]) -> Array:
        like = window[0]
        lo = max(first, centre - self.latency)
        hi = min(first + len(window), centre + self.latency + 1)
        taps = [k[lo - centre + self.latency: hi - centre + self.latency] for k in kernels]
        taps = [t / t.sum() for t in taps]
        if len(kernels) == 1:
            out = None
            for j, weight in zip(range(lo, hi), taps[0]):
                if weight:
                    term = window[j - first] * float(weight)
                    out = term if out is None else out + term
            return out
        # one weight per layer group: build each tap's per-layer weights and broadcast them
        out = None
        for i, j in enumerate(range(lo, hi)):
            groups = LayerGroups(taps[0][i], taps[1][i], taps[2][i],
                                 self.sigma.middle_start, self.sigma.fine_start)
            term = window[j - first] * _param_like(groups, like, self.layer_axis)
            out = term if out is None else out + term
        return out


class CausalFilter:
    """A filter that sees each frame once, in order: subclasses give `step` and `reset`.

    A frame without a face (None) passes through and restarts the filter.
    """

    latency = 0

    def reset(self) -> None:
        raise NotImplementedError

    def step(self, frame: Array) -> Array:
        raise NotImplementedError

    def __call__(self, frames: Iterable[Array | None]) -> Iterator[Array | None]:
        self.reset()
        for frame in frames:
            if frame is None:
                self.reset()
                yield None
            else:
                yield self.step(frame)


class EMAFilter(CausalFilter):
    """Causal exponential moving average: y_t = (1 - alpha) y_{t-1} + alpha x_t; alpha 1 = no smoothing.

    A ramp of slope v is followed with a steady lag of (1 - alpha) / alpha frames.
    """

    def __init__(self, alpha: Param, layer_axis: int = -2) -> None:
        alphas = alpha.values() if isinstance(alpha, LayerGroups) else (alpha,)
        if any(not 0 < a <= 1 for a in alphas):
            raise VidinvertError("EMA smoothing needs 0 < alpha <= 1")
        self.alpha = alpha
        self.layer_axis = layer_axis
        self._state = None

    def reset(self) -> None:
        """Forget the past (e.g. after a cut or a frame without a face)."""
        self._state = None

    def step(self, frame: Array) -> Array:
        """Filter one frame."""
        if self._state is None:
            self._state = frame
        else:
            alpha = _param_like(self.alpha, frame, self.layer_axis)
            self._state = self._state * (1 - alpha) + frame * alpha  # exact pass-through at alpha 1
        return self._state



class OneEuroFilter(CausalFilter):
    """Causal one-euro filter (Casiez et al. 2012), element-wise.

    min_cutoff (Hz) sets the smoothing of slow motion (lower = smoother), beta how fast the cutoff
    rises with speed (less lag on fast motion), d_cutoff the smoothing of the speed estimate.
    """

    def __init__(self, min_cutoff: Param = 1.0, beta: float = 0.0, d_cutoff: float = 1.0, fps: float = 30.0,
                 layer_axis: int = -2) -> None:
        cutoffs = min_cutoff.values() if isinstance(min_cutoff, LayerGroups) else (min_cutoff,)
        if any(c <= 0 for c in cutoffs) or beta < 0 or d_cutoff <= 0 or fps <= 0:
            raise VidinvertError("one-euro smoothing needs min_cutoff > 0, beta >= 0, d_cutoff > 0 and fps > 0")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.fps = fps
        self.layer_axis = layer_axis
        self._value = None
        self._speed = None

    def _alpha(self, cutoff):
        return 1.0 / (1.0 + self.fps / (2.0 * math.pi * cutoff))

    def reset(self) -> None:
        """Forget the past (e.g. after a cut or a frame without a face)."""
        self._value = None
        self._speed = None

    def step(self, frame: Array) -> Array:
        """Filter one frame."""
        if self._value is None:
            self._value = frame
            self._speed = frame * 0
            return frame
        speed = (frame - self._value) * self.fps
        self._speed = self._speed + self._alpha(self.d_cutoff) * (speed - self._speed)
        cutoff = _param_like(self.min_cutoff, frame, self.layer_axis) + self.beta * abs(self._speed)
        self._value = self._value + self._alpha(cutoff) * (frame - self._value)
        return self._value



class Identity:
    """No smoothing."""

    latency = 0

    def __call__(self, frames: Iterable[Array | None]) -> Iterator[Array | None]:
        yield from frames


FILTER_KINDS = ("none", "gaussian", "ema", "one-euro")


def parse_filter(spec: str, fps: float = 30.0, layer_axis: int = -2, layer_groups: bool = True) -> TemporalFilter:
    """Build a filter from a spec: ``none``, ``gaussian:SIGMA``, ``gaussian:COARSE,MIDDLE,FINE``,
    ``ema:ALPHA[,MIDDLE,FINE]``, ``one-euro:MIN_CUTOFF[,MIDDLE,FINE][:beta=B]`` (sigma in frames,
    cutoff in Hz; three values are per layer group coarse 0-3, middle 4-7, fine 8+, allowed only
    when `layer_groups`, i.e. for W+ latents and edit offsets, not feature tensors)."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    if kind not in FILTER_KINDS:
        raise VidinvertError(f"unknown smoothing {spec!r}; choose one of {', '.join(FILTER_KINDS)}")
    if kind == "none":
        return Identity()
    values_text, _, options_text = rest.partition(":")
    try:
        values = [float(v) for v in values_text.split(",") if v.strip()]
        options = dict(item.split("=", 1) for item in options_text.split(",") if item.strip())
        options = {k.strip(): float(v) for k, v in options.items()}
    except ValueError:
        raise VidinvertError(f"bad smoothing {spec!r}: e.g. gaussian:2 or gaussian:3,2,1 or one-euro:1:beta=0.01") from None
    if len(values) not in ((0, 1, 3) if layer_groups else (0, 1)):
        expected = "one value or three (coarse,middle,fine)" if layer_groups else "one value"
        raise VidinvertError(f"bad smoothing {spec!r}: give {expected}")
    defaults = {"gaussian": 2.0, "ema": 0.5, "one-euro": 1.0}
    param: Param = LayerGroups(*values) if len(values) == 3 else (values[0] if values else defaults[kind])
    allowed = {"gaussian": {"truncate"}, "ema": set(), "one-euro": {"beta", "d_cutoff"}}[kind]
    if set(options) - allowed:
        raise VidinvertError(f"bad smoothing {spec!r}: unknown option(s) {', '.join(sorted(set(options) - allowed))}")
    if kind == "gaussian":
        return GaussianFilter(param, layer_axis=layer_axis, **options)
    if kind == "ema":
        return EMAFilter(param, layer_axis=layer_axis)
    return OneEuroFilter(param, fps=fps, layer_axis=layer_axis, **options)
