"""The face stages chained: decoded frames in, (frame, generated face crop or None) out.

`edit_video` pastes these faces back into the frames; the evaluation compares them with the
aligned input crops. Both run the same chain.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from vidinvert.edit.stage import EditStage
from vidinvert.face.track import FaceTracker
from vidinvert.invert import SequenceInverter
from vidinvert.models import Generator
from vidinvert.pipeline.face_stages import align_crops, smooth_crops, track_faces
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.model_stages import as_latent_frames, invert_frames, reconstructions, render_faces
from vidinvert.pipeline.transfer_stages import RenderPair, render_pairs
from vidinvert.video import FrameRecord

#: Sees each stage's output by name and returns an iterator yielding the same items.
StageHook = Callable[[str, Iterator], Iterator]


def _unobserved(name: str, items: Iterator) -> Iterator:
    return items


def inverted_frames(records: Iterable[FrameRecord], tracker: FaceTracker, inverter: SequenceInverter,
                    input_size: int, *, smooth: float | str = 3.0, warm_start: bool = True,
                    device: str | torch.device = "cpu", observe: StageHook = _unobserved) -> Iterator[FaceFrame]:
    """Track, smooth, align, invert: every frame with its face's inversion (or none)."""
    frames = observe("landmarks", track_faces(records, tracker))
    frames = observe("crop smoothing", smooth_crops(frames, smooth))
    frames = observe("align", align_crops(frames, input_size))
    return observe("inversion", invert_frames(frames, inverter, warm_start, device))


def generated_faces(records: Iterable[FrameRecord], tracker: FaceTracker, inverter: SequenceInverter,
                    G: Generator, input_size: int, feature_index: int | None, *, smooth: float | str = 3.0,
                    warm_start: bool = True, device: str | torch.device = "cpu",
                    edit_stage: EditStage | None = None, batch_size: int = 4,
                    observe: StageHook = _unobserved) -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
    """Track, smooth, align, invert, (edit,) render: every frame with its generated face or None.

    Without an edit stage the inversion's own image is the face (no second render).
    """
    frames = inverted_frames(records, tracker, inverter, input_size, smooth=smooth, warm_start=warm_start,
                             device=device, observe=observe)
    if edit_stage is None:
        return observe("render", reconstructions(frames))
    latents = observe("edit", edit_stage(as_latent_frames(frames)))
    return observe("render", render_faces(latents, G, feature_index, edit_stage.noise, batch_size))


def face_render_pairs(records: Iterable[FrameRecord], tracker: FaceTracker, inverter: SequenceInverter,
                      G: Generator, input_size: int, feature_index: int | None, edit_stage: EditStage, *,
                      smooth: float | str = 3.0, warm_start: bool = True, device: str | torch.device = "cpu",
                      batch_size: int = 4, observe: StageHook = _unobserved) -> Iterator[tuple[FaceFrame, RenderPair | None]]:
    """Track, smooth, align, invert, edit, then render each face before and after the edit."""
    frames = inverted_frames(records, tracker, inverter, input_size, smooth=smooth, warm_start=warm_start,
                             device=device, observe=observe)
    latents = observe("edit", edit_stage(as_latent_frames(frames)))
    return observe("render", render_pairs(latents, G, feature_index, edit_stage.noise, batch_size))
