"""Post-production masters for tests, written with PyAV: 10-bit ProRes with a timecode, 16-bit and
RGBA image sequences, all made from the frames of another clip (a shared clip or one the project
renders), with detail in the low bits so an 8-bit path anywhere would show."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidinvert.face.align import crop_transform
from vidinvert.face.composite import paste
from vidinvert.video.pixels import TO_RGB


def deep_frames(source: Path, count: int) -> list[np.ndarray]:
    """``count`` frames of ``source`` as uint16 RGB, each sample = its 8-bit level * 257 plus a
    fixed pattern in [-96, 96], so the low 8 bits carry detail an 8-bit path would lose."""
    out = []
    with av.open(str(source)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24", interpolation=TO_RGB).astype(np.int32) * 257
            h, w = rgb.shape[:2]
            y, x = np.mgrid[0:h, 0:w]
            pattern = ((x * 7 + y * 13 + len(out) * 5) % 193 - 96)[..., None]
            out.append(np.clip(rgb + pattern, 0, 65535).astype(np.uint16))
            if len(out) == count:
                break
    return out


def alpha_plane(shape: tuple[int, ...], index: int) -> np.ndarray:
    """A uint16 alpha (H, W, 1): a ramp across the frame, different on every frame."""
    h, w = shape[:2]
    ramp = (np.arange(w)[None, :] * 65535 // max(w - 1, 1) + index * 1009) % 65536
    return np.broadcast_to(ramp, (h, w))[..., None].astype(np.uint16)


def write_prores(path: Path, frames: list[np.ndarray], fps: int = 24, timecode: str | None = None,
                 reel: str | None = None, profile: str = "3", alphas: list[np.ndarray] | None = None) -> Path:
    """A .mov of ProRes (profile 3: 422 HQ 10-bit; 4: 4444, with ``alphas``) at ``fps``, tagged
    with a start ``timecode`` (written by the muxer as a timecode track)."""
    pix_fmt = "yuva444p10le" if alphas is not None else ("yuv444p10le" if profile == "4" else "yuv422p10le")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("prores_ks", rate=fps, options={"profile": profile, "vendor": "apl0"})
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = pix_fmt
        if timecode:
            stream.metadata["timecode"] = timecode
        if reel:
            stream.metadata["reel_name"] = reel
        for i, image in enumerate(frames):
            packed = image if alphas is None else np.concatenate([image, alphas[i]], axis=2)
            frame = av.VideoFrame.from_ndarray(packed, format="rgb48le" if alphas is None else "rgba64le")
            frame = frame.reformat(format=pix_fmt, dst_colorspace=1, dst_color_range=1)
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_sequence(folder: Path, name: str, frames: list[np.ndarray], start: int,
                   alphas: list[np.ndarray] | None = None) -> Path:
    """Frames as ``folder/name`` (a pattern such as shot.%04d.png; 16-bit, RGBA with ``alphas``)
    numbered from ``start``; returns the pattern's path."""
    codec = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx"}[Path(name).suffix]
    pix_fmt = {"png": "rgb48be", "tiff": "rgb48le", "dpx": "rgb48le"}[codec]
    if alphas is not None:
        pix_fmt = {"png": "rgba64be", "tiff": "rgba64le", "dpx": "rgba64le"}[codec]
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(frames):
        context = av.CodecContext.create(codec, "w")
        context.height, context.width = image.shape[:2]
        context.pix_fmt = pix_fmt
        context.time_base = Fraction(1, 24)
        packed = image if alphas is None else np.concatenate([image, alphas[i]], axis=2)
        frame = av.VideoFrame.from_ndarray(packed, format="rgb48le" if alphas is None else "rgba64le")
        data = b"".join(bytes(p) for p in context.encode(frame.reformat(format=pix_fmt)))
        (folder / (name % (start + i))).write_bytes(data)
    return folder / name


def decode_deep(*paths: Path) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Every frame of the files (a video, or a sequence's frames in order) straight from PyAV as
    uint16 RGB (0..65535) and uint16 alpha or None, with the reader's conversion flags."""
    out = []
    for file in paths:
        with av.open(str(file)) as container:
            for frame in container.decode(video=0):
                alpha = any(c.is_alpha for c in frame.format.components)
                picture = frame.to_ndarray(format="rgba64le" if alpha else "rgb48le", interpolation=TO_RGB)
                out.append((picture[..., :3], picture[..., 3:] if alpha else None))
    return out


def face_box(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A square quad at the frame's centre and a soft disc mask (H, W) inside it."""
    h, w = shape[:2]
    side = min(h, w) // 3
    x0, y0 = (w - side) / 2, (h - side) / 2
    quad = np.array([[x0, y0], [x0, y0 + side], [x0 + side, y0 + side], [x0 + side, y0]], dtype=np.float64)
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(x - w / 2, y - h / 2) / (side / 2)
    return quad, np.clip((1 - r) * 3, 0, 1).astype(np.float32)


def paste_grey_face(records):
    """A process pasting a flat grey 8-bit "face" under :func:`face_box`'s mask, like the
    compositing stage does with a rendered face, at each frame's own depth."""
    for record in records:
        quad, mask = face_box(record.image.shape)
        face = np.full((64, 64, 3), 128, np.uint8)
        yield record.with_picture(paste(record.picture, face, crop_transform(quad, 64), mask))


def outside(mask: np.ndarray) -> np.ndarray:
    """Pixels the mask leaves alone."""
    return mask <= 0
