"""The editing stage of the video pipeline: per-frame latents in, edited and smoothed latents out.

For each frame with a face: the inverted W+ and the feature tensor are smoothed over time (each with
its own filter), the edit offset sum_i strength_i(t) * delta_i is built from the frame's time and
smoothed separately (so keyframed strengths and the inversion's own jitter are filtered apart), the
offset is added, and the feature tensor is corrected with the generator (FSE Eq. 1). The renderer
must then call the generator with the same noise (`EditStage.noise`; "random" is drawn once, with
one noise map shared by all frames).

Frames without a face (w is None) pass through and split the smoothing. Memory is bounded by the
largest filter look-ahead plus one generator batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import torch

from vidinvert.demo.model import model_directions_dir
from vidinvert.edit.feature_edit import edit_feature, fixed_noise
from vidinvert.edit.directions import Direction
from vidinvert.edit.keyframes import Strength, strength_at
from vidinvert.edit.registry import EditRequest, resolve_edits
from vidinvert.edit.temporal import TemporalFilter, parse_filter
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec


@dataclass(frozen=True)
class LatentFrame:
    """One frame's inversion: time in seconds, W+ (n_latent, D) or None (no face), feature (C,H,W) or None.

    payload is carried through untouched (the pipeline's own frame record). After the edit stage,
    unedited_w and unedited_feature hold the smoothed inversion before the edit offset was added.
    """

    time: float
    w: torch.Tensor | None
    feature: torch.Tensor | None = None
    payload: Any = None
    unedited_w: torch.Tensor | None = None
    unedited_feature: torch.Tensor | None = None


class EditStage:
    """Callable stage ``Iterable[LatentFrame] -> Iterator[LatentFrame]`` applying edits and smoothing."""

    def __init__(self, G: Generator, edits: Sequence[EditRequest], wplus_filter: TemporalFilter,
                 feature_filter: TemporalFilter, offset_filter: TemporalFilter, feature_index: int = 5,
                 noise: NoiseSpec = "stored", batch_size: int = 8) -> None:
        self.G = G
        self.edits = list(edits)
        self.wplus_filter = wplus_filter
        self.feature_filter = feature_filter
        self.offset_filter = offset_filter
        self.feature_index = feature_index
        self.noise = fixed_noise(G, noise, 1)  # the renderer must reuse this
        self.batch_size = batch_size
        self._deltas = [e.direction.delta(G.n_latent, G.style_dim) for e in self.edits]

    @property
    def latency(self) -> int:
        """Frames of look-ahead before the first output."""
        return max(self.wplus_filter.latency, self.feature_filter.latency, self.offset_filter.latency)

    def offset(self, time: float) -> torch.Tensor:
        """The summed edit offset (n_latent, D) at a time in seconds."""
        total = torch.zeros(self.G.n_latent, self.G.style_dim)
        for request, delta in zip(self.edits, self._deltas):
            strength = strength_at(request.strength, time)
            if strength:
                total = total + strength * delta
        return total

    def __call__(self, frames: Iterable[LatentFrame]) -> Iterator[LatentFrame]:
        a, b, c, d = itertools.tee(frames, 4)
        ws = self.wplus_filter(f.w for f in a)
        features = self.feature_filter(f.feature if f.w is not None else None for f in b)
        offsets = self.offset_filter(None if f.w is None else self.offset(f.time).to(f.w) for f in c)
        batch: list[tuple[LatentFrame, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]] = []
        for item in zip(d, ws, features, offsets):
            batch.append(item)
            if len(batch) == self.batch_size:
                yield from self._finish(batch)
                batch = []
        yield from self._finish(batch)

    @torch.no_grad()
    def _finish(self, batch: list) -> Iterator[LatentFrame]:
        with_feature = [i for i, (_, w, f, _) in enumerate(batch) if w is not None and f is not None]
        corrected: dict[int, torch.Tensor] = {}
        if with_feature:
            w = torch.stack([batch[i][1] for i in with_feature])
            offset = torch.stack([batch[i][3] for i in with_feature])
            F = torch.stack([batch[i][2] for i in with_feature])
            F_edited = edit_feature(self.G, F, w, w + offset, self.feature_index, self.noise)
            corrected = {i: F_edited[k] for k, i in enumerate(with_feature)}
        for i, (frame, w, f, offset) in enumerate(batch):
            if w is None:
                yield frame
            else:
                yield replace(frame, w=w + offset, feature=corrected.get(i, f), unedited_w=w, unedited_feature=f)


def make_edit_stage(G: Generator, fps: float, attr: Sequence[str] = (),
                    direction: Sequence[str | Path | Direction] = (), strength: Strength | str | None = None, layers: str | None = None,
                    direction_format: str | None = None, interpolation: str = "linear",
                    smooth_latents: str = "none", smooth_features: str = "none", smooth_offset: str = "none",
                    weights_dir: str | Path | None = None, directions_dir: str | Path | None = None,
                    feature_index: int = 5, noise: NoiseSpec = "stored", batch_size: int = 8) -> EditStage:
    """Build the editing stage from the `edit` command's editing options (same names as the flags).

    With no `attr` and no `direction` the stage only smooths."""
    edits = resolve_edits(attr, direction, strength, layers, direction_format, interpolation, fps,
                          weights_dir, directions_dir, model_directions_dir(G)) if attr or direction else []
    for request in edits:  # check each direction against this generator before any frame is read
        request.direction.delta(G.n_latent, G.style_dim)
    return EditStage(
        G, edits,
        wplus_filter=parse_filter(smooth_latents, fps=fps, layer_axis=-2),
        feature_filter=parse_filter(smooth_features, fps=fps, layer_groups=False),
        offset_filter=parse_filter(smooth_offset, fps=fps, layer_axis=-2),
        feature_index=feature_index, noise=noise, batch_size=batch_size,
    )
