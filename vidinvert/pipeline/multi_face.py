"""Several faces of a clip edited at once, each on its own track with its own chain of stages.

The clip's tracks come from a tracking pass (vidinvert.pipeline.find_tracks). Each edited track gets
its crops smoothed along each of its segments (exactly as the one-face pipeline smooths its
track), and a FaceChain of its own: its own warm-start chain (cold at each segment's start), edit
smoothing, change smoothing and render settings. The chains run side by side over the decoded
frames, and each frame is composited with every face's edit (vidinvert.pipeline.composite_stage).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from vidinvert.concurrency import Handoffs, tee
from vidinvert.config import RunConfig
from vidinvert.face.tracks import FaceTracks, Segment, Track
from vidinvert.pipeline.build import FaceChain, StageHook, unobserved
from vidinvert.pipeline.composite_stage import Compositor
from vidinvert.pipeline.face_stages import align_crops, smooth_crops
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import FrameRecord


@dataclass
class TrackPlan:
    """One edited track: its settings and its chain of stages."""

    track: Track
    config: RunConfig
    chain: FaceChain


@dataclass(frozen=True)
class FrameFaces:
    """One decoded frame with each edited track's face frame (in the plans' order)."""

    record: FrameRecord
    faces: tuple[FaceFrame, ...]


def segment_quads(segment: Segment, smooth: float | str) -> dict[int, np.ndarray]:
    """The smoothed FFHQ quad of each frame of one segment."""
    indices = range(segment.first, segment.last + 1)
    frames = smooth_crops((FaceFrame(None, segment.landmarks_at(i)) for i in indices), smooth)
    return {i: frame.quad for i, frame in zip(indices, frames)}


def track_frames(records: Iterable[FrameRecord], tracks: FaceTracks, track: Track,
                 smooth: float | str) -> Iterator[FaceFrame]:
    """The decoded frames as one track's face frames: its landmarks and smoothed quad where it is."""
    quads: dict[int, np.ndarray] = {}
    for segment in track.segments:
        quads.update(segment_quads(segment, smooth))
    for record in records:
        face = next((f for f in tracks.at(record.index) if f.track == track.id), None)
        if face is None:
            yield FaceFrame(record)
        else:
            yield FaceFrame(record, face.landmarks, face.interpolated, face.starts_segment, quad=quads[record.index])


class MultiFacePipeline:
    """The chains of every edited track over one clip."""

    def __init__(self, tracks: FaceTracks, plans: list[TrackPlan], *, serial: bool = False,
                 observe: StageHook = unobserved, compositor: Compositor | None = None) -> None:
        self.tracks = tracks
        self.plans = plans
        self.serial = serial
        self.observe = observe
        self.compositor = compositor or Compositor()

    def faces(self, records: Iterable[FrameRecord]) -> Iterator[FrameFaces]:
        """Decoded frames in, each with every edited track's face frame out, in order. Unless serial,
        the chains run on a thread of their own, ahead of the caller; close the returned iterator
        (`contextlib.closing`) to stop it."""
        handoffs = Handoffs(self.serial)
        streams = tee(self.observe("decode", iter(records)), len(self.plans) + 1)
        chains = []
        for plan, stream in zip(self.plans, streams):
            frames = track_frames(stream, self.tracks, plan.track, plan.config.track.smooth)
            chains.append(plan.chain(align_crops(frames, plan.chain.E.input_size)))
        joined = (FrameFaces(record, tuple(faces)) for record, *faces in zip(streams[-1], *chains))
        return handoffs.output(handoffs.ahead(joined, "model"))

    def composite(self, frames: Iterable[FrameFaces], side_by_side: bool = False) -> Iterator[FrameRecord]:
        """Each frame with every face's edit in place."""
        renders = [plan.config.render for plan in self.plans]
        return self.observe("composite", (self.compositor(f.record, list(zip(f.faces, renders)), side_by_side)
                                          for f in frames))

    def close(self) -> None:
        """Releases the compositor's occluder finder (the tracking pass has closed its detector)."""
        self.compositor.close()

    def __enter__(self) -> MultiFacePipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
