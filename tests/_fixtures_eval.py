"""Helpers for the evaluation tests: a real per-video function on the shared clips, RAVDESS-shaped trees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import torch

from vidinvert.errors import VideoError
from vidinvert.eval.records import EvalFrame

CLIPS = ("head_d18.mp4", "head_d19.mp4", "single_face.mp4", "talk_audio.mp4", "face_noface.mov")

# Valid RAVDESS names (video modalities) -> clip they link to.
RAVDESS_VIDEOS = {
    "Actor_01/01-01-01-01-01-01-01.mp4": "head_d18.mp4",
    "Actor_01/01-01-03-02-01-02-01.mp4": "head_d19.mp4",
    "Actor_01/02-02-05-01-02-01-01.mp4": "single_face.mp4",
    "Actor_02/01-01-03-01-01-01-02.mp4": "talk_audio.mp4",
    "Actor_02/02-01-08-02-02-02-02.mp4": "head_d18.mp4",
    "Actor_02/01-02-04-01-01-01-02.mp4": "face_noface.mov",
    "Actor_03/01-01-06-02-01-01-03.mp4": "single_face.mp4",
    "Actor_03/02-02-02-01-02-02-03.mp4": "head_d19.mp4",
}
AUDIO_ONLY = "Actor_01/03-01-03-01-01-01-01.mp4"
BAD_NAMES = ("Actor_02/01-01-09-01-01-01-02.mp4", "Actor_03/interview.mp4", "Actor_03/01-01-03-01-01-01-05.mp4")


def make_ravdess_tree(root: Path, videos_dir: Path) -> Path:
    """A RAVDESS-shaped folder of symlinks to the shared clips, with an audio-only and badly named files."""
    names = dict(RAVDESS_VIDEOS)
    names[AUDIO_ONLY] = "talk_audio.mp4"
    names.update({bad: "single_face.mp4" for bad in BAD_NAMES})
    for name, clip in names.items():
        link = root / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(videos_dir / clip)
    return root


def _square_crop(frame: np.ndarray, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    height, width = frame.shape[:2]
    side = min(height, width) * 0.8
    # A slowly drifting crop so the crop track moves like a real one.
    cx = width / 2 + 0.02 * side * np.sin(index / 3)
    cy = height / 2 + 0.02 * side * np.cos(index / 4)
    half = side / 2
    quad = np.array([[cx - half, cy - half], [cx - half, cy + half], [cx + half, cy + half], [cx + half, cy - half]])
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    crop = frame[y0 : y0 + int(side), x0 : x0 + int(side)]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA), quad


def _embedding(crop: np.ndarray) -> torch.Tensor:
    small = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (8, 8), interpolation=cv2.INTER_AREA)
    projection = np.random.default_rng(0).standard_normal((32, 64))
    return torch.from_numpy(projection @ (small.astype(np.float64).ravel() / 255.0 - 0.5)).float()


def degraded_clip(
    path: Path, max_frames: int | None, size: int = 64, blur: float = 1.0, noise: float = 6.0, embeddings: bool = False
) -> Iterator[EvalFrame]:
    """Decode ``path`` with PyAV; each frame's centre crop (downscaled) against a blurred, noisy copy
    (noise seeded by the frame index, so the copy is the same on every run)."""
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise VideoError(f"cannot read {path.name}: {exc}") from None
    with container:
        for index, frame in enumerate(container.decode(video=0)):
            if max_frames is not None and index >= max_frames:
                break
            crop, quad = _square_crop(frame.to_ndarray(format="rgb24"), index, size)
            blurred = cv2.GaussianBlur(crop, (0, 0), blur).astype(np.float64)
            noisy = blurred + np.random.default_rng(index).normal(0.0, noise, crop.shape)
            output = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
            record = EvalFrame(index, crop, output, quad)
            if embeddings:
                record.input_embedding, record.output_embedding = _embedding(crop), _embedding(output)
            yield record


class CountingVideoFn:
    """Wraps :func:`degraded_clip`, appending each call's file name to ``log`` (works across processes)."""

    def __init__(self, log: Path, fail_on: str | None = None, **options: object) -> None:
        self.log = log
        self.fail_on = fail_on
        self.options = options

    def __call__(self, path: Path, max_frames: int | None) -> Iterator[EvalFrame]:
        with self.log.open("a") as stream:
            stream.write(f"{path.name}\n")
        for record in degraded_clip(path, max_frames, **self.options):
            if self.fail_on is not None and path.name == self.fail_on and record.index == 2:
                raise RuntimeError("simulated crash in the middle of a video")
            yield record

    def calls(self) -> list[str]:
        """File names of every call so far."""
        return self.log.read_text().split() if self.log.is_file() else []
