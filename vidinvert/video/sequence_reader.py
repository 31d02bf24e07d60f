"""Streaming decode of a numbered image sequence, with the reading interface of a video file.

Each frame is its own file, opened read-only, decoded and closed before the next: memory holds one
frame whatever the sequence's length. Frame ``i`` (from 0) is the file numbered ``first + i``; its
pts is ``i`` in a time base of ``1 / fps``. The first frame fixes the size and the depth; a frame
of another size, or one that does not decode, is a one-line VideoError naming the file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av

from vidinvert.errors import VideoError
from vidinvert.video.depth import Depth, format_depth
from vidinvert.video.inputs import av_reason
from vidinvert.video.reader import ColorInfo, decode_picture
from vidinvert.video.records import FrameRange, FrameRecord, parse_frame_range, select_frames
from vidinvert.video.sequence import SEQUENCE_FPS, SequencePattern, find_sequence

logger = logging.getLogger(__name__)


class SequenceReader:
    """Decode ``shot.%04d.png`` (or a folder of numbered frames) frame by frame.

    Offers what a transcode reads from :class:`vidinvert.video.reader.VideoReader`: ``path``,
    ``frames``, ``time_base``, ``rate``, ``color``, ``depth``, ``rotation`` (0), ``metadata``,
    ``other_streams`` (none), ``start_number`` (the first file's number) and :meth:`decode_all`.
    ``fps`` None: 24 frames per second, with a warning.
    """

    video_index = 0
    rotation = 0
    skipped_packets = 0
    sample_aspect_ratio = None
    other_streams: tuple = ()
    video_metadata: dict[str, str] = {}
    profile = None

    def __init__(self, path: str | os.PathLike[str], frames: str | FrameRange | None = None,
                 fps: Fraction | None = None) -> None:
        self.frames = parse_frame_range(frames)
        self.pattern, self.numbers = find_sequence(path)
        self.path = Path(str(self.pattern))
        if fps is None:
            logger.warning("%s: an image sequence carries no frame rate; using %s fps (give --fps)",
                           self.path, SEQUENCE_FPS)
            fps = SEQUENCE_FPS
        self.rate = Fraction(fps)
        self.time_base = 1 / self.rate
        self.start_number = self.numbers[0]
        self.codec_name = self.pattern.codec
        self.metadata: dict[str, str] = {}
        self.color: ColorInfo | None = None
        self.depth = Depth(8)
        self.size: tuple[int, int] | None = None

    def __enter__(self) -> SequenceReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Nothing stays open between frames."""

    @property
    def time_bases(self) -> list[Fraction]:
        return [self.time_base]

    def __iter__(self) -> Iterator[FrameRecord]:
        return select_frames(self.decode_all(), self.frames)

    def decode_all(self, on_packet: Callable[[av.Packet], None] | None = None) -> Iterator[FrameRecord]:
        """Every frame in order (a sequence has no other streams, so ``on_packet`` is never called)."""
        for index, number in enumerate(self.numbers):
            frame = self.decode_file(self.pattern.path(number))
            image, deep, alpha = decode_picture(frame, self.depth, 0)
            yield FrameRecord(index, index, self.time_base, 1, image, deep, alpha)

    def decode_file(self, path: Path) -> av.VideoFrame:
        """The picture of one frame file (the first one read fixes size, depth and colour tags)."""
        try:
            with av.open(str(path), mode="r") as container:
                frame = next(container.decode(video=0), None)
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise VideoError(f"cannot read frame {path} ({av_reason(exc)})") from exc
        if frame is None:
            raise VideoError(f"cannot read frame {path} (no picture in it)")
        size = (frame.width, frame.height)
        if self.size is None:
            self.size = size
            self.depth = format_depth(frame.format.name)
            self.color = ColorInfo(int(frame.colorspace), int(frame.color_range), int(frame.color_primaries),
                                   int(frame.color_trc))
        elif size != self.size:
            raise VideoError(f"frame {path} is {size[0]}x{size[1]}; the sequence's first frame is "
                             f"{self.size[0]}x{self.size[1]}")
        return frame


def sequence_info(path: str | os.PathLike[str]) -> tuple[SequencePattern, list[int], av.VideoFrame]:
    """The pattern, frame numbers and first decoded frame of a sequence (for probing)."""
    reader = SequenceReader(path, fps=SEQUENCE_FPS)
    return reader.pattern, reader.numbers, reader.decode_file(reader.pattern.path(reader.numbers[0]))
