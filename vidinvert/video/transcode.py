"""One-pass transcode: demux once, hand video frames to the caller's processing, encode what comes
back, and copy every other stream's packets as they are demuxed.

``process`` is an iterator stage, ``Iterator[FrameRecord] -> Iterable[FrameRecord]``: it may hold a
bounded number of frames to look ahead (e.g. a Gaussian filter over time) and must give back every
frame it received, in order, with its index and timing unchanged. While it holds frames, packets of
the other streams wait in the muxer's packet log.

Threads: by default decoding runs ahead on its own thread, ``process`` on another, and encoding and
muxing on the caller's; each hand-off holds a bounded number of frames (DECODE_AHEAD,
ENCODE_BEHIND), so memory does not grow with the video's length. PyAV's input objects are used only
by the decoding thread and the output objects only by the encoding one: other streams' packets
reach the muxer through the log, each tagged with the number of video frames decoded before it, and
are muxed just before the video frame of that number. The muxer therefore receives the same calls in
the same order whatever the threads do, and ``serial=True`` (everything on the caller's thread)
writes the same file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.container

from vidinvert.concurrency import Handoffs
from vidinvert.errors import VideoError
from vidinvert.stage_timing import StageTimes
from vidinvert.video.encoding import EncodeSettings, VideoEncoder, add_video_stream, FRAME_COUNTED_FORMATS, check_container_holds, frame_time_base
from vidinvert.video.inputs import av_reason, check_input_path
from vidinvert.video.outputs import atomic_output, check_output_path, output_container
from vidinvert.video.reader import VideoReader
from vidinvert.video.records import FrameRange, FrameRecord, parse_frame_range
from vidinvert.video.streams import PassThroughStream, copy_metadata

logger = logging.getLogger(__name__)

Process = Callable[[Iterator[FrameRecord]], Iterable[FrameRecord]]

#: Frames decoded ahead of ``process``, and processed frames waiting for the encoder.
DECODE_AHEAD = 8
ENCODE_BEHIND = 8


@dataclass(frozen=True)
class TranscodeResult:
    """What a transcode wrote: frame counts and what happened to each other input stream."""

    output: Path
    frames: int
    processed: int
    skipped_packets: int
    streams: dict[int, str]  # input stream index -> 'video', 'copy', 'reencode' or 'drop'


def transcode(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    process: Process | None = None,
    *,
    frames: str | FrameRange | None = None,
    codec: str = "h264",
    crf: int = 18,
    preset: str = "medium",
    overwrite: bool = False,
    serial: bool = False,
    stage_times: StageTimes | None = None,
) -> TranscodeResult:
    """Re-encode ``input``'s video into ``output`` through ``process``, keeping timing and other streams.

    Only frames inside ``frames`` ("START:END", END exclusive) go through ``process``; the others are
    re-encoded unchanged. ``codec``/``crf``/``preset`` choose the video encoding (see
    :mod:`vidinvert.video.encoding`). The output appears only when complete; ``overwrite`` allows
    replacing an existing file. ``serial`` runs decoding, ``process`` and encoding on the caller's
    thread (same output, for debugging and comparison). ``stage_times`` gets the busy time of the
    stages "decode" and "encode" (encoding and muxing). Raises VideoError for unusable input or output.
    """
    settings = EncodeSettings(codec, crf, preset)
    selection = parse_frame_range(frames)
    source = check_input_path(input)
    target = check_output_path(source, output, overwrite)
    times = stage_times if stage_times is not None else StageTimes()
    with (
        VideoReader(source) as reader,
        atomic_output(target, overwrite) as tmp,
        output_container(tmp, target) as container,
    ):
        check_container_holds(container, settings, target.name)
        _exact_movie_timescale(container, reader)
        _frame_counted_timing(container)
        muxer = _Muxer(reader, container, settings, target)
        counter = _Counter()
        handoffs = Handoffs(serial)
        records = handoffs.ahead(times.observe("decode", _tagged_decode(reader, muxer.log)), "decode", DECODE_AHEAD)
        routed = handoffs.ahead(_route(records, process, selection, counter), "process", ENCODE_BEHIND)
        for _ in handoffs.output(times.observe("encode", muxer.encode(routed))):
            pass
        muxer.finish()
    if counter.selected == 0:
        logger.warning("frame range %s selected no frame of %s (%d frames)", selection, source, muxer.count)
    return TranscodeResult(target, muxer.count, counter.selected, reader.skipped_packets, muxer.actions())


def _tagged_decode(reader: VideoReader, log: _PacketLog) -> Iterator[FrameRecord]:
    """Every decoded frame; every other packet goes to ``log`` with the number of frames before it."""
    decoded = 0

    def hold(packet: av.Packet) -> None:
        log.add(decoded, packet)

    for record in reader.decode_all(on_packet=hold):
        yield record
        decoded += 1


_MOV_FAMILY = {"mov", "mp4", "ipod", "3gp", "3g2", "ismv", "psp", "f4v"}


def _exact_movie_timescale(container: av.container.OutputContainer, reader: VideoReader) -> None:
    """The mov/mp4 muxer writes track start offsets (edit lists) in a movie timescale of 1000 by
    default, which moves a track starting at 2.40177 s to 2.401 s; use a timescale every input
    stream's time base divides, so start offsets stay exact."""
    if container.format.name not in _MOV_FAMILY:
        return
    scale = 1
    for stream in reader.container.streams:
        if stream.time_base:
            scale = math.lcm(scale, stream.time_base.denominator)
    if scale >= 2**31:
        scale = max(s.time_base.denominator for s in reader.container.streams if s.time_base)
    container.options["movie_timescale"] = str(scale)


