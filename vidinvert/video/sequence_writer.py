"""Writing a numbered image sequence: every frame encoded to its own file in a hidden folder beside
the target, moved in only when the whole sequence is complete.

The files are numbered from the input's first number (an image-sequence input) or 0 (a video).
The extension chooses the encoder and each frame is stored at the source's depth where the format
holds it (`vidinvert.video.encoding.IMAGE_SPECS`; a warning says what is lowered). Any error or
interrupt removes the hidden folder, so a failed run leaves no frame behind. An image holds no
sound: the input's other streams are dropped with a warning.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import av

from vidinvert.errors import VideoError
from vidinvert.video.encoding import IMAGE_SPECS, packed_frame, warn_lowered
from vidinvert.video.depth import format_depth
from vidinvert.video.muxer import FrameSink
from vidinvert.video.records import FrameRecord
from vidinvert.video.sequence import SequencePattern, parse_pattern

logger = logging.getLogger(__name__)


class SequenceWriter(FrameSink):
    """A frame sink writing ``target`` (``out.%04d.png``); use in a ``with`` block."""

    def __init__(self, reader, target: Path, overwrite: bool) -> None:
        super().__init__(reader, target)
        self.pattern = parse_pattern(target)
        self.spec = IMAGE_SPECS[self.pattern.codec]
        if self.spec.encoder not in av.codecs_available:
            raise VideoError(f"cannot write {target}: this libavcodec has no {self.spec.encoder} encoder")
        self.overwrite = overwrite
        self.first = reader.start_number or 0
        self.dropped = [s.index for s in reader.other_streams]
        for stream in reader.other_streams:
            logger.warning("dropping stream %d (%s): an image sequence holds pictures only", stream.index, stream.type)
        self.folder: Path | None = None
        self.context: av.CodecContext | None = None

    def __enter__(self) -> SequenceWriter:
        self._staging = staged_frames(self.pattern, self.overwrite)
        self.folder = self._staging.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._staging.__exit__(exc_type, exc, tb)

    def write(self, record: FrameRecord) -> None:
        self.log.take(record.index)  # other streams' packets: nowhere to go
        if self.context is None:
            self._start(record)
        assert self.context is not None and self.folder is not None
        frame = packed_frame(record.picture, record.alpha if self.kept.alpha else None)
        if frame.format.name != self.pix_fmt:
            frame = frame.reformat(format=self.pix_fmt)
        frame.pts = record.index
        packets = self.context.encode(frame)
        data = b"".join(bytes(p) for p in packets)
        (self.folder / self.pattern.name(self.first + record.index)).write_bytes(data)

    def finish(self) -> None:
        if self.context is None:
            raise VideoError(f"no video frame could be decoded from {self.reader.path}")

    def actions(self) -> dict[int, str]:
        return {self.reader.video_index: "video", **{index: "drop" for index in self.dropped}}

    def _start(self, first: FrameRecord) -> None:
        source = self.reader.depth
        self.pix_fmt = self.spec.format_for(source)
        self.kept = format_depth(self.pix_fmt)
        warn_lowered(source, self.kept, self.pattern.codec)
        context = av.CodecContext.create(self.spec.encoder, "w")
        context.height, context.width = first.picture.shape[:2]
        context.pix_fmt = self.pix_fmt
        context.time_base = first.time_base
        context.open()
        self.context = context


@contextlib.contextmanager
def staged_frames(pattern: SequencePattern, overwrite: bool) -> Iterator[Path]:
    """A hidden folder beside ``pattern``'s frames to write them in; when the block ends without an
    error its files are moved into place (refusing frames that appeared meanwhile unless
    ``overwrite``); the folder is removed in any case."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{pattern.prefix or 'frames'}", suffix=".partial", dir=pattern.folder))
    except OSError as exc:
        raise VideoError(f"cannot write in {pattern.folder} ({exc.strerror or exc})") from exc
    try:
        yield folder
        names = sorted(os.listdir(folder))
        if not overwrite:
            clash = next((n for n in names if (pattern.folder / n).exists()), None)
            if clash is not None:
                raise VideoError(f"output frame {pattern.folder / clash} appeared while writing; "
                                 f"pass overwrite=True to replace it")
        for name in names:
            os.replace(folder / name, pattern.folder / name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
