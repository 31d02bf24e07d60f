"""10-bit ProRes masters for the benchmarks, written with PyAV from a shared clip."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vidinvert.video.pixels import TO_RGB


def write_master(source: Path, target: Path, size: tuple[int, int], frames: int, deep: bool = True,
                 distinct: int = 12, codec: str = "prores") -> Path:
    """``frames`` frames of ``source`` scaled to ``size`` (width, height), the first ``distinct``
    repeated in turn, with detail below the 8-bit levels: ProRes 422 HQ 10-bit, or (``codec``
    "ffv1") FFV1 RGB at 16 bits (``deep``) or rounded to 8 bits (``deep=False``)."""
    pictures = []
    with av.open(str(source)) as container:
        for frame in container.decode(video=0):
            rgb = cv2.resize(frame.to_ndarray(format="rgb24", interpolation=TO_RGB), size,
                             interpolation=cv2.INTER_CUBIC)
            wide = rgb.astype(np.int32) * 257 + ((np.arange(size[0]) * 7) % 193 - 96)[None, :, None]
            pictures.append(np.clip(wide, 0, 65535).astype(np.uint16))
            if len(pictures) == distinct:
                break
    if codec == "prores":
        codec, pix_fmt, ext = "prores_ks", "yuv422p10le", ".mov"
    else:
        pix_fmt, ext = ("gbrp16le" if deep else "bgr0"), ".mkv"
    target = target.with_suffix(ext)
    with av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=25, options={"profile": "3"} if codec == "prores_ks" else {})
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        for i in range(frames):
            picture = pictures[i % len(pictures)]
            if deep:
                frame = av.VideoFrame.from_ndarray(picture, format="rgb48le")
            else:
                frame = av.VideoFrame.from_ndarray(np.rint(picture / 257.0).astype(np.uint8), format="rgb24")
            frame = frame.reformat(format=pix_fmt)
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return target
