"""The change stage of the `warp` and `delta` render modes: the change between each face's renders
before and after the edit, in crop coordinates, smoothed over time (frames without the face and
cuts split the smoothing)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.edit.temporal import parse_filter
from vidinvert.face.transfer import ChangeOptions, estimate_change, hull_mask, work_size
from vidinvert.pipeline.frames import FaceFrame

#: A cut: the aligned input crop changes by more than this many levels (mean over pixels) from the
#: previous frame's; the change field is not smoothed across it.
CUT_CHANGE = 12.0


def _segments(frames: Iterable[FaceFrame]) -> Iterator[tuple[int, FaceFrame]]:
    """(segment number, frame): a new segment after a frame without the change and at a cut."""
    segment, previous = 0, None
    for frame in frames:
        crop = None if frame.before is None else frame.crop.astype(np.float32)
        if crop is None or previous is None or np.abs(crop - previous).mean() > CUT_CHANGE:
            segment += 1
        previous = crop
        yield segment, frame


def change_fields(frames: Iterable[FaceFrame], options: ChangeOptions, smooth: str = RenderConfig.smooth_change,
                  fps: float = 30.0) -> Iterator[FaceFrame]:
    """Each frame with a before-and-after pair gets its change field (`FaceFrame.change`), smoothed."""
    time_filter = parse_filter(smooth, fps=fps, layer_groups=False)
    for _, group in itertools.groupby(_segments(frames), key=lambda item: item[0]):
        a, b = itertools.tee(frame for _, frame in group)
        fields = (None if frame.before is None else
                  estimate_change(frame.before, frame.face,
                                  hull_mask(frame.landmarks, frame.transform, work_size(frame.before.shape[0])), options)
                  for frame in a)
        for frame, field in zip(b, time_filter(fields)):
            yield frame if field is None else replace(frame, change=field)
