"""Streaming decode: one demux pass yielding FrameRecords (upright RGB, original timestamps).

Memory is bounded by the decoder's own delay: frames are produced one at a time and nothing is kept.
Packets of other streams (audio, subtitles, data) can be handed to a callback as they are demuxed,
which is how a transcode copies them without a second pass over the file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from vidinvert.errors import VideoError
from vidinvert.samples import to_8bit
from vidinvert.video.depth import Depth, decode_format, format_depth, split_alpha
from vidinvert.video.inputs import av_reason, main_video_stream, open_input
from vidinvert.video.pixels import TO_RGB
from vidinvert.video.records import FrameRange, FrameRecord, parse_frame_range, select_frames
from vidinvert.video.timecode import first_frame_number

logger = logging.getLogger(__name__)

# Errors a single damaged packet can raise from the decoder; the container still parses around it.
_PACKET_ERRORS = (av.error.InvalidDataError, av.error.UndefinedError, av.error.PatchWelcomeError)


@dataclass(frozen=True)
class ColorInfo:
    """Colour tags of the decoded video, reused when encoding so RGB converts back the same way."""

    colorspace: int
    color_range: int
    color_primaries: int
    color_trc: int


def normalize_rotation(degrees: float) -> int:
    """The nearest multiple of 90 degrees, in (-180, 180]."""
    return (round(degrees / 90) * 90 + 179) % 360 - 179


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display rotation (degrees counter-clockwise, as FFmpeg reports it) to an HWC image."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


class VideoReader:
    """Decode a video file frame by frame.

    Use as a context manager and iterate once; iterating yields :class:`FrameRecord` for the
    selected ``frames`` range only (decoding stops after its end). :meth:`decode_all` yields every frame and passes every packet
    of the other streams to a callback, in file order.

    Attributes after opening: ``path``, ``container`` (PyAV input), ``stream`` (the video stream),
    ``time_base`` (of every record's pts), ``frames`` (the selected FrameRange); after the first
    frame: ``color`` (ColorInfo), ``depth`` (how its pictures decode) and ``rotation`` (degrees counter-clockwise applied to every image). ``skipped_packets`` counts video
    packets the decoder rejected.
    """

    def __init__(self, path: str | os.PathLike[str], frames: str | FrameRange | None = None) -> None:
        self.frames = parse_frame_range(frames)
        self.container = open_input(path)
        self.path = Path(path)
        try:
            self.stream = main_video_stream(self.container, self.path)
        except VideoError:
            self.container.close()
            raise
        self.stream.thread_type = "AUTO"
        self.video_index: int = self.stream.index
        self.time_base: Fraction = self.stream.time_base or Fraction(1, 90000)
        self.color: ColorInfo | None = None
        self.depth = Depth(8)
        self.rotation = 0
        self.skipped_packets = 0

    @property
    def start_number(self) -> int | None:
        """The first frame number of the image sequence this video was made from (its tag), or None."""
        return first_frame_number(self)

    @property
    def rate(self) -> Fraction | None:
        """The average frame rate the stream declares."""
        return self.stream.average_rate or self.stream.guessed_rate

    @property
    def sample_aspect_ratio(self) -> Fraction | None:
        return self.stream.sample_aspect_ratio

    @property
    def codec_name(self) -> str | None:
        """The video stream's decoder ("prores", "h264"...)."""
        return self.stream.codec_context.name

    @property
    def profile(self) -> str | None:
        return self.stream.profile

    @property
    def metadata(self) -> dict[str, str]:
        """The container's tags (creation time, timecode...)."""
        return dict(self.container.metadata)

    @property
    def video_metadata(self) -> dict[str, str]:
        """The video stream's own tags (timecode, reel name, handler...)."""
        return dict(self.stream.metadata)

    @property
    def other_streams(self) -> list[av.stream.Stream]:
        """Every stream but the edited video, in file order."""
        return [s for s in self.container.streams if s.index != self.video_index]

    @property
    def time_bases(self) -> list[Fraction]:
        """The time bases of every stream of the file."""
        return [s.time_base for s in self.container.streams if s.time_base]

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the input file."""
        self.container.close()

    def __iter__(self) -> Iterator[FrameRecord]:
        return select_frames(self.decode_all(), self.frames)

    def decode_all(self, on_packet: Callable[[av.Packet], None] | None = None) -> Iterator[FrameRecord]:
        """Yield every video frame; hand every non-empty packet of the other streams to ``on_packet``.

        Damaged video packets are skipped and counted (a warning is logged at the end); a file whose
        demuxing fails part way, that ends before the frames its mp4/mov index lists (truncated),
        or from which no frame decodes raises VideoError.
        """
        streams = list(self.container.streams) if on_packet is not None else [self.stream]
        index = 0
        video_packets = 0
        timing = _Timing(self.stream, self.time_base)
        packets = self.container.demux(streams)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                raise VideoError(f"{self.path} is truncated or corrupt after frame {index} ({av_reason(exc)})") from exc
            if packet.stream.index != self.video_index:
                if packet.size and on_packet is not None:
                    on_packet(packet)
                continue
            video_packets += bool(packet.size)
            try:
                decoded = packet.decode()
            except _PACKET_ERRORS as exc:
                self.skipped_packets += 1
                logger.debug("undecodable video packet at dts %s: %s", packet.dts, av_reason(exc))
                continue
            for frame in decoded:
                yield self._record(frame, index, timing)
                index += 1
        if self._index_counts_samples() and video_packets < self.stream.frames:
            raise VideoError(
                f"{self.path} is truncated or corrupt: its index lists {self.stream.frames} video frames, "
                f"the file holds {video_packets}"
            )
        if self.skipped_packets:
            logger.warning("%s: skipped %d undecodable video packets", self.path, self.skipped_packets)
        if index == 0:
            raise VideoError(f"no video frame could be decoded from {self.path}")

    def _index_counts_samples(self) -> bool:
        # mp4/mov indexes list every sample, so fewer packets than listed means the data was cut;
        # other containers' counts are estimates (AVI counts time units, Matroska has none).
        return bool(self.stream.frames) and "mov" in self.container.format.name.split(",")

    def _record(self, frame: av.VideoFrame, index: int, timing: _Timing) -> FrameRecord:
        if self.color is None:
            self.color = ColorInfo(
                int(frame.colorspace), int(frame.color_range), int(frame.color_primaries), int(frame.color_trc)
            )
            self.rotation = normalize_rotation(frame.rotation)
            if frame.rotation % 90:
                logger.warning("%s: rotation %d degrees rounded to %d", self.path, frame.rotation, self.rotation)
            self.depth = format_depth(frame.format.name)
        pts, duration = timing.next(frame)
        image, deep, alpha = decode_picture(frame, self.depth, self.rotation)
        return FrameRecord(index, pts, timing.time_base, duration, image, deep, alpha)


def decode_picture(frame: av.VideoFrame, depth: Depth,
                   rotation: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(8-bit image, picture at ``depth`` or None when that is 8-bit, alpha or None), upright."""
    picture = frame.to_ndarray(format=decode_format(depth), src_color_range=frame.color_range, interpolation=TO_RGB)
    colour, alpha = split_alpha(upright(picture, rotation), depth)
    return to_8bit(colour), (colour if depth.deep else None), alpha


class _Timing:
    """Frame timestamps as the stream carries them, with a fallback for frames that have none."""

    def __init__(self, stream: av.video.stream.VideoStream, time_base: Fraction) -> None:
        self.time_base = time_base
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        self.step = max(1, round(1 / (rate * self.time_base)))
        self.last: int | None = None

    def next(self, frame: av.VideoFrame) -> tuple[int, int]:
        """(pts, duration) of ``frame``; missing or repeated timestamps continue from the previous one."""
        pts = frame.pts
        if pts is None or (self.last is not None and pts <= self.last):
            pts = 0 if self.last is None else self.last + self.step
        self.last = pts
        return pts, int(frame.duration or self.step)


def open_video(path: str | os.PathLike[str], frames: str | FrameRange | None = None) -> VideoReader:
    """Open ``path`` for streaming decode of the ``frames`` range ("START:END"); use in a ``with``."""
    return VideoReader(path, frames)
