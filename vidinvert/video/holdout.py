"""Holdout mattes (`--holdout`): a region the edit must not touch, handed over by the compositor.

White = never change, grey = change in proportion, black = free. The matte is one image (the same
for every frame), a video or an image sequence, the size of the input; frame i of the matte goes
with frame i of the input. Its colour is read at its own depth (8 or 16 bits, or float) and the
channels' mean taken, so a grey, an RGB or a 16-bit matte all mean the same.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.video.inputs import av_reason
from vidinvert.video.probe import VideoInfo, probe
from vidinvert.video.records import FrameRecord
from vidinvert.video.sequence import find_sequence, is_sequence
from vidinvert.video.sources import check_source, open_source

#: A file with one of these extensions (not a numbered sequence) is one matte for every frame.
STILL_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".exr", ".dpx"}


def matte_values(record: FrameRecord) -> np.ndarray:
    """A decoded matte frame as float32 (H, W) in [0, 1]."""
    picture = record.picture
    if picture.dtype == np.float32:
        values = picture.mean(axis=-1)
    else:
        values = picture.mean(axis=-1, dtype=np.float32) / np.float32(np.iinfo(picture.dtype).max)
    return np.clip(values, 0.0, 1.0).astype(np.float32)


def frame_count(path: Path) -> int:
    """The number of frames of a video file or a sequence (a video's packets are counted, not decoded)."""
    if is_sequence(path):
        return len(find_sequence(path)[1])
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return sum(1 for packet in container.demux(stream) if packet.size)
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise VidinvertError(f"cannot read {path} ({av_reason(exc)})") from None


class HoldoutMatte:
    """Frames of a holdout matte asked for in order (`at(index)`); use in a `with` block."""

    def __init__(self, path: Path, still: bool) -> None:
        self.path = path
        self.still = still
        self._reader = open_source(path)
        self._frames = iter(self._reader.decode_all())
        self._fixed: np.ndarray | None = None
        self._index = -1

    def at(self, index: int) -> np.ndarray | None:
        """Frame `index`'s matte, or None where it holds nothing back."""
        if self.still:
            if self._fixed is None:
                self._fixed = matte_values(next(self._frames))
            values = self._fixed
        else:
            values = None
            while self._index < index:
                record = next(self._frames, None)
                if record is None:
                    raise VidinvertError(f"holdout matte {self.path} ends at frame {self._index + 1}, before "
                                         f"frame {index} of the input")
                self._index = record.index
                values = matte_values(record)
            if values is None:
                raise VidinvertError(f"holdout matte frames must be asked for in order (frame {index})")
        return values if values.any() else None

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> HoldoutMatte:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_holdout(path: str | os.PathLike, source: Path, info: VideoInfo) -> HoldoutMatte:
    """The matte at `path` for the input `source` (described by `info`), opened after checking its
    size and length; one-line errors before any model loads."""
    try:
        matte = check_source(path)
        matte_info = probe(matte)
    except VidinvertError as exc:
        raise VidinvertError(f"--holdout: {exc}") from None
    if (matte_info.width, matte_info.height) != (info.width, info.height):
        raise VidinvertError(f"--holdout {path} is {matte_info.width}x{matte_info.height}; the input is "
                             f"{info.width}x{info.height}")
    still = not is_sequence(matte) and matte.suffix.lower() in STILL_EXTENSIONS
    if not still:
        have, need = frame_count(matte), frame_count(source)
        if have < need:
            raise VidinvertError(f"--holdout {path} has {have} frames; the input has {need}")
    return HoldoutMatte(matte, still)
