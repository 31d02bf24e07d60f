"""Frame records flowing between decoding, processing and encoding, and the frame-range selection."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.samples import to_8bit


@dataclass(frozen=True)
class FrameRecord:
    """One decoded video frame.

    ``index`` counts frames from 0 in decoding (presentation) order; ``pts`` and ``duration`` are in
    units of ``time_base`` exactly as the input stream carries them, so variable frame rate survives;
    ``time`` is ``pts * time_base`` in seconds (absolute, not shifted to start at 0); ``image`` is the
    upright picture (rotation metadata already applied) as uint8 RGB, shape (H, W, 3).

    Sources deeper than 8 bits also carry ``deep``: the same picture at the source's depth (uint16
    RGB on the 0..65535 scale, or float32 RGB), of which ``image`` is the 8-bit rounding
    (:mod:`vidinvert.video.depth`). ``alpha`` is the source's alpha plane (H, W, 1) at its depth, or
    None; it goes to the output as it came in. ``picture`` is what gets encoded: ``deep`` when
    there is one, else ``image``. ``matte`` is, when asked for (``--matte-out``), the alpha (H, W)
    float32 the frame's edit was blended with (None: nothing changed).
    """

    index: int
    pts: int
    time_base: Fraction
    duration: int
    image: np.ndarray
    deep: np.ndarray | None = None
    alpha: np.ndarray | None = None
    matte: np.ndarray | None = None

    @property
    def time(self) -> float:
        """Presentation time in seconds."""
        return float(self.pts * self.time_base)

    @property
    def picture(self) -> np.ndarray:
        """The picture at the source's depth: ``deep`` for deep sources, else ``image``."""
        return self.image if self.deep is None else self.deep

    def with_image(self, image: np.ndarray) -> FrameRecord:
        """The same frame (index, timing) carrying another picture."""
        return dataclasses.replace(self, image=image)

    def with_picture(self, picture: np.ndarray) -> FrameRecord:
        """The same frame carrying another picture at the source's depth (uint8 for 8-bit sources;
        the 8-bit ``image`` of a deeper one is its rounding). The alpha plane stays."""
        if picture.dtype == np.uint8:
            return dataclasses.replace(self, image=picture, deep=None)
        return dataclasses.replace(self, image=to_8bit(picture), deep=picture)


def beside(record: FrameRecord, picture: np.ndarray) -> FrameRecord:
    """``record`` with its own picture and ``picture`` side by side (alpha repeated likewise)."""
    wide = record.with_picture(np.hstack([record.picture, picture]))
    return wide if record.alpha is None else dataclasses.replace(wide, alpha=np.hstack([record.alpha] * 2))


@dataclass(frozen=True)
class FrameRange:
    """Frames ``start <= index < stop`` (``stop=None``: to the end), like a Python slice."""

    start: int = 0
    stop: int | None = None

    def __contains__(self, index: int) -> bool:
        return index >= self.start and (self.stop is None or index < self.stop)

    def __str__(self) -> str:
        return f"{self.start}:{'' if self.stop is None else self.stop}"


def select_frames(records: Iterator[FrameRecord], frames: FrameRange) -> Iterator[FrameRecord]:
    """The records inside ``frames``; stops reading ``records`` after its end."""
    for record in records:
        if frames.stop is not None and record.index >= frames.stop:
            return
        if record.index in frames:
            yield record


_RANGE = re.compile(r"^\s*(\d*)\s*:\s*(\d*)\s*$")


def parse_frame_range(text: str | FrameRange | None) -> FrameRange:
    """Parse ``"START:END"`` (END exclusive; either side may be empty) into a :class:`FrameRange`.

    ``None`` or ``""`` selects every frame. Raises :class:`VidinvertError` for anything else.
    """
    if isinstance(text, FrameRange):
        return text
    if text is None or not text.strip():
        return FrameRange()
    match = _RANGE.match(text)
    if match is None:
        raise VidinvertError(f"bad frame range {text!r}: expected START:END with frame numbers, e.g. 10:250 or :100")
    start = int(match.group(1)) if match.group(1) else 0
    stop = int(match.group(2)) if match.group(2) else None
    if stop is not None and stop <= start:
        raise VidinvertError(f"bad frame range {text!r}: END must be greater than START")
    return FrameRange(start, stop)
