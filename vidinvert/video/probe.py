"""What a media file or image sequence holds: streams, duration, rotation, depth, timecode, colour
tags, without decoding more than one frame."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from vidinvert.errors import VideoError
from vidinvert.video.inputs import av_reason, main_video_stream, open_input
from vidinvert.video.depth import Depth, format_depth
from vidinvert.video.reader import normalize_rotation
from vidinvert.video.sequence import SEQUENCE_FPS, is_sequence
from vidinvert.video.sequence_reader import sequence_info
from vidinvert.video.timecode import first_frame_number, reel_name, start_timecode

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
    pix_fmt: str | None = None  # video: the decoder's pixel format (its depth: `vidinvert.video.depth`)


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
    timecode: str | None = None  # start timecode, wherever the file keeps it (`vidinvert.video.timecode`)
    reel: str | None = None
    creation_time: str | None = None
    color: dict[str, str] | None = None  # primaries, transfer, matrix, range of the first frame
    start_number: int | None = None  # an image sequence's first frame number (or the one a video recorded from it)

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

    @property
    def depth(self) -> Depth:
        """How the edited video's pictures decode (bits, float, alpha)."""
        return format_depth(self.video.pix_fmt)

    def _upright(self) -> tuple[int, int]:
        w, h = self.video.width or 0, self.video.height or 0
        return (h, w) if round(self.rotation / 90) % 2 else (w, h)


def probe(path: str | os.PathLike[str], fps: Fraction | None = None) -> VideoInfo:
    """Describe ``path`` (a video file or an image sequence, whose rate is ``fps``, default 24);
    raises VideoError if it is not a readable video (see :func:`open_input`)."""
    if is_sequence(path):
        return _probe_sequence(path, fps)
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
        reader = _Tags(container, video)
        return VideoInfo(p, container.format.name, duration, streams, video.index, normalize_rotation(first.rotation),
                         timecode=start_timecode(reader), reel=reel_name(reader),
                         creation_time=reader.metadata.get("creation_time") or reader.video_metadata.get("creation_time"),
                         color=_color(first), start_number=first_frame_number(reader))


class _Tags:
    """The tag sources `vidinvert.video.timecode` reads, from an open container."""

    def __init__(self, container: av.container.InputContainer, video: av.video.stream.VideoStream) -> None:
        self.metadata = dict(container.metadata)
        self.video_metadata = dict(video.metadata)
        self.other_streams = [s for s in container.streams if s.index != video.index]


#: FFmpeg's colour tag numbers (AVColorPrimaries, AVColorTransferCharacteristic, AVColorSpace,
#: AVColorRange) -> their names, for the ones post-production meets.
_COLOR_NAMES = {
    "primaries": {1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 11: "smpte431 (DCI-P3)",
                  12: "smpte432 (Display P3)"},
    "transfer": {1: "bt709", 2: "unspecified", 4: "gamma22", 6: "smpte170m", 8: "linear", 13: "iec61966-2-1 (sRGB)",
                 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084 (PQ)", 18: "arib-std-b67 (HLG)"},
    "matrix": {0: "rgb", 1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc", 10: "bt2020c"},
    "range": {0: "unspecified", 1: "tv (limited)", 2: "pc (full)"},
}


def _color(frame: av.VideoFrame) -> dict[str, str]:
    tags = {"primaries": frame.color_primaries, "transfer": frame.color_trc, "matrix": frame.colorspace,
            "range": frame.color_range}
    return {key: _COLOR_NAMES[key].get(int(value), str(int(value))) for key, value in tags.items()}


def _probe_sequence(path: str | os.PathLike[str], fps: Fraction | None) -> VideoInfo:
    pattern, numbers, first = sequence_info(path)
    rate = fps or SEQUENCE_FPS
    stream = StreamInfo(0, "video", pattern.codec, first.width, first.height, rate, None, None,
                        float(len(numbers) / rate), len(numbers), 1 / rate, first.format.name)
    return VideoInfo(Path(str(pattern)), f"image sequence ({pattern.codec})", stream.duration, (stream,), 0, 0,
                     color=_color(first), start_number=numbers[0])


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
        pix_fmt=(ctx.pix_fmt if is_video and ctx is not None else None),
    )
