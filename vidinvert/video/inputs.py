"""Opening an input video read-only, with every failure turned into a one-line VideoError."""

from __future__ import annotations

import os
from pathlib import Path

import av
import av.container
from av.stream import Disposition

from vidinvert.errors import VideoError


def av_reason(exc: BaseException) -> str:
    """The human part of an FFmpeg/PyAV error, without errno numbers or file names."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(reason).split())


def check_input_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path after checking it names a non-empty readable regular file."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"input video not found: {p}")
    if p.is_dir():
        raise VideoError(f"input is a directory, not a video file: {p}")
    if not p.is_file():
        raise VideoError(f"input is not a regular file: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"input video is empty (0 bytes): {p}")
    if not os.access(p, os.R_OK):
        raise VideoError(f"input video is not readable (permission denied): {p}")
    return p


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open ``path`` for reading only; raise VideoError when FFmpeg cannot parse it as a media file."""
    p = check_input_path(path)
    try:
        return av.open(str(p), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(f"cannot read {p} as a video ({av_reason(exc)})") from exc


def main_video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The video stream to edit: the first one that is not an attached cover picture."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
    raise VideoError(f"no video stream in {path} (it holds: {kinds})")
