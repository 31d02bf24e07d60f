"""A photo through the video pipeline as a clip of one frame: its face found, aligned the FFHQ way,
inverted, edited, rendered and composited back exactly as a video frame's face is."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidinvert.config import RunConfig
from vidinvert.errors import VidinvertError
from vidinvert.images import PICTURE_SUFFIXES
from vidinvert.models import LoadedModels
from vidinvert.pipeline.build import Pipeline, build_pipeline
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.video import FrameRecord
from vidinvert.video.sequence import is_sequence

#: The rate a photo's one frame is given (the filters over time see a single frame).
PHOTO_FPS = 25


def is_photo(path: str | os.PathLike) -> bool:
    """Whether `path` names a single picture rather than a video or an image sequence."""
    return Path(path).suffix.lower() in PICTURE_SUFFIXES and not is_sequence(path)


@dataclass
class PhotoResult:
    """The photo's face frame (its inversion, edited latents and rendered face) and the composited photo."""

    frame: FaceFrame
    image: np.ndarray


def check_photo_config(config: RunConfig) -> None:
    """Refuse what only a video has: a choice among face tracks, frame ranges, per-frame files."""
    if config.track.several:
        raise VidinvertError("--face all, --track and --face-ref choose among a video's face tracks; choose a "
                             "photo's face with --face (a size rank, left, right, ... or X,Y)")
    video_only = {"--frames": config.output.frames, "--save-latents": config.output.save_latents,
                  "--matte-out": config.output.matte_out, "--holdout": config.render.holdout}
    given = [name for name, value in video_only.items() if value is not None]
    if given:
        raise VidinvertError(f"{', '.join(given)} apply to videos; the input here is a photo")


def run_photo(pipeline: Pipeline, image: np.ndarray, name: str | os.PathLike) -> PhotoResult:
    """The photo `image` (uint8 RGB) through the pipeline; a VidinvertError naming `name` when it has no face."""
    record = FrameRecord(index=0, pts=0, time_base=Fraction(1, PHOTO_FPS), duration=1, image=image)
    faces = pipeline.faces([record])
    with contextlib.closing(faces):
        frames = list(faces)
    if not frames[0].has_face:
        raise VidinvertError(f"no face found in {name}")
    return PhotoResult(frames[0], next(pipeline.composite(frames)).picture)


def invert_photo(models: LoadedModels, config: RunConfig, image: np.ndarray, name: str | os.PathLike) -> Latents:
    """The inversion of the photo's face, found and aligned as `config` says (its edits left out)."""
    check_photo_config(config)
    plain = config.with_options(attr=(), direction=(), smooth_latents="none", smooth_features="none",
                                smooth_offset="none", render="generated")
    with build_pipeline(models, plain, PHOTO_FPS) as pipeline:
        return run_photo(pipeline, image, name).frame.inverted
