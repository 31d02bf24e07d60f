"""The editing stage: each face's inverted latents in, smoothed (`base`) and edited latents out.

For each frame with a face: the inverted W+ and the feature tensor are smoothed over time (each with
its own filter), the edit offset sum_i strength_i(t) * delta_i is built from the frame's time and
smoothed separately (so keyframed strengths and the inversion's own jitter are filtered apart), the
offset is added, and the feature tensor is corrected with the generator (FSE Eq. 1) under the
renderer's noise. Per-image generator weight residuals (HyperInverter) are kept with the edit and
smoothed by the feature tensor's filter. A style mix (vidinvert.pipeline.style_mix) replaces the
edited latents' style layers last.

Frames without a face pass through and split the smoothing. Memory is bounded by the largest
filter look-ahead plus one generator batch.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import torch

from vidinvert.concurrency import tee
from vidinvert.config import EditConfig, RenderConfig
from vidinvert.edit.feature_edit import edit_feature
from vidinvert.edit.keyframes import strength_at
from vidinvert.edit.registry import EditRequest, resolve_edits
from vidinvert.temporal import Identity, TemporalFilter, parse_filter
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec
from vidinvert.pipeline.expression_directions import SOURCE_FORMAT as EXPRESSION_FORMAT
from vidinvert.pipeline.expression_directions import expression_direction, pulled, unsolved
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.pipeline.style_mix import StyleMix


class EditStage:
    """Callable stage ``Iterable[FaceFrame] -> Iterator[FaceFrame]`` applying edits and smoothing."""

    def __init__(self, G: Generator, edits: Sequence[EditRequest], wplus_filter: TemporalFilter,
                 feature_filter: TemporalFilter, offset_filter: TemporalFilter, feature_index: int = 5,
                 noise: NoiseSpec = "stored", batch_size: int = RenderConfig.batch_size,
                 arithmetic: Callable[[], AbstractContextManager] = nullcontext,
                 delta_filter: TemporalFilter | None = None, mix: StyleMix | None = None) -> None:
        self.G = G
        self.mix = mix
        self.delta_filter = delta_filter or Identity()
        self.arithmetic = arithmetic
        self.edits = list(edits)
        self.wplus_filter = wplus_filter
        self.feature_filter = feature_filter
        self.offset_filter = offset_filter
        self.feature_index = feature_index
        self.noise = noise
        self.batch_size = batch_size
        self._deltas = [e.direction.delta(G.n_latent, G.style_dim) for e in self.edits]
        self._clip_solved: set[int] = set()

    @property
    def latency(self) -> int:
        """Frames of look-ahead before the first output."""
        return max(self.wplus_filter.latency, self.feature_filter.latency, self.offset_filter.latency)

    @property
    def default_offset_size(self) -> float:
        """Norm of the summed offset with every edit at its direction's default strength."""
        total = sum((e.direction.default_strength * d for e, d in zip(self.edits, self._deltas)),
                    torch.zeros(self.G.n_latent, self.G.style_dim))
        return float(total.norm())

    def offset(self, time: float) -> torch.Tensor:
        """The summed edit offset (n_latent, D) at a time in seconds."""
        total = torch.zeros(self.G.n_latent, self.G.style_dim)
        for request, delta in zip(self.edits, self._deltas):
            strength = strength_at(request.strength, time)
            if strength:
                total = total + strength * delta
        return total

    def solve_for_clip(self, wplus: torch.Tensor) -> None:
        """Solve every expression defined by its motion (`--attr mouth_open` without a file) at this
        clip's first face, its inverted W+ pulled to where the warp's renders are drawn."""
        for i, request in enumerate(self.edits):
            if request.direction.source_format == EXPRESSION_FORMAT and i not in self._clip_solved:
                direction = expression_direction(self.G, request.direction.name, pulled(self.G, wplus.detach()),
                                                 self.noise)
                self._deltas[i] = direction.delta(self.G.n_latent, self.G.style_dim)
                self._clip_solved.add(i)

    def _offsets(self, frames: Iterable[FaceFrame]) -> Iterator[torch.Tensor | None]:
        for f in frames:
            if f.inverted is None:
                yield None
                continue
            self.solve_for_clip(f.inverted.wplus)
            yield self.offset(f.record.time).to(f.inverted.wplus)

    def __call__(self, frames: Iterable[FaceFrame]) -> Iterator[FaceFrame]:
        a, b, c, d, e = tee(frames, 5)
        ws = self.wplus_filter(None if f.inverted is None else f.inverted.wplus for f in a)
        features = self.feature_filter(None if f.inverted is None else f.inverted.feature for f in b)
        offsets = self.offset_filter(self._offsets(c))
        deltas = self._smoothed_deltas(e)
        batch: list[tuple] = []  # (frame, w, feature, offset, weight residuals), each None without a face
        for item in zip(d, ws, features, offsets, deltas):
            batch.append(item)
            if len(batch) == self.batch_size:
                yield from self._finish(batch)
                batch = []
        yield from self._finish(batch)

    def _smoothed_deltas(self, frames: Iterable[FaceFrame]) -> Iterator[dict[str, torch.Tensor] | None]:
        """Each frame's weight residuals after the filter, the dict flattened to one vector and back."""
        shapes: dict[str, torch.Size] = {}

        def flat(frame: FaceFrame) -> torch.Tensor | None:
            deltas = None if frame.inverted is None else frame.inverted.weight_deltas
            if deltas is None:
                return None
            shapes.update((name, value.shape) for name, value in deltas.items())
            return torch.cat([value.flatten() for value in deltas.values()])

        for vector in self.delta_filter(flat(f) for f in frames):
            if vector is None:
                yield None
                continue
            pieces = torch.split(vector, [shape.numel() for shape in shapes.values()])
            yield {name: piece.view(shape) for (name, shape), piece in zip(shapes.items(), pieces)}

    @torch.no_grad()
    def _finish(self, batch: list) -> Iterator[FaceFrame]:
        with_feature = [i for i, (_, w, f, _, _) in enumerate(batch) if w is not None and f is not None]
        corrected: dict[int, torch.Tensor] = {}
        if with_feature:
            w = torch.stack([batch[i][1] for i in with_feature])
            offset = torch.stack([batch[i][3] for i in with_feature])
            F = torch.stack([batch[i][2] for i in with_feature])
            with self.arithmetic():
                F_edited = edit_feature(self.G, F, w, w + offset, self.feature_index, self.noise)
            corrected = {i: F_edited[k] for k, i in enumerate(with_feature)}
        for i, (frame, w, f, offset, deltas) in enumerate(batch):
            if w is None:
                yield frame
            else:
                edited = Latents(w + offset, corrected.get(i, f), deltas)
                yield replace(frame, base=Latents(w, f, deltas), edited=edited if self.mix is None else self.mix(edited))


