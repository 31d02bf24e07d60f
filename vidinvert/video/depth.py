"""Sample depth of pictures: how a stream's pixel format is decoded, and the 8-bit view of a frame.

Sources of 8 bits per sample decode to uint8 RGB exactly as always. Deeper integer sources (10-16
bits: ProRes, DNxHR, 16-bit PNG/TIFF, 10-bit DPX) decode to uint16 RGB on the full 0..65535 scale
(FFmpeg scales a 10-bit 1023 to 65535); float sources (EXR) decode to float32 RGB, 1.0 = white.
An alpha plane, where the format has one, is kept apart at the same depth and never changed.

The face models work on 8-bit pictures: ``to_8bit`` (:mod:`vidinvert.samples`) rounds a deep
picture to the nearest 8-bit level (float: clipped to [0, 1] first).
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np


@dataclass(frozen=True)
class Depth:
    """A picture's sample type: ``bits`` per colour sample (32 for float), ``float``, ``alpha``."""

    bits: int
    float: bool = False
    alpha: bool = False

    @property
    def dtype(self) -> np.dtype:
        """The array type frames of this depth are decoded to."""
        if self.float:
            return np.dtype(np.float32)
        return np.dtype(np.uint8) if self.bits <= 8 else np.dtype(np.uint16)

    @property
    def deep(self) -> bool:
        """More than 8 bits per sample (integer or float)."""
        return self.float or self.bits > 8

    def describe(self) -> str:
        kind = "float" if self.float else f"{self.bits}-bit"
        return kind + (" with alpha" if self.alpha else "")


def format_depth(pix_fmt: str | None) -> Depth:
    """The depth of FFmpeg pixel format ``pix_fmt`` (None or unknown: 8-bit)."""
    if not pix_fmt:
        return Depth(8)
    try:
        fmt = av.VideoFormat(pix_fmt)
    except (ValueError, av.error.FFmpegError):
        return Depth(8)
    colour = [c.bits for c in fmt.components if not c.is_alpha]
    alpha = any(c.is_alpha for c in fmt.components)
    is_float = "f32" in fmt.name or "f16" in fmt.name
    return Depth(32 if is_float else max(colour, default=8), is_float, alpha)


def decode_format(depth: Depth) -> str:
    """The packed pixel format a frame of ``depth`` is converted to for the pipeline."""
    if depth.float:
        return "gbrapf32le" if depth.alpha else "gbrpf32le"
    if depth.bits > 8:
        return "rgba64le" if depth.alpha else "rgb48le"
    return "rgba" if depth.alpha else "rgb24"


def split_alpha(picture: np.ndarray, depth: Depth) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour (H, W, 3), alpha (H, W, 1) or None) of a decoded picture."""
    if not depth.alpha:
        return picture, None
    return np.ascontiguousarray(picture[..., :3]), np.ascontiguousarray(picture[..., 3:])
