"""Which reader and which output checks a path gets: a video file, or a numbered image sequence."""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path

from vidinvert.errors import VideoError
from vidinvert.video.inputs import check_input_path
from vidinvert.video.outputs import check_output_path
from vidinvert.video.reader import VideoReader
from vidinvert.video.records import FrameRange
from vidinvert.video.sequence import find_sequence, is_pattern, is_sequence, parse_pattern
from vidinvert.video.sequence_reader import SequenceReader

logger = logging.getLogger(__name__)


def check_source(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path after checking it is a readable video file or a complete image sequence
    (no gap); VideoError otherwise."""
    if is_sequence(path):
        find_sequence(path)
        return Path(path)
    return check_input_path(path)


def check_target(source: Path | None, target: str | os.PathLike[str], overwrite: bool,
                 overwrite_hint: str = "overwrite=True") -> Path:
    """``target`` as a Path after the checks of its kind: a sequence pattern (``out.%04d.png``:
    known image type, existing folder, not the input, no frame of it there unless ``overwrite``)
    or a video file (:func:`vidinvert.video.outputs.check_output_path`)."""
    if not is_pattern(target):
        return check_output_path(source, target, overwrite, overwrite_hint)
    pattern = parse_pattern(target)
    if not pattern.folder.is_dir():
        raise VideoError(f"output directory {pattern.folder} does not exist")
    if source is not None and is_sequence(source):
        own, _ = find_sequence(source)
        if (own.folder.resolve(), own.prefix, own.suffix.lower()) == (pattern.folder.resolve(), pattern.prefix,
                                                                       pattern.suffix.lower()):
            raise VideoError(f"output {target} is the input sequence; choose another output name")
    existing = pattern.numbers()
    if existing and not overwrite:
        raise VideoError(f"output {target} already has frames (such as {pattern.name(existing[0])}); "
                         f"pass {overwrite_hint} to replace them")
    return Path(target)


def open_source(path: str | os.PathLike[str], frames: str | FrameRange | None = None,
                fps: Fraction | None = None) -> VideoReader | SequenceReader:
    """A reader for ``path``: :class:`SequenceReader` for an image sequence (``fps``: its rate),
    :class:`VideoReader` for a video file (which carries its own rate; ``fps`` is ignored with a
    warning)."""
    if is_sequence(path):
        return SequenceReader(path, frames, fps)
    if fps is not None:
        logger.warning("%s is a video with its own frame rate; --fps applies to image sequences only", path)
    return VideoReader(path, frames)


def open_video(path: str | os.PathLike[str], frames: str | FrameRange | None = None,
               fps: Fraction | None = None) -> VideoReader | SequenceReader:
    """Open a video file or an image sequence for streaming decode of the ``frames`` range
    ("START:END"); use in a ``with``."""
    return open_source(path, frames, fps)
