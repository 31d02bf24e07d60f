"""Numbered image sequences: how they are named, found on disk and checked before anything is read.

A sequence is named by a printf pattern (``shot.%04d.png``: the number padded to four digits;
``%d``: not padded) or, as an input, by a folder holding one run of numbered frames
(``plates/shot.1001.exr ...``). Formats (decoded and encoded by PyAV's libavcodec): PNG (8/16-bit,
alpha), TIFF (8/16-bit, alpha), DPX (8/10/12/16-bit), OpenEXR (float, alpha).

An input's numbers must be consecutive; the first one is kept on output. A gap is refused before
any frame is decoded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vidinvert.errors import VideoError

#: Image extension -> libavcodec codec that reads and writes it.
IMAGE_CODECS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx", ".exr": "exr"}

#: The rate of a sequence when none is given (sequences carry none).
SEQUENCE_FPS = Fraction(24)

_PRINTF = re.compile(r"%(0?)(\d*)d")
_NUMBERED = re.compile(r"^(.*?)(\d+)(\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class SequencePattern:
    """``folder/prefix<number>suffix`` with the number padded to ``digits`` (0: not padded)."""

    folder: Path
    prefix: str
    suffix: str
    digits: int

    @property
    def codec(self) -> str:
        return IMAGE_CODECS[self.suffix.lower()]

    def name(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.digits}d}{self.suffix}"

    def path(self, number: int) -> Path:
        return self.folder / self.name(number)

    def numbers(self) -> list[int]:
        """The numbers of the frames on disk, ascending."""
        found = []
        pattern = re.compile(re.escape(self.prefix) + r"(\d+)" + re.escape(self.suffix) + "$")
        if not self.folder.is_dir():
            return found
        for entry in os.scandir(self.folder):
            match = pattern.match(entry.name)
            if match and (self.digits == 0 or len(match.group(1)) >= self.digits) and entry.is_file():
                found.append(int(match.group(1)))
        return sorted(found)

    def __str__(self) -> str:
        return str(self.folder / f"{self.prefix}%0{self.digits}d{self.suffix}" if self.digits else
                   self.folder / f"{self.prefix}%d{self.suffix}")


def is_pattern(path: str | os.PathLike[str]) -> bool:
    """``path`` names a numbered sequence by a printf pattern (``%04d``)."""
    return _PRINTF.search(Path(path).name) is not None


def is_sequence(path: str | os.PathLike[str]) -> bool:
    """``path`` is a sequence input: a printf pattern, or a folder holding numbered image frames."""
    return is_pattern(path) or (Path(path).is_dir() and _folder_pattern(Path(path)) is not None)


def parse_pattern(path: str | os.PathLike[str]) -> SequencePattern:
    """The pattern of ``shot.%04d.png``; VideoError for several numbers or an unknown image type."""
    p = Path(path)
    matches = list(_PRINTF.finditer(p.name))
    if len(matches) != 1:
        raise VideoError(f"sequence name {p.name} must hold exactly one frame number such as %04d")
    match = matches[0]
    prefix, suffix = p.name[:match.start()], p.name[match.end():]
    _check_extension(p, suffix)
    return SequencePattern(p.parent, prefix, suffix, int(match.group(2) or 0))


def _check_extension(path: Path, suffix: str) -> None:
    if suffix.lower() not in IMAGE_CODECS:
        raise VideoError(f"sequence {path} must end in one of {', '.join(IMAGE_CODECS)}")


def _folder_pattern(folder: Path) -> SequencePattern | None:
    """The one run of numbered image frames in ``folder`` (None: no numbered image)."""
    kinds: set[tuple[str, str, int]] = set()
    for entry in os.scandir(folder):
        match = _NUMBERED.match(entry.name)
        if match and match.group(3).lower() in IMAGE_CODECS and not entry.name.startswith("."):
            digits = len(match.group(2))
            kinds.add((match.group(1), match.group(3), digits if match.group(2).startswith("0") else 0))
    if not kinds:
        return None
    names = {(prefix, suffix) for prefix, suffix, _ in kinds}
    if len(names) > 1:
        listed = ", ".join(sorted(f"{p}N{s}" for p, s in names))
        raise VideoError(f"folder {folder} holds several numbered sequences ({listed}); name one as shot.%04d.png")
    prefix, suffix = names.pop()
    digits = max(d for _, _, d in kinds)
    return SequencePattern(folder, prefix, suffix, digits)


def find_sequence(path: str | os.PathLike[str]) -> tuple[SequencePattern, list[int]]:
    """The pattern and the consecutive frame numbers of an input sequence; VideoError when it has
    no frame or a gap (naming the first missing frame)."""
    p = Path(path)
    pattern = _folder_pattern(p) if p.is_dir() else parse_pattern(p)
    if pattern is None:
        raise VideoError(f"input is a directory, not a video file or a folder of numbered frames: {p}")
    if not pattern.folder.is_dir():
        raise VideoError(f"input sequence folder not found: {pattern.folder}")
    numbers = pattern.numbers()
    if not numbers:
        raise VideoError(f"input sequence {pattern} has no frame")
    for expected, number in zip(range(numbers[0], numbers[-1] + 1), numbers):
        if number != expected:
            raise VideoError(f"input sequence {pattern} has a gap: frame {pattern.name(expected)} is missing "
                             f"(frames {numbers[0]}-{expected - 1} are there)")
    return pattern, numbers


def parse_fps(value: str | float | Fraction | None) -> Fraction | None:
    """A frame rate given as ``24``, ``23.976`` or ``24000/1001`` (None stays None)."""
    if value is None:
        return None
    try:
        rate = Fraction(str(value)).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        raise VideoError(f"bad frame rate {value!r}: give e.g. 24, 25 or 24000/1001") from None
    if rate <= 0:
        raise VideoError(f"bad frame rate {value!r}: it must be above 0")
    ntsc = Fraction(round(float(rate) * 1.001) * 1000, 1001)  # 23.976 means 24000/1001
    return ntsc if rate.denominator != 1 and abs(float(ntsc - rate)) < 5e-4 else rate
