"""The video pipeline as the evaluation's per-video function.

Each video is decoded (first ``max_frames`` frames) and run through the same stages as `edit`
(`vidinvert.pipeline.build`): the face tracked, its crop smoothed and aligned at the encoder's
input size, inverted (warm-started or not), optionally edited, and rendered. The rendered face is
brought to the aligned input crop's size (box average or antialiased bilinear, as the encoder sees
images) so both are measured at the same size. Frames without the tracked face give no record;
they are counted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidinvert.config import InvertConfig, ModelConfig, RunConfig, TrackConfig
from vidinvert.eval.records import EvalFrame
from vidinvert.images import to_model_input
from vidinvert.loading import load_configured_models
from vidinvert.models import Generator, InversionEncoder
from vidinvert.models.encoder_base import resize_square
from vidinvert.pipeline.build import build_pipeline
from vidinvert.video import open_video, probe

# Models loaded in this process, by (generator, encoder, weights_dir, device): each evaluation
# worker loads them once, on its first video.
_LOADED: dict[tuple[str | None, ...], tuple[Generator, InversionEncoder]] = {}


def _models(models: ModelConfig) -> tuple[Generator, InversionEncoder]:
    key = (models.generator, models.encoder, models.weights_dir, models.device)
    if key not in _LOADED:
        _LOADED[key] = load_configured_models(models)
    return _LOADED[key]


class PipelineFrames:
    """The frame records of one video; ``frames_without_face`` counts the frames that gave none
    (complete once iteration ends)."""

    def __init__(self, video_fn: PipelineVideoFn, path: Path, max_frames: int | None) -> None:
        self.video_fn = video_fn
        self.path = Path(path)
        self.max_frames = max_frames
        self.frames_without_face = 0

    def __iter__(self) -> Iterator[EvalFrame]:
        config = self.video_fn.config
        G, E = _models(config.models)
        info = probe(self.path)
        selection = None if self.max_frames is None else f"0:{self.max_frames}"
        with build_pipeline(G, E, config, float(info.fps) if info.fps else 25.0) as pipeline, \
                open_video(self.path, frames=selection) as video:
            faces = pipeline.faces(video)
            with contextlib.closing(faces):  # the chain's threads stop before the video and detector close
                for frame in faces:
                    if frame.face is None:
                        self.frames_without_face += 1
                        continue
                    output = resize_square(to_model_input(frame.face), E.input_size)[0]
                    yield EvalFrame(frame.record.index, frame.crop, output, frame.quad)


@dataclass(frozen=True)
class PipelineVideoFn:
    """Picklable per-video function over the video pipeline (models load once per process)."""

    config: RunConfig

    def __call__(self, path: Path, max_frames: int | None) -> PipelineFrames:
        return PipelineFrames(self, path, max_frames)

    def prepare(self) -> None:
        """Load the models and check the edits now, so a bad file or option fails the run at once
        rather than every video."""
        G, E = _models(self.config.models)
        build_pipeline(G, E, self.config, 25.0).close()


def pipeline_video_fn(
    generator: str | os.PathLike | None,
    encoder: str | os.PathLike | None,
    steps: int = InvertConfig.steps,
    warm_start: bool = InvertConfig.warm_start,
    edit: Sequence[str] = (),
    device: str = "cpu",
    *,
    next_steps: int = InvertConfig.next_steps,
    weights_dir: str | os.PathLike | None = None,
    landmarks: str = TrackConfig.landmarks,
) -> PipelineVideoFn:
    """The video pipeline as a per-video function: decode, align, invert (and edit ``ATTR=S``
    items), and yield :class:`EvalFrame` s of aligned input crops and their reconstructions
    with crop quads. This is the single place where the evaluation meets the video pipeline."""

    def text(path: str | os.PathLike | None) -> str | None:
        return None if path is None else str(path)

    config = RunConfig().with_options(generator=text(generator), encoder=text(encoder), weights_dir=text(weights_dir),
                                      device=device, steps=steps, next_steps=next_steps, warm_start=warm_start,
                                      attr=tuple(edit), landmarks=landmarks)
    return PipelineVideoFn(config)
