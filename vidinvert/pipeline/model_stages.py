"""Pipeline stages that run the models: warm-started inversion, rendering, and pasting back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch

from vidinvert.edit.stage import LatentFrame
from vidinvert.face.composite import paste
from vidinvert.face.mask import face_mask
from vidinvert.invert import Inverter, SequenceInverter
from vidinvert.models import Generator, InversionEncoder
from vidinvert.models.stylegan2 import NoiseSpec
from vidinvert.pipeline.frames import FaceFrame, to_model_input, to_uint8_images
from vidinvert.video import FrameRecord


#: Refinement steps of a face's first frame and of each following (warm-started) frame.
DEFAULT_STEPS = 5
DEFAULT_NEXT_STEPS = 2


def make_sequence_inverter(G: Generator, E: InversionEncoder, steps: int = DEFAULT_STEPS,
                           next_steps: int = DEFAULT_NEXT_STEPS) -> SequenceInverter:
    """The frame-sequence inverter for `--steps`/`--next-steps`; a one-pass encoder (no residual
    steps) runs once per frame whatever they say."""
    first, following = (steps, next_steps) if E.residual else (1, 1)
    return SequenceInverter(Inverter(G, E), first_steps=first, next_steps=following)


def invert_frames(frames: Iterable[FaceFrame], inverter: SequenceInverter, warm_start: bool = True,
                  device: str | torch.device = "cpu") -> Iterator[FaceFrame]:
    """Invert each face crop, starting from the previous frame's result while the face stays tracked."""
    for frame in frames:
        if frame.crop is None:
            inverter.reset()  # the face is gone: the next one starts cold
            yield frame
            continue
        if not warm_start:
            inverter.reset()
        step = inverter.step(to_model_input(frame.crop).to(device))
        result = step.result
        frame.wplus = result.wplus[0]
        frame.feature = None if result.feature is None else result.feature[0]
        frame.reconstruction = result.image[0]
        frame.cold = bool(step.cold[0])
        yield frame


def as_latent_frames(frames: Iterable[FaceFrame]) -> Iterator[LatentFrame]:
    """The editing stage's view of the frames (the frame itself rides along as payload)."""
    for frame in frames:
        yield LatentFrame(frame.record.time, frame.wplus, frame.feature, payload=frame)


def render_faces(latents: Iterable[LatentFrame], G: Generator, feature_index: int | None,
                 noise: NoiseSpec = "stored", batch_size: int = 4) -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
    """(frame, generated uint8 face crop or None) for every frame, rendering faces in batches."""
    pending: list[LatentFrame] = []

    def flush() -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
        faces = [item for item in pending if item.w is not None]
        images: list[np.ndarray] = []
        if faces:
            w = torch.stack([item.w for item in faces])
            with torch.no_grad():
                if feature_index is not None and faces[0].feature is not None:
                    feature = torch.stack([item.feature for item in faces])
                    out = G.synthesize(w, noise=noise, feature=feature, feature_index=feature_index)
                else:
                    out = G.synthesize(w, noise=noise)
            images = list(to_uint8_images(out))
        rendered = iter(images)
        for item in pending:
            yield item.payload, (next(rendered) if item.w is not None else None)
        pending.clear()

    for item in latents:
        pending.append(item)
        if sum(p.w is not None for p in pending) >= batch_size:
            yield from flush()
    yield from flush()


def reconstructions(frames: Iterable[FaceFrame]) -> Iterator[tuple[FaceFrame, np.ndarray | None]]:
    """(frame, the inversion's own image) when nothing changes the latents after inversion."""
    for frame in frames:
        image = None if frame.reconstruction is None else to_uint8_images(frame.reconstruction[None])[0]
        yield frame, image


@dataclass(frozen=True)
class MaskOptions:
    """The soft face mask: forehead raise, dilation and feather, as fractions of the face size."""

    forehead: float = 0.15
    dilate: float = 0.03
    feather: float = 0.04


def composite_frames(items: Iterable[tuple[FaceFrame, np.ndarray | None]], mask: MaskOptions = MaskOptions(),
                     seamless: bool = False, side_by_side: bool = False) -> Iterator[FrameRecord]:
    """Paste each generated face back into its frame; frames without a face are returned untouched."""
    for frame, face in items:
        image = frame.record.image
        if face is not None:
            alpha = face_mask(frame.landmarks, image.shape, forehead=mask.forehead, dilate=mask.dilate,
                              feather=mask.feather)
            image = paste(image, face, frame.transform, alpha, seamless=seamless)
        if side_by_side:
            image = np.hstack([frame.record.image, image])
        yield frame.record.with_image(image)
