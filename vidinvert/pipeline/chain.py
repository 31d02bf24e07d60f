"""The face stages chained: decoded frames in, (frame, generated face crop or None) out.

`edit_video` pastes these faces back into the frames; the evaluation compares them with the
aligned input crops. Both run the same chain.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from vidinvert.concurrency import Handoffs
from vidinvert.edit.stage import EditStage
from vidinvert.face.track import FaceTracker
from vidinvert.invert import SequenceInverter
from vidinvert.models import Generator
from vidinvert.pipeline.face_stages import align_crops, smooth_crops, track_faces
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.model_stages import as_latent_frames, invert_frames, reconstructions, render_faces
from vidinvert.video import FrameRecord

#: Sees each stage's output by name and returns an iterator yielding the same items.
StageHook = Callable[[str, Iterator], Iterator]


def _unobserved(name: str, items: Iterator) -> Iterator:
    return items


def generated_faces(records: Iterable[FrameRecord], tracker: FaceTracker, inverter: SequenceInverter,
                    G: Generator, input_size: int, feature_index: int | None, *, smooth: float | str = 3.0,
                    warm_start: bool = True, device: str | torch.device = "cpu",
                    edit_stage: EditStage | None = None, batch_size: int = 4,
                    observe: StageHook = _unobserved,
                    serial: bool = True) -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
    """Track, smooth, align, invert, (edit,) render: every frame with its generated face or None.

    Without an edit stage the inversion's own image is the face (no second render). With
    `serial=False`, tracking to alignment runs on one thread and the model stages on another, ahead
    of the caller (same results); then close the returned iterator (`contextlib.closing`) before
    releasing the detector or the frames' source, so that those threads have stopped.
    """
    handoffs = Handoffs(serial)
    frames = observe("landmarks", track_faces(records, tracker))
    frames = observe("crop smoothing", smooth_crops(frames, smooth))
    frames = handoffs.ahead(observe("align", align_crops(frames, input_size)), "face")
    frames = observe("inversion", invert_frames(frames, inverter, warm_start, device))
    if edit_stage is None:
        return handoffs.output(handoffs.ahead(observe("render", reconstructions(frames)), "model"))
    latents = observe("edit", edit_stage(as_latent_frames(frames)))
    rendered = observe("render", render_faces(latents, G, feature_index, edit_stage.noise, batch_size))
    return handoffs.output(handoffs.ahead(rendered, "model"))