def make_edit_stage(G: Generator, fps: float, config: EditConfig | None = None, *, feature_index: int = 5,
                    noise: NoiseSpec = "stored", batch_size: int = RenderConfig.batch_size, weights_dir: str | Path | None = None,
                    model_dir: Path | None = None, arithmetic: Callable[[], AbstractContextManager] = nullcontext,
                    mix: StyleMix | None = None, **options) -> EditStage:
    """The editing stage from the `edit` command's editing options (a config, or the same names as
    keywords). `model_dir` is the folder of directions that belong to `G`. With no `attr`, no
    `direction` and no `mix` the stage only smooths."""
    config = replace(config or EditConfig(), **options)
    edits = resolve_edits(config.attr, config.direction, config.strength, config.layers, config.direction_format,
                          config.interpolation, fps, weights_dir, config.directions_dir, model_dir,
                          expression=lambda name: unsolved(G, name)) if config.edits else []
    for request in edits:  # check each direction against this generator before any frame is read
        request.direction.delta(G.n_latent, G.style_dim)
    return EditStage(
        G, edits,
        wplus_filter=parse_filter(config.smooth_latents, fps=fps, layer_axis=-2),
        feature_filter=parse_filter(config.smooth_features, fps=fps, layer_groups=False),
        offset_filter=parse_filter(config.smooth_offset, fps=fps, layer_axis=-2),
        feature_index=feature_index, noise=noise, batch_size=batch_size, arithmetic=arithmetic,
        delta_filter=parse_filter(config.smooth_features, fps=fps, layer_groups=False), mix=mix,
    )
