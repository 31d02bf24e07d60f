"""What a media file holds: streams, duration, rotation, without decoding more than one frame."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from vidinvert.errors import VideoError
from vidinvert.video.inputs import av_reason, main_video_stream, open_input
from vidinvert.video.reader import normalize_rotation

#: The frame rate assumed where a file names none (keyframe times and filter cut-offs need one).
DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class StreamInfo:
    """One stream: ``type`` ('video', 'audio', 'subtitle', 'data'...), decoder ``codec`` name,
    coded ``width``/``height`` (video), average ``fps`` (video), ``sample_rate``/``channels``
    (audio), ``duration`` in seconds and ``frames`` (container's count) when known."""

    index: int
    type: str
    codec: str | None
    width: int | None
    height: int | None
    fps: Fraction | None
    sample_rate: int | None
    channels: int | None
    duration: float | None
    frames: int | None
    time_base: Fraction | None


@dataclass(frozen=True)
class VideoInfo:
    """A probed file. ``video_index`` names the stream that gets edited; ``rotation`` is its display
    rotation in degrees counter-clockwise (already applied to decoded images, so ``width`` and
    ``height`` are the upright size); ``duration`` is the container's, in seconds."""

    path: Path
    format: str
    duration: float | None
    streams: tuple[StreamInfo, ...]
    video_index: int
    rotation: int

    @property
    def video(self) -> StreamInfo:
        """The edited video stream."""
        return next(s for s in self.streams if s.index == self.video_index)

    @property
    def width(self) -> int:
        """Upright width in pixels."""
        return self._upright()[0]

    @property
    def height(self) -> int:
        """Upright height in pixels."""
        return self._upright()[1]

    @property
    def fps(self) -> Fraction | None:
        return self.video.fps

    @property
    def frame_rate(self) -> float:
        """The average frame rate, DEFAULT_FPS where the file names none."""
        return float(self.fps) if self.fps else DEFAULT_FPS

    @property
    def frames(self) -> int | None:
        return self.video.frames

    def _upright(self) -> tuple[int, int]:
        w, h = self.video.width or 0, self.video.height or 0
        return (h, w) if round(self.rotation / 90) % 2 else (w, h)


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe ``path``; raises VideoError if it is not a readable video (see :func:`open_input`)."""
    with open_input(path) as container:
        p = Path(path)
        video = main_video_stream(container, p)
        streams = tuple(_stream_info(s) for s in container.streams)
        try:
            first = next(container.decode(video), None)
        except av.error.FFmpegError as exc:
            raise VideoError(f"cannot decode video of {p} ({av_reason(exc)})") from exc
        if first is None:
            raise VideoError(f"no video frame could be decoded from {p}")
        duration = container.duration / av.time_base if container.duration else None
        return VideoInfo(p, container.format.name, duration, streams, video.index, normalize_rotation(first.rotation))


def _stream_info(stream: av.stream.Stream) -> StreamInfo:
    ctx = stream.codec_context
    tb = stream.time_base
    duration = float(stream.duration * tb) if stream.duration is not None and tb else None
    is_video = stream.type == "video"
    is_audio = stream.type == "audio"
    return StreamInfo(
        index=stream.index,
        type=stream.type,
        codec=ctx.name if ctx is not None else None,
        width=ctx.width if is_video else None,
        height=ctx.height if is_video else None,
        fps=(stream.average_rate or stream.guessed_rate) if is_video else None,
        sample_rate=ctx.sample_rate if is_audio else None,
        channels=ctx.channels if is_audio else None,
        duration=duration,
        frames=stream.frames or None,
        time_base=tb,
    )
