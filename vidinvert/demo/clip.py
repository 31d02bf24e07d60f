"""A short talking-face clip made by the project itself from a generator, for trying an edit without
a video at hand.

One identity (seeded w, truncated) turns its head a little and "talks" (`vidinvert.demo.motion`);
fixed noise keeps it from flickering. The generated face, upscaled to FACE_FRACTION of the frame,
is pasted with a feathered elliptical mask onto a gently graded background and drifts slowly across
it. A synthetic voice (`vidinvert.demo.audio`) follows the talking rhythm, so an edit can be seen to
leave the sound untouched. Frame i has pts i in time base 1/fps.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from tqdm import tqdm

from vidinvert.demo.audio import AUDIO_RATE, voice
from vidinvert.demo.motion import face_centre, latent_path
from vidinvert.images import to_uint8
from vidinvert.errors import VideoError, VidinvertError
from vidinvert.models import Generator
from vidinvert.video.encoding import EncodeSettings, VideoEncoder, check_container_holds
from vidinvert.video.inputs import av_reason
from vidinvert.video.outputs import atomic_output, check_output_path, output_container
from vidinvert.video.records import FrameRecord

log = logging.getLogger(__name__)

#: The face square's side as a fraction of the frame side.
FACE_FRACTION = 0.6
#: The mask ellipse's half-axes as fractions of the face square's side, and its feathering as a
#: fraction of the ellipse radius.
MASK_AXES = (0.46, 0.5)
MASK_FEATHER = 0.2
#: Background colours at the top and bottom of the frame (RGB).
BACKGROUND_TOP = (206, 214, 224)
BACKGROUND_BOTTOM = (142, 154, 172)
TRUNCATION = 0.6
BATCH = 8
ENCODING = EncodeSettings(codec="h264", crf=14, preset="medium")


def demo_background(size: int) -> np.ndarray:
    """The (size, size, 3) uint8 background: a vertical blend from BACKGROUND_TOP to BACKGROUND_BOTTOM."""
    rows = (np.arange(size) + 0.5) / size
    top, bottom = np.array(BACKGROUND_TOP, float), np.array(BACKGROUND_BOTTOM, float)
    column = np.rint(top + rows[:, None] * (bottom - top)).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(column[:, None, :], (size, size, 3)))


def face_alpha(size: int, centre: tuple[float, float], side: float) -> np.ndarray:
    """(size, size) float32 weights of the face pasted with its square of `side` px centred at
    `centre`: 1 inside the ellipse, falling smoothly to 0 at its edge, 0 beyond."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    r = np.hypot((x - centre[0]) / (MASK_AXES[0] * side), (y - centre[1]) / (MASK_AXES[1] * side))
    edge = np.clip((1.0 - r) / MASK_FEATHER, 0.0, 1.0)
    return edge * edge * (3 - 2 * edge)  # smoothstep


def compose_frame(face: np.ndarray, background: np.ndarray, centre: tuple[float, float], side: float) -> np.ndarray:
    """Paste `face` (G.size px, uint8 RGB) scaled to `side` px around `centre` onto `background`."""
    size = background.shape[0]
    scale = side / face.shape[0]
    left, top = centre[0] - side / 2, centre[1] - side / 2
    # pixel centres: face pixel i sits at left + scale * (i + 0.5) in frame coordinates
    warp = np.array([[scale, 0, left + 0.5 * scale - 0.5], [0, scale, top + 0.5 * scale - 0.5]], np.float32)
    placed = cv2.warpAffine(face, warp, (size, size), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REPLICATE)
    alpha = face_alpha(size, centre, side)[..., None]
    blended = alpha * placed.astype(np.float32) + (1 - alpha) * background.astype(np.float32)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


@torch.no_grad()
def demo_frames(G: Generator, frames: int, fps: int, size: int, seed: int = 0) -> Iterator[FrameRecord]:
    """The clip's `frames` pictures as FrameRecords (pts i, time base 1/fps), rendered BATCH at a time."""
    path = latent_path(G, seed=seed, truncation=TRUNCATION)
    background = demo_background(size)
    side = FACE_FRACTION * size
    time_base = Fraction(1, fps)
    for start in range(0, frames, BATCH):
        index = np.arange(start, min(start + BATCH, frames))
        times = index / fps
        faces = to_uint8(G.synthesize(path.at(times), noise="stored"))
        for i, face, centre in zip(index, faces, face_centre(times, size)):
            image = compose_frame(face, background, (float(centre[0]), float(centre[1])), side)
            yield FrameRecord(index=int(i), pts=int(i), time_base=time_base, duration=1, image=image)


def _check_options(seconds: float, fps: int, size: int) -> int:
    if not fps >= 1 or int(fps) != fps:
        raise VidinvertError(f"--fps must be a whole number of frames per second, 1 or more; got {fps}")
    frames = round(seconds * fps)
    if not frames >= 1:
        raise VidinvertError(f"--seconds must give at least one frame at {fps} fps; got {seconds}")
    if size < 32 or size % 2:
        raise VidinvertError(f"the demo clip's size must be an even number of pixels, 32 or more; got {size}")
    return frames


def render_demo_clip(G: Generator, output: str | os.PathLike, seconds: float = 4.0, fps: int = 25, size: int = 256,
                     seed: int = 0, overwrite: bool = False, quiet: bool = True) -> Path:
    """Write the demo clip made with `G` (any size) to `output` (size x size, H.264 + mono AAC); return its path.

    `seed` picks the identity. The file appears only when complete; an existing one is refused
    unless `overwrite`. Raises VidinvertError (one line) for bad options or an unusable output path.
    """
    frames = _check_options(seconds, fps, size)
    target = check_output_path(None, output, overwrite)
    samples = voice(frames / fps, AUDIO_RATE, seed)
    per_frame = AUDIO_RATE / fps
    with atomic_output(target, overwrite) as tmp, output_container(tmp, target) as container:
        check_container_holds(container, ENCODING, target.name)
        if "aac" not in container.supported_codecs:
            raise VideoError(f"{target.name} cannot hold AAC audio; use .mp4, .mov or .mkv")
        container.metadata["title"] = "vidinvert demo clip"
        video: VideoEncoder | None = None
        audio = None
        sent = 0
        try:
            for record in tqdm(demo_frames(G, frames, fps, size, seed), total=frames, unit="frame",
                               disable=quiet, desc="demo clip", leave=False):
                if video is None:
                    video = VideoEncoder(container, ENCODING, record, Fraction(fps), None)
                    audio = container.add_stream("aac", rate=AUDIO_RATE)
                    audio.codec_context.layout = "mono"
                video.encode(record)
                until = round((record.index + 1) * per_frame)
                if until > sent:  # keep the sound interleaved with the pictures it belongs to
                    chunk = av.AudioFrame.from_ndarray(samples[None, sent:until], format="fltp", layout="mono")
                    chunk.sample_rate, chunk.pts = AUDIO_RATE, sent
                    container.mux(audio.encode(chunk))
                    sent = until
            video.flush()
            container.mux(audio.encode(None))
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(f"writing {target} failed ({av_reason(exc)})") from exc
    log.info("wrote the demo clip %s: %d frames at %d fps, %d px", target, frames, fps, size)
    return target
