"""Writing the edit's matte (`--matte-out`): for every output frame, the alpha the output was blended
with, as a lossless grey video or a 16-bit PNG sequence, with the output's frames and timestamps.

    .mkv, .avi          FFV1, 16-bit grey
    .mov, .mp4          H.264 lossless (qp 0), 8-bit grey
    matte.%04d.png      16-bit grey PNG per frame, numbered like the output

Like the output, the matte appears only when complete.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import av
import cv2
import numpy as np

from vidinvert.errors import VidinvertError, VideoError
from vidinvert.video.inputs import av_reason
from vidinvert.video.outputs import atomic_output, output_container
from vidinvert.video.probe import VideoInfo
from vidinvert.video.records import FrameRecord
from vidinvert.video.sequence import is_pattern, parse_pattern
from vidinvert.video.sequence_writer import staged_frames
from vidinvert.video.sources import check_target

#: Container extension -> (encoder, pixel format, options).
VIDEO_FORMATS = {".mkv": ("ffv1", "gray16le", {"level": "3"}), ".avi": ("ffv1", "gray16le", {"level": "3"}),
                 ".mov": ("libx264", "gray", {"qp": "0"}), ".mp4": ("libx264", "gray", {"qp": "0"})}
SEQUENCE_EXTENSIONS = (".png",)


def check_matte_target(target: Path) -> None:
    """A one-line error for a matte path this writer cannot write."""
    if is_pattern(target):
        if parse_pattern(target).suffix.lower() not in SEQUENCE_EXTENSIONS:
            raise VidinvertError(f"--matte-out {target}: a matte sequence is written as 16-bit PNG (matte.%04d.png)")
    elif target.suffix.lower() not in VIDEO_FORMATS:
        raise VidinvertError(f"--matte-out {target}: write a {', '.join(VIDEO_FORMATS)} video or a numbered PNG "
                             f"sequence (matte.%04d.png)")


class MatteWriter:
    """Use in a `with` block; `write` every output frame in order with its matte (None: nothing changed)."""

    def __init__(self, target: Path, overwrite: bool, first_number: int = 0) -> None:
        check_matte_target(target)
        self.target = target
        self.overwrite = overwrite
        self.first_number = first_number
        self._stack = contextlib.ExitStack()
        self._folder: Path | None = None
        self._container = None
        self._tmp: Path | None = None
        self._stream = None

    def __enter__(self) -> MatteWriter:
        if is_pattern(self.target):
            self.pattern = parse_pattern(self.target)
            self._folder = self._stack.enter_context(staged_frames(self.pattern, self.overwrite))
        else:
            self._tmp = self._stack.enter_context(atomic_output(self.target, self.overwrite))
            self._container = self._stack.enter_context(output_container(self._tmp, self.target))
        return self

    def write(self, record: FrameRecord, matte: np.ndarray | None) -> None:
        h, w = record.image.shape[:2]
        values = np.zeros((h, w), np.float32) if matte is None else matte
        grey = np.rint(np.clip(values, 0.0, 1.0) * 65535).astype(np.uint16)
        try:
            if self._folder is not None:
                name = self._folder / self.pattern.name(self.first_number + record.index)
                if not cv2.imwrite(str(name), grey):
                    raise OSError(f"cannot write {name}")
            else:
                self._encode(record, grey)
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(f"writing {self.target} failed ({av_reason(exc)})") from exc

    def _encode(self, record: FrameRecord, grey: np.ndarray) -> None:
        encoder, pix_fmt, options = VIDEO_FORMATS[self.target.suffix.lower()]
        if self._stream is None:
            if self.target.suffix.lower() in (".mov", ".mp4"):
                self._container.options["movie_timescale"] = str(record.time_base.denominator)
            stream = self._container.add_stream(encoder)
            stream.width, stream.height = grey.shape[1], grey.shape[0]
            stream.pix_fmt = pix_fmt
            stream.time_base = record.time_base
            stream.codec_context.time_base = record.time_base
            stream.options = dict(options)
            self._stream = stream
        frame = av.VideoFrame.from_ndarray(grey, format="gray16le")
        if pix_fmt != "gray16le":
            frame = frame.reformat(format=pix_fmt)
        frame.pts = record.pts
        frame.time_base = record.time_base
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def _flush(self) -> None:
        if self._stream is None:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        except av.error.FFmpegError as exc:
            raise VideoError(f"writing {self.target} failed ({av_reason(exc)})") from exc

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self._flush()
            except BaseException as error:
                if not self._stack.__exit__(type(error), error, error.__traceback__):
                    raise
                return False
        return bool(self._stack.__exit__(exc_type, exc, tb))


def open_matte_out(target: str | os.PathLike, source: Path, output: str | os.PathLike, info: VideoInfo,
                   overwrite: bool) -> MatteWriter:
    """The writer of `--matte-out` after the checks of its path (not the input, not the output, not
    there unless `overwrite`); frames numbered as the output's (`info`: the input's description)."""
    target = Path(target)
    check_matte_target(target)
    if target.resolve() == Path(output).resolve():
        raise VidinvertError(f"--matte-out {target} is the output; choose another name")
    check_target(source, target, overwrite, overwrite_hint="--overwrite")
    return MatteWriter(target, overwrite, info.start_number or 0)