def _frame_counted_timing(container: av.container.OutputContainer) -> None:
    """A container that counts frames (AVI) would shift every stream by an audio stream's negative
    start (encoder priming) and so drop the video a frame late; keep the video's frames where they are."""
    if container.format.name in FRAME_COUNTED_FORMATS:
        container.options["avoid_negative_ts"] = "disabled"


@dataclass
class _Counter:
    selected: int = 0


def _route(
    records: Iterator[FrameRecord], process: Process | None, selection: FrameRange, counter: _Counter
) -> Iterator[FrameRecord]:
    """Frames before/after ``selection`` straight through; the frames inside it through ``process``."""
    stash: list[FrameRecord] = []

    def inside(first: FrameRecord) -> Iterator[FrameRecord]:
        counter.selected += 1
        yield first
        for record in records:
            if record.index not in selection:
                stash.append(record)
                return
            counter.selected += 1
            yield record

    for record in records:
        if record.index not in selection:
            yield record
            continue
        yield from (process or _identity)(inside(record))
        break
    yield from stash
    yield from records


def _identity(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
    return records


class _PacketLog:
    """Other streams' packets from demuxing until the muxer reaches the video frame they preceded."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: deque[tuple[int, av.Packet]] = deque()

    def add(self, frames_before: int, packet: av.Packet) -> None:
        with self.lock:
            self.entries.append((frames_before, packet))

    def take(self, frame: int | None = None) -> list[av.Packet]:
        """The packets demuxed before video frame ``frame`` (all of them when None), oldest first."""
        with self.lock:
            taken = []
            while self.entries and (frame is None or self.entries[0][0] <= frame):
                taken.append(self.entries.popleft()[1])
            return taken


class _Muxer:
    """Owns the output streams. They are added at once, in the input's order; the video encoder is set
    up at the first processed frame (its size is known then). Only the caller's thread uses it."""

    def __init__(
        self, reader: VideoReader, container: av.container.OutputContainer, settings: EncodeSettings, target: Path
    ) -> None:
        self.reader = reader
        self.target = target
        self.container = container
        self.settings = settings
        self.log = _PacketLog()
        self.video: VideoEncoder | None = None
        self.others: dict[int, PassThroughStream] = {}
        self.count = 0
        self.last_pts: int | None = None
        source = reader.stream
        self.rate = source.average_rate or source.guessed_rate
        if frame_time_base(container, self.rate) is not None:  # frames counted at the stream's own rate
            self.rate = source.guessed_rate or self.rate
        self.sar = source.sample_aspect_ratio
        copy_metadata(dict(reader.container.metadata), container.metadata)
        for stream in reader.container.streams:
            if stream.index == source.index:
                self.video_stream = add_video_stream(container, settings)
                copy_metadata(dict(source.metadata), self.video_stream.metadata)
            else:
                self.others[stream.index] = PassThroughStream(stream, container)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Encoder and muxer failures (full disk, a codec refusing the size...) as VideoError."""
        try:
            yield
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(f"writing {self.target} failed ({av_reason(exc)})") from exc

    def encode(self, records: Iterable[FrameRecord]) -> Iterator[FrameRecord]:
        """Encode every record (a stage, so that its time can be measured like the others')."""
        for record in records:
            self.frame(record)
            yield record

    def frame(self, record: FrameRecord) -> None:
        if record.index != self.count:
            raise ValueError(f"processing gave back frame {record.index} where frame {self.count} was due")
        if self.last_pts is not None and record.pts <= self.last_pts:
            raise ValueError(f"frame {record.index}: pts {record.pts} does not follow {self.last_pts}")
        with self._writing():
            if self.video is None:
                self._start(record)
            assert self.video is not None
            self._mux_others(self.log.take(record.index))
            self.video.encode(record)
        self.count += 1
        self.last_pts = record.pts

    def finish(self) -> None:
        if self.video is None:
            raise VideoError(f"no video frame could be decoded from {self.reader.path}")
        with self._writing():
            self._mux_others(self.log.take())
            self.video.flush()
            for stream in self.others.values():
                stream.flush()

    def actions(self) -> dict[int, str]:
        result = {self.reader.video_index: "video"}
        result.update({index: stream.action for index, stream in self.others.items()})
        return result

    def _start(self, first: FrameRecord) -> None:
        # The reader set its colour and rotation before handing over the first frame.
        sar = self.sar
        if sar and self.reader.rotation % 180:
            sar = 1 / sar
        self.video = VideoEncoder(self.container, self.settings, first, self.rate, self.reader.color, sar,
                                  stream=self.video_stream)

    def _mux_others(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self.others[packet.stream.index].mux(packet)
