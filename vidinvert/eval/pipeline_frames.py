"""The video pipeline as the evaluation's per-video function.

Each video is decoded (first ``max_frames`` frames), its face tracked, the crop smoothed and
aligned at the encoder's input size, inverted (warm-started or not), optionally edited, and
rendered. The rendered face is brought to the aligned input crop's size (box average or
antialiased bilinear, as the encoder sees images) so both are measured at the same size.
Frames without the tracked face give no record; they are counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidinvert.api import load_models
from vidinvert.edit.stage import make_edit_stage
from vidinvert.eval.records import FrameRecord
from vidinvert.face.detect import make_detector
from vidinvert.face.track import FaceTracker, parse_face
from vidinvert.models import Generator, InversionEncoder
from vidinvert.models.encoder_base import resize_square
from vidinvert.pipeline.chain import generated_faces
from vidinvert.pipeline.frames import to_model_input
from vidinvert.pipeline.model_stages import DEFAULT_NEXT_STEPS, DEFAULT_STEPS, make_sequence_inverter
from vidinvert.video import open_video, probe

#: Crop-track smoothing (sigma in frames) and faces per generator call, as `edit` does by default.
SMOOTH = 3.0
RENDER_BATCH = 4

# Models loaded in this process, by (generator, encoder, weights_dir, device): each evaluation
# worker loads them once, on its first video.
_LOADED: dict[tuple[str | None, ...], tuple[Generator, InversionEncoder]] = {}


def _models(generator: str | None, encoder: str | None, weights_dir: str | None,
            device: str) -> tuple[Generator, InversionEncoder]:
    key = (generator, encoder, weights_dir, device)
    if key not in _LOADED:
        _LOADED[key] = load_models(generator, encoder, weights_dir, device)
    return _LOADED[key]


class PipelineFrames:
    """The frame records of one video; ``frames_without_face`` counts the frames that gave none
    (complete once iteration ends)."""

    def __init__(self, video_fn: PipelineVideoFn, path: Path, max_frames: int | None) -> None:
        self.video_fn = video_fn
        self.path = Path(path)
        self.max_frames = max_frames
        self.frames_without_face = 0

    def __iter__(self) -> Iterator[FrameRecord]:
        fn = self.video_fn
        G, E = _models(fn.generator, fn.encoder, fn.weights_dir, fn.device)
        device = G.latent_avg.device
        info = probe(self.path)
        inverter = make_sequence_inverter(G, E, fn.steps, fn.next_steps)
        stage = None
        if fn.edit:
            stage = make_edit_stage(G, float(info.fps) if info.fps else 25.0, attr=fn.edit,
                                    weights_dir=fn.weights_dir, feature_index=E.feature_index or 5,
                                    batch_size=RENDER_BATCH)
        detector = make_detector(fn.landmarks, video=True, device=str(device))
        selection = None if self.max_frames is None else f"0:{self.max_frames}"
        try:
            with open_video(self.path, frames=selection) as video:
                faces = generated_faces(video, FaceTracker(detector, face=parse_face("0")), inverter, G,
                                        E.input_size, E.feature_index, smooth=SMOOTH, warm_start=fn.warm_start,
                                        device=device, edit_stage=stage, batch_size=RENDER_BATCH)
                for frame, face in faces:
                    if face is None:
                        self.frames_without_face += 1
                        continue
                    output = resize_square(to_model_input(face), E.input_size)[0]
                    yield FrameRecord(frame.record.index, frame.crop, output, frame.quad)
        finally:
            detector.close()


@dataclass(frozen=True)
class PipelineVideoFn:
    """Picklable per-video function over the video pipeline (models load once per process)."""

    generator: str | None = None
    encoder: str | None = None
    weights_dir: str | None = None
    device: str = "cpu"
    steps: int = DEFAULT_STEPS
    next_steps: int = DEFAULT_NEXT_STEPS
    warm_start: bool = True
    edit: tuple[str, ...] = ()
    landmarks: str = "mediapipe"

    def __call__(self, path: Path, max_frames: int | None) -> PipelineFrames:
        return PipelineFrames(self, path, max_frames)

    def prepare(self) -> None:
        """Load the models and check the edits now, so a bad file or option fails the run at once
        rather than every video."""
        G, E = _models(self.generator, self.encoder, self.weights_dir, self.device)
        if self.edit:
            make_edit_stage(G, 25.0, attr=self.edit, weights_dir=self.weights_dir, feature_index=E.feature_index or 5)


def pipeline_video_fn(
    generator: str | os.PathLike | None,
    encoder: str | os.PathLike | None,
    steps: int = DEFAULT_STEPS,
    warm_start: bool = True,
    edit: Sequence[str] = (),
    device: str = "cpu",
    *,
    next_steps: int = DEFAULT_NEXT_STEPS,
    weights_dir: str | os.PathLike | None = None,
) -> PipelineVideoFn:
    """The video pipeline as a per-video function: decode, align, invert (and edit ``ATTR=S``
    items), and yield :class:`FrameRecord` s of aligned input crops and their reconstructions
    with crop quads. This is the single place where the evaluation meets the video pipeline."""

    def text(path: str | os.PathLike | None) -> str | None:
        return None if path is None else str(path)

    return PipelineVideoFn(text(generator), text(encoder), text(weights_dir), device, steps, next_steps,
                           warm_start, tuple(edit))
