"""Where a transcode's frames go: the sink protocol and the video file muxer.

A sink takes the processed frames in order (:meth:`FrameSink.encode`, a stage of the transcode's
chain), the other streams' packets through its :class:`PacketLog`, and is finished once. Only the
caller's thread uses it. :class:`VideoMuxer` writes a video file (the other streams copied or
re-encoded beside it); `vidinvert.video.sequence_writer` writes numbered image files.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import av.container

from vidinvert.errors import VideoError
from vidinvert.video.encoding import EncodeSettings, VideoEncoder, add_video_stream, frame_time_base
from vidinvert.video.inputs import av_reason
from vidinvert.video.records import FrameRecord
from vidinvert.video.streams import PassThroughStream, copy_metadata
from vidinvert.video.timecode import is_timecode_track, output_tags, tag_first_frame


class PacketLog:
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


class FrameSink:
    """Checks the frames come back in order and turns write failures into VideoError; subclasses
    write each frame (:meth:`write`) and :meth:`finish`."""

    def __init__(self, reader, target: Path) -> None:
        self.reader = reader
        self.target = target
        self.log = PacketLog()
        self.count = 0
        self.last_pts: int | None = None

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
            self.write(record)
        self.count += 1
        self.last_pts = record.pts

    def write(self, record: FrameRecord) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def actions(self) -> dict[int, str]:
        """What happened to each input stream: 'video', 'copy', 'reencode', 'drop' or 'timecode'."""
        raise NotImplementedError


class VideoMuxer(FrameSink):
    """Owns the output streams. They are added at once, in the input's order; the video encoder is set
    up at the first processed frame (its size is known then)."""

    def __init__(self, reader, container: av.container.OutputContainer, settings: EncodeSettings, target: Path) -> None:
        super().__init__(reader, target)
        self.container = container
        self.settings = settings
        self.video: VideoEncoder | None = None
        self.others: dict[int, PassThroughStream] = {}
        self.timecode_tracks: list[int] = []
        copy_metadata(reader.metadata, container.metadata)
        if reader.start_number is not None:
            tag_first_frame(container, reader.start_number)
        others = list(reader.other_streams)
        for position in range(len(others) + 1):
            if position == reader.video_index:
                self.video_stream = add_video_stream(container, settings)
                copy_metadata(output_tags(reader), self.video_stream.metadata)
            if position < len(others):
                self._add_other(others[position])

    def _add_other(self, stream: av.stream.Stream) -> None:
        if is_timecode_track(stream):  # the muxer writes it anew from the video's timecode tag
            self.timecode_tracks.append(stream.index)
        else:
            self.others[stream.index] = PassThroughStream(stream, self.container)

    def write(self, record: FrameRecord) -> None:
        if self.video is None:
            self._start(record)
        assert self.video is not None
        self._mux_others(self.log.take(record.index))
        self.video.encode(record)

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
        result.update({index: "timecode" for index in self.timecode_tracks})
        return dict(sorted(result.items()))

    def _start(self, first: FrameRecord) -> None:
        # The reader set its colour and rotation before handing over the first frame.
        sar = self.reader.sample_aspect_ratio
        if sar and self.reader.rotation % 180:
            sar = 1 / sar
        rate = self.reader.rate
        stream = getattr(self.reader, "stream", None)
        if frame_time_base(self.container, rate) is not None and stream is not None:
            rate = stream.guessed_rate or rate  # frames counted at the stream's own rate
        self.video = VideoEncoder(self.container, self.settings, first, rate, self.reader.color, sar,
                                  stream=self.video_stream, depth=self.reader.depth)

    def _mux_others(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            other = self.others.get(packet.stream.index)  # None: a timecode track, written anew
            if other is not None:
                other.mux(packet)
