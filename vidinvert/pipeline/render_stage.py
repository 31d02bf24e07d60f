"""The rendering stage: the generator draws each face from its final latents, a batch at a time.

The renderer owns the generator noise and arithmetic: the editing stage corrects feature tensors
with the renderer's `noise` and `arithmetic`, so every generator call of a run sees the same noise.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from vidinvert.config import ModelConfig, RenderConfig
from vidinvert.edit.change_source import ChangeSource
from vidinvert.edit.feature_edit import fixed_noise
from vidinvert.images import to_uint8
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.pipeline.precision import model_arithmetic


class Renderer:
    """Images of latents through `G` with one fixed noise; `feature_index` places feature tensors."""

    def __init__(self, G: Generator, feature_index: int | None, noise: NoiseSpec = "stored",
                 batch_size: int = RenderConfig.batch_size, precision: str = ModelConfig.precision, with_before: bool = False, change_from: ChangeSource | None = None) -> None:
        """`with_before` also draws each edited face before its edit (`FaceFrame.before`), for the
        render modes that carry the change onto the real face; `change_from` says from which
        latents that pair is drawn (default: `RenderConfig.change_from`)."""
        self.G = G
        self.with_before = with_before
        self.change_from = change_from or ChangeSource.parse(RenderConfig.change_from)
        self.feature_index = feature_index
        self.noise = fixed_noise(G, noise, 1)
        self.batch_size = batch_size
        self.precision = precision
        #: The largest edit offset norm a before-and-after pair is drawn with (None: no limit); set
        #: by the pipeline once the edit stage knows its directions' default strengths.
        self.read_limit: Callable[[], float | None] = lambda: None

    def arithmetic(self):
        """The context every generator call of the run computes in."""
        return model_arithmetic(self.precision, self.G.latent_avg.device)

    @torch.no_grad()
    def images(self, latents: list[Latents]) -> torch.Tensor:
        """(B, 3, S, S) in [-1, 1] for a list of latents (all with or all without a feature tensor)."""
        w = torch.stack([item.wplus for item in latents])
        deltas = None
        if latents[0].weight_deltas is not None:
            deltas = {name: torch.stack([item.weight_deltas[name] for item in latents]) for name in latents[0].weight_deltas}
        with self.arithmetic():
            if self.feature_index is not None and latents[0].feature is not None:
                feature = torch.stack([item.feature for item in latents])
                return self.G.synthesize(w, noise=self.noise, feature=feature, feature_index=self.feature_index,
                                         weight_deltas=deltas)
            return self.G.synthesize(w, noise=self.noise, weight_deltas=deltas)

    def __call__(self, frames: Iterable[FaceFrame]) -> Iterator[FaceFrame]:
        """Each frame with its face drawn: from the edited latents, or the inversion's own image when
        nothing changed the latents after inversion (no second render).

        With `with_before`, the pair the change is drawn from as well: `before` and `face`. From
        the inversion (`change_from` 'inversion'), `before` is its image before the edit (the
        inversion's own when the latents were not smoothed); from moved latents, both are drawn
        from those latents (`ChangeSource`). A frame whose edit changes nothing gets one picture for
        both, the inversion's image before the edit, so a zero edit changes no pixel.

        A frame with nothing to draw (no face, or no edit) that comes before any edited frame of
        the batch being gathered leaves at once, so a run without edits, or a stretch without a
        face between batches, holds no frames here; the batches of edited frames are unchanged.
        """
        pending: list[FaceFrame] = []  # frames up to the last one of an unfinished batch of edited frames
        for frame in frames:
            if frame.edited is None and not pending:  # nothing to draw with it: out at once, not held
                yield from self._flush([frame])
                continue
            pending.append(frame)
            if sum(f.edited is not None for f in pending) >= self.batch_size:
                yield from self._flush(pending)
                pending = []
        yield from self._flush(pending)

    def _flush(self, pending: list[FaceFrame]) -> Iterator[FaceFrame]:
        edited = [f for f in pending if f.edited is not None]
        changed = [f for f in edited if not (self.with_before and _same(f.base, f.edited))]
        # frames whose before-and-after pair comes from the change source's latents
        moved = changed if self.with_before and not self.change_from.uses_inversion else []
        moved_ids = {id(f) for f in moved}
        from_inversion = [f for f in changed if id(f) not in moved_ids]
        # each other frame's image before the edit, where the inversion's own image is not it
        drawn_base = [f for f in edited if self.with_before and id(f) not in moved_ids
                      and not _same(f.base, f.inverted)]
        after, before = self._draw([(f, f.edited) for f in from_inversion], [(f, f.base) for f in drawn_base])
        near: dict[int, tuple[np.ndarray, float]] = {}
        if moved:
            shifted = {id(f): self.change_from.wplus(f.base.wplus, self.G.latent_avg) for f in moved}
            nearer = [(f, limited) for f in moved if (limited := self._at_read_limit(shifted[id(f)], f))]
            pair_before, pair_after, near_after = self._draw(
                [(f, Latents(shifted[id(f)])) for f in moved],
                [(f, Latents(shifted[id(f)] + f.edited.wplus - f.base.wplus)) for f in moved],
                [(f, Latents(wplus)) for f, (wplus, _) in nearer])
            before.update(pair_before)
            after.update(pair_after)
            near = {id(f): (near_after[id(f)], size) for f, (_, size) in nearer}
        for frame in pending:
            if frame.edited is None:
                yield frame if frame.reconstruction is None else replace(frame, face=_own_image(frame))
            elif not self.with_before:
                yield replace(frame, face=after[id(frame)])
            else:
                first = before[id(frame)] if id(frame) in before else _own_image(frame)
                face_near, drawn = near.get(id(frame), (None, None))
                yield replace(frame, before=first, face=after.get(id(frame), first), near_face=face_near,
                              drawn_offset=drawn)

    def _at_read_limit(self, shifted: torch.Tensor, frame: FaceFrame) -> tuple[torch.Tensor, float] | None:
        """For an edit offset longer than `read_limit`: the W+ along it at the limit's norm, and that
        norm. Far along a direction the generator's face may come apart (the mesh finds no face, or
        one torn out of shape, and the edit would be dropped); the change read at the limit is then
        carried per unit of edit and scaled to the whole offset."""
        offset = frame.edited.wplus - frame.base.wplus
        limit, size = self.read_limit(), float(offset.norm())
        if limit is None or limit <= 0 or size <= limit:
            return None
        return shifted + offset * (limit / size), limit

    def _draw(self, *groups: list[tuple[FaceFrame, Latents]]) -> list[dict[int, np.ndarray]]:
        """Every group's latents drawn in one generator call (one noise), as {id(frame): uint8 image}."""
        latents = [item for group in groups for _, item in group]
        images = iter(to_uint8(self.images(latents))) if latents else iter(())
        return [{id(frame): next(images) for frame, _ in group} for group in groups]


def _own_image(frame: FaceFrame):
    """The inversion's own image of the face, as uint8 RGB."""
    return to_uint8(frame.reconstruction[None])[0]


def _same(a: Latents, b: Latents) -> bool:
    """Whether two latents render the same face (the same tensors, or equal ones)."""
    if a is b:
        return True
    if not torch.equal(a.wplus, b.wplus) or (a.feature is None) != (b.feature is None):
        return False
    if a.feature is not None and not torch.equal(a.feature, b.feature):
        return False
    if (a.weight_deltas is None) != (b.weight_deltas is None):
        return False
    return a.weight_deltas is None or all(torch.equal(a.weight_deltas[k], b.weight_deltas[k]) for k in a.weight_deltas)
