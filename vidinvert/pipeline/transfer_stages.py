"""The change stage of the `warp` and `delta` render modes: the change between each face's renders
before and after the edit, in crop coordinates, smoothed over time (frames without the face and
cuts split the smoothing)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.temporal import parse_filter
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
                  fps: float = 30.0, default_offset_size: float | None = None) -> Iterator[FaceFrame]:
    """Each frame with a before-and-after pair gets its change field (`FaceFrame.change`), smoothed.

    With `default_offset_size` (the norm of the run's edit offset at its directions' default
    strengths), a frame edited by less has its edit-mask thresholds lowered in proportion, so the
    mask keeps its shape and the change grows with the strength up to the default (a keyframed
    fade sets in smoothly instead of once its renders differ by the thresholds' levels).
    """
    time_filter = parse_filter(smooth, fps=fps, layer_groups=False)
    for _, group in itertools.groupby(_segments(frames), key=lambda item: item[0]):
        a, b = itertools.tee(frame for _, frame in group)
        fields = (None if frame.before is None else
                  estimate_change(frame.before, frame.face,
                                  hull_mask(frame.landmarks, frame.transform, work_size(frame.before.shape[0])),
                                  options.for_edit_size(_edit_size(frame, default_offset_size)))
                  for frame in a)
        for frame, field in zip(b, time_filter(fields)):
            yield frame if field is None else replace(frame, change=field)


def _edit_size(frame: FaceFrame, default_offset_size: float | None) -> float:
    """The frame's edit offset as a fraction of the default one, at most 1 (1 when unknown)."""
    if not default_offset_size or frame.edited is None or frame.base is None:
        return 1.0
    return min(1.0, float((frame.edited.wplus - frame.base.wplus).norm()) / default_offset_size)
