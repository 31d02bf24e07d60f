"""The video pipeline as the evaluation's per-video function.

Each video is decoded (first ``max_frames`` frames) and run through the same stages as `edit`
(`vidinvert.pipeline.build`): the face tracked, its crop smoothed and aligned at the encoder's
input size, inverted (warm-started or not), optionally edited, and rendered. The rendered face is
brought to the aligned input crop's size (box average or antialiased bilinear, as the encoder sees
images) so both are measured at the same size. Frames without the tracked face give no record;
they are counted.

With face scores on, every frame is also composited as `edit` writes it (the run's render mode)
and scored against the input frame as `vidinvert score` does (`vidinvert.eval.face_score`).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vidinvert.config import RunConfig
from vidinvert.engines.model_cache import cached_models
from vidinvert.eval.face_score import FaceScorer
from vidinvert.eval.records import EvalFrame
from vidinvert.images import to_model_input, to_uint8
from vidinvert.models.encoder_base import resize_square
from vidinvert.pipeline.build import Pipeline, build_pipeline
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.video import DEFAULT_FPS, open_video, probe

def _scored(pipeline: Pipeline, faces: Iterator[FaceFrame], scorer: FaceScorer) -> Iterator[FaceFrame]:
    """The face frames, each scored once `pipeline.composite` has made its output frame."""
    entered: deque[FaceFrame] = deque()

    def entering(frames: Iterator[FaceFrame]) -> Iterator[FaceFrame]:
        for frame in frames:
            entered.append(frame)
            yield frame

    for output in pipeline.composite(entering(faces)):
        frame = entered.popleft()
        scorer.add(frame.record.index, frame.record.image, output.image)
        yield frame


def _edited_face(pipeline: Pipeline, frame: FaceFrame) -> np.ndarray:
    """The generator's face of the frame's final latents, which the crop metrics measure in every
    render mode: warp and delta draw their pair from moved latents (`--change-from`), so an edited
    frame's inversion is drawn here."""
    if frame.before is None or frame.face is frame.before or pipeline.renderer.change_from.uses_inversion:
        return frame.face
    return to_uint8(pipeline.renderer.images([frame.edited]))[0]


class PipelineFrames:
    """The frame records of one video. Complete once iteration ends: ``frames_without_face`` counts
    the frames that gave none; ``face_scores`` is the `FaceScorer` summary of every frame (None
    when the function does not score faces)."""

    def __init__(self, video_fn: PipelineVideoFn, path: Path, max_frames: int | None) -> None:
        self.video_fn = video_fn
        self.path = Path(path)
        self.max_frames = max_frames
        self.frames_without_face = 0
        self.face_scores: dict[str, float] | None = None

    def __iter__(self) -> Iterator[EvalFrame]:
        config = self.video_fn.config
        models = cached_models(config.models)
        E = models.E
        info = probe(self.path)
        selection = None if self.max_frames is None else f"0:{self.max_frames}"
        with build_pipeline(models, config, info.frame_rate) as pipeline, \
                open_video(self.path, frames=selection) as video, \
                (FaceScorer() if self.video_fn.face_scores else contextlib.nullcontext()) as scorer:
            faces = pipeline.faces(video)
            with contextlib.closing(faces):  # the chain's threads stop before the video and detector close
                for frame in faces if scorer is None else _scored(pipeline, faces, scorer):
                    if frame.face is None:
                        self.frames_without_face += 1
                        continue
                    output = resize_square(to_model_input(_edited_face(pipeline, frame)), E.input_size)[0]
                    yield EvalFrame(frame.record.index, frame.crop, output, frame.quad)
                if scorer is not None:
                    self.face_scores = scorer.summary()


@dataclass(frozen=True)
class PipelineVideoFn:
    """Picklable per-video function over the video pipeline (models load once per process);
    ``face_scores``: also score the output frames against the input frames."""

    config: RunConfig
    face_scores: bool = True

    def __call__(self, path: Path, max_frames: int | None) -> PipelineFrames:
        return PipelineFrames(self, path, max_frames)

    def prepare(self) -> None:
        """Load the models and check the edits now, so a bad file or option fails the run at once
        rather than every video."""
        build_pipeline(cached_models(self.config.models), self.config, DEFAULT_FPS).close()

    def on_device(self, device: str) -> PipelineVideoFn:
        """The same function on another device (a worker's own)."""
        return replace(self, config=self.config.with_options(device=device))
