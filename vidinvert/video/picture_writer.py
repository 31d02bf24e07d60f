"""A video made from nothing but pictures: frames at a constant rate, no audio, written atomically."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

from vidinvert.errors import VideoError
from vidinvert.video.encoding import EncodeSettings, VideoEncoder, check_container_holds
from vidinvert.video.inputs import av_reason
from vidinvert.video.outputs import atomic_output, check_output_path, output_container
from vidinvert.video.records import FrameRecord


def write_pictures(pictures: Iterable[np.ndarray], output: str | os.PathLike, fps: int | Fraction = 25,
                   settings: EncodeSettings = EncodeSettings(), overwrite: bool = False) -> int:
    """Encode uint8 RGB pictures (H, W, 3), all one size, into `output` at `fps`; return how many.
    The file appears only when complete; an existing one is refused unless `overwrite`."""
    target = check_output_path(None, output, overwrite)
    rate = Fraction(fps)
    count = 0
    with atomic_output(target, overwrite) as tmp, output_container(tmp, target) as container:
        check_container_holds(container, settings, target.name)
        encoder: VideoEncoder | None = None
        try:
            for index, picture in enumerate(pictures):
                record = FrameRecord(index=index, pts=index, time_base=1 / rate, duration=1, image=picture)
                if encoder is None:
                    encoder = VideoEncoder(container, settings, record, rate, None)
                encoder.encode(record)
                count += 1
            if encoder is None:
                raise VideoError(f"no pictures to write into {Path(output).name}")
            encoder.flush()
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(f"writing {target} failed ({av_reason(exc)})") from exc
    return count
