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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container

from vidinvert.concurrency import Handoffs
from vidinvert.errors import VideoError
from vidinvert.stage_timing import StageTimes
from vidinvert.video.encoding import FRAME_COUNTED_FORMATS, EncodeSettings, check_container_holds
from vidinvert.video.muxer import FrameSink, PacketLog, VideoMuxer
from vidinvert.video.outputs import atomic_output, output_container
from vidinvert.video.records import FrameRange, FrameRecord, parse_frame_range
from vidinvert.video.sequence import is_pattern, parse_fps
from vidinvert.video.sequence_writer import SequenceWriter
from vidinvert.video.sources import check_source, check_target, open_source

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
    fps: str | float | Fraction | None = None,
    written: Callable[[FrameRecord], None] | None = None,
    comment: str | None = None,
) -> TranscodeResult:
    """Re-encode ``input``'s video into ``output`` through ``process``, keeping timing and other streams.

    Only frames inside ``frames`` ("START:END", END exclusive) go through ``process``; the others are
    re-encoded unchanged. ``codec``/``crf``/``preset`` choose the video encoding (see
    :mod:`vidinvert.video.encoding`). Either side may be a numbered image sequence
    (``shot.%04d.png``, or a folder of numbered frames as input; :mod:`vidinvert.video.sequence`):
    ``fps`` is then the input's rate (default 24, with a warning), and an output sequence is
    encoded by its extension and numbered from the input's first number (0 for a video). The output
    appears only when complete; ``overwrite`` allows replacing an existing file. ``serial`` runs
    decoding, ``process`` and encoding on the caller's thread (same output, for debugging and
    comparison). ``stage_times`` gets the busy time of the stages "decode" and "encode" (encoding
    and muxing). ``written`` is called with every output record once it is encoded, in order.
    ``comment`` replaces the container's ``comment`` tag (an image sequence, which has no container,
    refuses one). Raises VideoError for unusable input or output.
    """
    settings = EncodeSettings(codec, crf, preset)
    selection = parse_frame_range(frames)
    source = check_source(input)
    target = check_target(source, output, overwrite)
    if comment is not None:
        check_comment_target(target)
    times = stage_times if stage_times is not None else StageTimes()
    with open_source(source, fps=parse_fps(fps)) as reader, _sink(reader, target, settings, overwrite, comment) as sink:
        counter = _Counter()
        handoffs = Handoffs(serial)
        records = handoffs.ahead(times.observe("decode", _tagged_decode(reader, sink.log)), "decode", DECODE_AHEAD)
        routed = handoffs.ahead(_route(records, process, selection, counter), "process", ENCODE_BEHIND)
        for record in handoffs.output(times.observe("encode", sink.encode(routed))):
            if written is not None:
                written(record)
        sink.finish()
    if counter.selected == 0:
        logger.warning("frame range %s selected no frame of %s (%d frames)", selection, source, sink.count)
    return TranscodeResult(target, sink.count, counter.selected, reader.skipped_packets, sink.actions())


def check_comment_target(target: str | os.PathLike[str]) -> None:
    """Refuse an output that cannot carry a comment tag: a numbered image sequence."""
    if is_pattern(target):
        raise VideoError(f"output {target} is an image sequence, which cannot carry the comment tag; write a "
                         "video file (.mp4, .mov, .mkv)")


@contextlib.contextmanager
def _sink(reader, target: Path, settings: EncodeSettings, overwrite: bool,
          comment: str | None) -> Iterator[FrameSink]:
    """The sink writing ``target``: a sequence writer for a numbered pattern, else a video muxer on a
    hidden file renamed into place when complete, its ``comment`` tag set."""
    if is_pattern(target):
        if settings.codec != EncodeSettings.codec:
            logger.warning("codec %s is not used for %s: an image sequence's extension picks its format",
                           settings.codec, target.name)
        with SequenceWriter(reader, target, overwrite) as writer:
            yield writer
        return
    with atomic_output(target, overwrite) as tmp, output_container(tmp, target) as container:
        settings = settings.resolved(reader.codec_name, reader.profile, container)
        check_container_holds(container, settings, target.name)
        _exact_movie_timescale(container, reader)
        _frame_counted_timing(container)
        muxer = VideoMuxer(reader, container, settings, target)
        if comment is not None:  # after the input's tags, which the muxer copies
            container.metadata["comment"] = comment
        yield muxer


def _tagged_decode(reader, log: PacketLog) -> Iterator[FrameRecord]:
    """Every decoded frame; every other packet goes to ``log`` with the number of frames before it."""
    decoded = 0

    def hold(packet: av.Packet) -> None:
        log.add(decoded, packet)

    for record in reader.decode_all(on_packet=hold):
        yield record
        decoded += 1


_MOV_FAMILY = {"mov", "mp4", "ipod", "3gp", "3g2", "ismv", "psp", "f4v"}


def _exact_movie_timescale(container: av.container.OutputContainer, reader) -> None:
    """The mov/mp4 muxer writes track start offsets (edit lists) in a movie timescale of 1000 by
    default, which moves a track starting at 2.40177 s to 2.401 s; use a timescale every input
    stream's time base divides, so start offsets stay exact."""
    if container.format.name not in _MOV_FAMILY:
        return
    scale = 1
    for time_base in reader.time_bases:
        scale = math.lcm(scale, time_base.denominator)
    if scale >= 2**31:
        scale = max(time_base.denominator for time_base in reader.time_bases)
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
