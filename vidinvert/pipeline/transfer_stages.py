"""Pipeline stages of the `warp` and `delta` render modes: render each face before and after the edit,
estimate the change in crop coordinates, smooth it over time, and apply it to the real frame."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.edit.stage import LatentFrame
from vidinvert.edit.temporal import parse_filter
from vidinvert.face.mask import face_mask
from vidinvert.face.transfer import ChangeOptions, apply_change, estimate_change, hull_mask, work_size
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec
from vidinvert.pipeline.frames import FaceFrame, to_uint8_images
from vidinvert.pipeline.model_stages import MaskOptions
from vidinvert.video import FrameRecord

#: Temporal filter of the change fields (crop coordinates) unless `--smooth-change` says otherwise.
DEFAULT_SMOOTH_CHANGE = "gaussian:4"
#: Mean absolute change (0..255 levels) of the aligned input crop from one frame to the next above
#: which the frame starts a new shot. Measured on the shared clips: at most 5 within a shot (p99
#: 1.7-4.3), 18-48 between crops of different people.
CUT_CHANGE = 12.0


@dataclass(frozen=True)
class RenderPair:
    """A face rendered from its inversion before the edit and after it (uint8 RGB, generator size)."""

    before: np.ndarray
    after: np.ndarray


def _unchanged(item: LatentFrame) -> bool:
    same_feature = (item.feature is None and item.unedited_feature is None) or (
        item.feature is not None and item.unedited_feature is not None
        and torch.equal(item.feature, item.unedited_feature))
    return torch.equal(item.w, item.unedited_w) and same_feature


def render_pairs(latents: Iterable[LatentFrame], G: Generator, feature_index: int | None,
                 noise: NoiseSpec = "stored", batch_size: int = 4) -> Iterator[tuple[FaceFrame, RenderPair | None]]:
    """(frame, RenderPair or None) for every frame of the edit stage's output, in batches.

    Before and after share one generator call (and so the noise). A face the edit leaves unchanged
    is rendered once, and its pair holds that image twice.
    """
    pending: list[LatentFrame] = []

    def flush() -> Iterator[tuple[FaceFrame, RenderPair | None]]:
        faces = [item for item in pending if item.w is not None]
        edited = [item for item in faces if not _unchanged(item)]
        latents = [item.unedited_w for item in faces] + [item.w for item in edited]
        features = [item.unedited_feature for item in faces] + [item.feature for item in edited]
        images: list[np.ndarray] = []
        if faces:
            with torch.no_grad():
                w = torch.stack(latents)
                if feature_index is not None and features[0] is not None:
                    out = G.synthesize(w, noise=noise, feature=torch.stack(features), feature_index=feature_index)
                else:
                    out = G.synthesize(w, noise=noise)
            images = list(to_uint8_images(out))
        befores = dict(zip(map(id, faces), images[:len(faces)]))
        afters = dict(zip(map(id, edited), images[len(faces):]))
        for item in pending:
            if item.w is None:
                yield item.payload, None
            else:
                before = befores[id(item)]
                yield item.payload, RenderPair(before, afters.get(id(item), before))
        pending.clear()

    for item in latents:
        pending.append(item)
        if sum(p.w is not None for p in pending) >= batch_size:
            yield from flush()
    yield from flush()


def _segments(pairs: Iterable[tuple[FaceFrame, RenderPair | None]]) -> Iterator[tuple[int, tuple]]:
    """(segment number, item): a new segment after a frame without the face and at a cut, where the
    aligned input crop changes by more than CUT_CHANGE from the previous frame's."""
    segment, previous = 0, None
    for frame, pair in pairs:
        crop = None if pair is None else frame.crop.astype(np.float32)
        if crop is None or previous is None or np.abs(crop - previous).mean() > CUT_CHANGE:
            segment += 1
        previous = crop
        yield segment, (frame, pair)


def change_fields(pairs: Iterable[tuple[FaceFrame, RenderPair | None]], options: ChangeOptions,
                  smooth: str = DEFAULT_SMOOTH_CHANGE, fps: float = 30.0) -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
    """(frame, change field or None): each pair's change in crop coordinates, smoothed over time.

    Frames without a face pass as None; they and cuts split the smoothing.
    """
    time_filter = parse_filter(smooth, fps=fps, layer_groups=False)
    for _, group in itertools.groupby(_segments(pairs), key=lambda item: item[0]):
        a, b = itertools.tee(item for _, item in group)
        fields = (None if pair is None else
                  estimate_change(pair.before, pair.after,
                                  hull_mask(frame.landmarks, frame.transform, work_size(pair.before.shape[0])), options)
                  for frame, pair in a)
        for (frame, _), field in zip(b, time_filter(fields)):
            yield frame, field


def transfer_composite(items: Iterable[tuple[FaceFrame, np.ndarray | None]], mask: MaskOptions = MaskOptions(),
                       side_by_side: bool = False) -> Iterator[FrameRecord]:
    """Apply each frame's change field to its real pixels under the feathered face mask."""
    for frame, field in items:
        image = frame.record.image
        if field is not None and field.any():
            alpha = face_mask(frame.landmarks, image.shape, forehead=mask.forehead, dilate=mask.dilate,
                              feather=mask.feather)
            image = apply_change(image, field, frame.transform, alpha)
        if side_by_side:
            image = np.hstack([frame.record.image, image])
        yield frame.record.with_image(image)
