"""The change stage of the `warp` and `delta` render modes: the change between each face's renders
before and after the edit, in crop coordinates, smoothed over time (frames without the face and
cuts split the smoothing)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from vidinvert.concurrency import tee
from vidinvert.config import RenderConfig
from vidinvert.temporal import parse_filter
from vidinvert.face.mesh_indices import MESH_POINT_COUNT
from vidinvert.face.render_motion import RenderMesh, plausible
from vidinvert.face.transfer import FIELD_CHANNELS, ChangeOptions, estimate_change, hull_mask, work_size
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

    The smoothing is over the change per unit of edit: each frame's field is divided by the size of
    its edit offset, filtered over time (weighted: frames whose renders the mesh cannot read, and
    frames not edited, give no weight) and multiplied back by the frame's own size. A still edit's
    change is smoothed as before; a frame at strength 0 gets no change at all, and a keyframed ramp
    eases the change in with its strength.

    In `delta` mode, with `default_offset_size` (the norm of the run's edit offset at its
    directions' default strengths), a frame edited by less has its edit-mask thresholds lowered in
    proportion, so the mask keeps its shape and the change grows with the strength up to the default.
    """
    time_filter = parse_filter(smooth, fps=fps, layer_groups=False)
    # each render read on its own: meshes tracking the two streams apart drift apart, and the
    # difference of their readings is the motion (static: smile rose in 70% of single_face's
    # frames, tracked: 47%)
    mesh = RenderMesh() if options.mode == "warp" else None
    try:
        for _, group in itertools.groupby(_segments(frames), key=lambda item: item[0]):
            a, b = tee(frame for _, frame in group)
            sizes: dict[int, float] = {}
            weighted = (_weighted_field(frame, options, default_offset_size, mesh, sizes) for frame in a)
            for frame, field in zip(b, time_filter(weighted)):
                if field is None:
                    yield frame
                    continue
                size = sizes.pop(id(frame))
                weight = field[..., -1:]
                change = np.where(weight > 1e-6, field[..., :-1] / np.maximum(weight, 1e-6), 0.0) * size
                yield replace(frame, change=change.astype(np.float32))  # size 0: all zero
    finally:
        if mesh is not None:
            mesh.close()


def _weighted_field(frame: FaceFrame, options: ChangeOptions, default_offset_size: float | None,
                    mesh: RenderMesh | None, sizes: dict[int, float]) -> np.ndarray | None:
    """The frame's change per unit of edit with a last channel of weight (1, or 0 where unknown)."""
    if frame.before is None:
        return None
    size = _offset_size(frame)
    sizes[id(frame)] = size
    hull = hull_mask(frame.landmarks, frame.transform, work_size(frame.before.shape[0]))
    out = np.zeros(hull.shape + (FIELD_CHANNELS + 1,), np.float32)
    if size == 0:
        return out
    points, after, drawn = None, frame.face, size
    if mesh is not None and not np.array_equal(frame.before, frame.face):
        before = mesh.points(frame.before)
        points = _read(before, mesh.points(frame.face))
        if points is None and frame.near_face is not None:  # too far to read: read it nearer, scaled up
            after, drawn = frame.near_face, frame.drawn_offset
            points = _read(before, mesh.points(after))
        if points is None:
            return out
        points = points + _real_points(frame)
    fraction = min(1.0, drawn / default_offset_size) if default_offset_size else 1.0
    out[..., :-1] = estimate_change(frame.before, after, hull, options.for_edit_size(fraction), points) / drawn
    out[..., -1] = 1.0
    return out


def _read(before: np.ndarray | None, after: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Two renders' mesh points, when both were found and read as one face moving."""
    if before is None or after is None or not plausible(before, after):
        return None
    return before, after


def _real_points(frame: FaceFrame) -> tuple[np.ndarray, ...]:
    """The real face's mesh in the renders' pixels, when the landmarks are the mesh's 468 points."""
    points = np.asarray(frame.landmarks.points, np.float64)[:, :2]
    if len(points) != MESH_POINT_COUNT:
        return ()
    matrix = frame.transform.matrix
    crop = points @ matrix[:2, :2].T + matrix[:2, 2]
    render = frame.before.shape[0]
    return ((crop + 0.5) * (render / frame.transform.size) - 0.5,)


def _offset_size(frame: FaceFrame) -> float:
    """The norm of the frame's edit offset (1 when the frame carries no latents to tell)."""
    if frame.edited is None or frame.base is None:
        return 1.0
    return float((frame.edited.wplus - frame.base.wplus).norm())
