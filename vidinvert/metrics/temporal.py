"""Temporal metrics: TL-ID / TG-ID (identity consistency), flicker, crop-track jitter.

TL-ID and TG-ID follow the STIT definition: embed every frame of the source and the
output video, L2-normalise, build the similarity matrices S_src = E_src E_src^T and
S_out = E_out E_out^T, take R = S_out / S_src elementwise; TL-ID is the mean of R over
adjacent pairs (i, i+1), TG-ID the mean over all pairs i != j. 1 means as consistent as
the source; values may exceed 1.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def _ratio_matrix(source: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    if source.shape != output.shape or source.ndim != 2:
        raise ValueError(f"expected two (T, D) embedding sets of one shape, got {tuple(source.shape)} and {tuple(output.shape)}")
    src = F.normalize(source.double(), dim=1)
    out = F.normalize(output.double(), dim=1)
    return (out @ out.T) / (src @ src.T)


def tl_id(source: torch.Tensor, output: torch.Tensor) -> float:
    """Temporally-local identity consistency; NaN for fewer than two frames."""
    if source.shape[0] < 2:
        return math.nan
    ratio = _ratio_matrix(source, output)
    return ratio.diagonal(offset=1).mean().item()


def tg_id(source: torch.Tensor, output: torch.Tensor) -> float:
    """Temporally-global identity consistency; NaN for fewer than two frames."""
    count = source.shape[0]
    if count < 2:
        return math.nan
    ratio = _ratio_matrix(source, output)
    off_diagonal = ~torch.eye(count, dtype=torch.bool)
    return ratio[off_diagonal].mean().item()


def frame_change(previous: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
    """Mean absolute change between consecutive frames (N, C, H, W) in [0, 1], shape (N,)."""
    return (current.float() - previous.float()).abs().flatten(1).mean(1)


def flicker_ratio(output_changes: np.ndarray, input_changes: np.ndarray) -> float:
    """Frame-to-frame change of the output relative to the input's (1 = as steady as the input).

    Both arrays hold :func:`frame_change` values for the same consecutive frame pairs.
    A static input gives 1 for a static output and +inf otherwise; no pairs give NaN.
    """
    output_total = float(np.sum(output_changes))
    input_total = float(np.sum(input_changes))
    if len(output_changes) == 0:
        return math.nan
    if input_total == 0.0:
        return 1.0 if output_total == 0.0 else math.inf
    return output_total / input_total


def quad_size(quads: np.ndarray) -> np.ndarray:
    """Mean side length of each crop quad (T, 4, 2), shape (T,)."""
    sides = np.roll(quads, -1, axis=1) - quads
    return np.linalg.norm(sides, axis=2).mean(axis=1)


def crop_jitter_curve(quads: np.ndarray) -> np.ndarray:
    """Per-frame jitter of a crop track (T, 4, 2): the corners' second difference (mean
    length over the four corners) divided by the quad's side; NaN at the first and last frame."""
    quads = np.asarray(quads, dtype=np.float64)
    curve = np.full(len(quads), np.nan)
    if len(quads) >= 3:
        second = quads[2:] - 2 * quads[1:-1] + quads[:-2]
        curve[1:-1] = np.linalg.norm(second, axis=2).mean(axis=1) / quad_size(quads[1:-1])
    return curve


def crop_jitter(quads: np.ndarray) -> float:
    """Mean crop-track jitter (fraction of the face size per frame^2); NaN under three frames."""
    curve = crop_jitter_curve(quads)
    return float(np.nanmean(curve)) if len(quads) >= 3 else math.nan
