"""Small synthetic clips for video tests, written with PyAV into a temporary directory."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidinvert.video.pixels import TO_RGB

VIDEO_CLIPS = ("talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "single_face.mp4", "face_noface.mov")


def pattern(index: int, width: int, height: int) -> np.ndarray:
    """A smooth frame: red grows to the right, green downwards, blue with the frame index."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), np.full_like(x, (index * 37) % 256)], -1)
    return image.astype(np.uint8)


def write_clip(
    path: Path,
    frames: int = 8,
    width: int = 64,
    height: int = 48,
    rotation: int = 0,
    pts: list[int] | None = None,
    time_base: Fraction = Fraction(1, 1000),
    audio_codec: str | None = None,
    faststart: bool = False,
    sample_aspect_ratio: Fraction | None = None,
    video_codec: str = "libx264rgb",
) -> Path:
    """Write a clip (default H.264 RGB, lossless, odd sizes allowed); ``pts`` gives frame times in
    ``time_base`` units (variable frame rate)."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        rgb = video_codec == "libx264rgb"
        video = out.add_stream(video_codec, options={"qp": "0", "preset": "ultrafast"} if rgb else {})
        video.codec_context.width, video.codec_context.height = width, height
        video.codec_context.pix_fmt = "rgb24" if rgb else "yuv420p"
        video.codec_context.time_base = time_base
        video.time_base = time_base
        video.codec_context.framerate = Fraction(25)
        if rotation:
            video.set_display_rotation(rotation)
        if sample_aspect_ratio:
            video.codec_context.sample_aspect_ratio = sample_aspect_ratio
        audio = out.add_stream(audio_codec, rate=16000) if audio_codec else None
        if audio is not None:
            audio.codec_context.layout = "mono"
        times = pts if pts is not None else [i * 40 for i in range(frames)]
        for i, t in enumerate(times):
            frame = av.VideoFrame.from_ndarray(pattern(i, width, height), format="rgb24")
            if not rgb:
                frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = t, time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            write_tone(out, audio, seconds=(times[-1] + 40) / 1000)
    return path


def write_tone(out: av.container.OutputContainer, audio: av.audio.stream.AudioStream, seconds: float) -> None:
    """Encode a 440 Hz tone into ``audio``."""
    rate = audio.codec_context.sample_rate
    samples = int(seconds * rate)
    block = 1024
    for start in range(0, samples, block):
        t = np.arange(start, min(start + block, samples)) / rate
        data = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(audio.encode(frame))
    out.mux(audio.encode(None))


def write_audio_only(path: Path) -> Path:
    """An AAC file with no video stream."""
    with av.open(str(path), "w") as out:
        audio = out.add_stream("aac", rate=16000)
        audio.codec_context.layout = "mono"
        write_tone(out, audio, seconds=0.5)
    return path


def decode_all(path: Path, keep: set[int] | None = None) -> tuple[list[int], dict[int, np.ndarray]]:
    """Every frame's pts, and the RGB image of the frames in ``keep`` (all when None), straight
    from PyAV (no vidinvert code but the conversion flags the reader uses)."""
    pts: list[int] = []
    images: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            pts.append(frame.pts)
            if keep is None or i in keep:
                images[i] = frame.to_ndarray(format="rgb24", interpolation=TO_RGB)
    return pts, images


def decode_timed(path: Path) -> tuple[list[Fraction], list[np.ndarray]]:
    """Every frame's time in seconds and its RGB picture, straight from PyAV as in `decode_all`."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return [f.pts * stream.time_base for f in frames], [f.to_ndarray(format="rgb24", interpolation=TO_RGB)
                                                            for f in frames]


def packets(path: Path, kind: str) -> list[tuple[int | None, bytes]]:
    """(pts in seconds as a Fraction-free microsecond int, payload) of every packet of the first
    stream of ``kind``, straight from PyAV."""
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        return [
            (None if p.pts is None else round(p.pts * stream.time_base * 1_000_000), bytes(p))
            for p in container.demux(stream)
            if p.size
        ]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def outside_quad(quad: np.ndarray, shape: tuple[int, ...], margin: float = 0.25) -> np.ndarray:
    """Boolean mask of the pixels well away from a crop quad's bounding box (margin: share of its size)."""
    lo, hi = quad.min(0), quad.max(0)
    pad = margin * (hi - lo)
    (x0, y0), (x1, y1) = np.floor(lo - pad).astype(int), np.ceil(hi + pad).astype(int)
    keep = np.ones(shape[:2], bool)
    keep[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = False
    return keep
