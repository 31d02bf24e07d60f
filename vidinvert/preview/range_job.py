"""A range of frames rendered as `vidinvert edit --spec SPEC --frames A:B` renders it: the exported
spec's tracks and settings, the same pipeline (`find_and_choose`, `plan_tracks`, `MultiFacePipeline`
and its composite), with every temporal filter a run applies."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.pipeline.execution import model_threads
from vidinvert.pipeline.face_plans import find_and_choose, plan_tracks
from vidinvert.pipeline.build import make_compositor
from vidinvert.pipeline.multi_face import MultiFacePipeline
from vidinvert.preview.edits import PreviewEdits
from vidinvert.preview.session import PreviewSession
from vidinvert.video import open_video

#: The longest range the page plays (its frames are held in memory).
MAX_RANGE = 250


def check_range(session: PreviewSession, start: int, stop: int) -> None:
    if not 0 <= start < stop <= len(session.records):
        raise VidinvertError(f"bad range {start}:{stop}: the clip has frames 0-{len(session.records) - 1}")
    if stop - start > MAX_RANGE:
        raise VidinvertError(f"a range preview plays at most {MAX_RANGE} frames; render the video for more")


def range_frames(session: PreviewSession, edits: PreviewEdits, start: int, stop: int,
                 step: Callable[[], None] = lambda: None) -> Iterator[np.ndarray]:
    """The frames start..stop-1 (8-bit RGB) as `edit` writes them for these edits; `step` after each."""
    check_range(session, start, stop)
    frames = f"{start}:{stop}"
    spec = edits.spec(session.files, session.time_of, session.source.parent) if edits.active() else None
    config = session.config.with_options(frames=frames, occluders=edits.occluders)
    with session.lock, model_threads(config.execution):
        tracks, choice = find_and_choose(session.source, config, spec) if spec else (None, None)
        if choice is None or not choice.edited:  # nothing edited: `edit` writes the input's frames
            for record in session.records[start:stop]:
                step()
                yield record.image
            return
        plans = plan_tracks(session.models, choice, session.fps)
        with MultiFacePipeline(tracks, plans, serial=config.execution.serial,
                               compositor=make_compositor(config)) as pipeline, \
                open_video(session.source, frames=frames) as video:
            faces = pipeline.faces(video)
            with contextlib.closing(faces):
                for record in pipeline.composite(faces):
                    step()
                    yield record.image
