"""Pipeline stages that find the face, smooth its crop over time and cut the aligned crop."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

from vidinvert.config import TrackConfig, parse_smooth
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.smooth import ema_quads, smooth_quads
from vidinvert.face.track import FaceTracker
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import FrameRecord

#: The crop centre is smoothed this many times less than the crop axes (the centre must follow
#: head motion closely; size and rotation can be held steadier).
CENTRE_TO_AXES = 3.0


def track_faces(records: Iterable[FrameRecord], tracker: FaceTracker) -> Iterator[FaceFrame]:
    """Landmarks of the tracked face on every frame (None where it is absent)."""
    for record, tracked in tracker.track((r, r.image) for r in records):
        yield FaceFrame(record, tracked.landmarks, tracked.interpolated)


def smooth_crops(frames: Iterable[FaceFrame], smooth: float | str = TrackConfig.smooth) -> Iterator[FaceFrame]:
    """Each face frame's FFHQ quad, smoothed over time.

    A sigma (frames) smooths the crop axes with that Gaussian and the centre with sigma/3, looking
    ahead about 3 sigma frames; "causal" uses an exponential moving average (no look-ahead).
    """
    smooth = parse_smooth(smooth)
    items = ((f, None if f.landmarks is None else ffhq_quad(f.landmarks)) for f in frames)
    if smooth == "causal":
        smoothed = ema_quads(items)
    elif smooth > 0:
        smoothed = smooth_quads(items, sigma_centre=smooth / CENTRE_TO_AXES, sigma_axes=smooth)
    else:
        smoothed = items
    for frame, quad in smoothed:
        yield frame if quad is None else replace(frame, quad=quad)


def align_crops(frames: Iterable[FaceFrame], size: int, resample: str = "lanczos") -> Iterator[FaceFrame]:
    """Cut the FFHQ-aligned crop (size x size) of every frame with a quad."""
    for frame in frames:
        if frame.quad is not None:
            image, transform = crop(frame.record.image, frame.quad, size, resample=resample)
            frame = replace(frame, crop=image, transform=transform)
        yield frame
