"""The measurements a model card reports: face rate of random samples, reconstruction quality after
1 and after N refinement steps on held-out photos, and warm against cold starts on video frames."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vidinvert.edit.directions import Direction, edit
from vidinvert.images import to_uint8
from vidinvert.face.expression import FaceMeshScorer
from vidinvert.face.detect import MeshDetector
from vidinvert.face.track import FaceTracker
from vidinvert.invert import Inverter, SequenceInverter
from vidinvert.metrics.pixel import psnr, ssim, to_unit_range
from vidinvert.models import Generator, InversionEncoder
from vidinvert.pipeline.face_stages import align_crops, smooth_crops, track_faces
from vidinvert.train.data import to_tensor
from vidinvert.video import open_video


@torch.no_grad()
def face_rate(G: Generator, samples: int = 256, seed: int = 0, truncation: float = 1.0, batch: int = 32) -> float:
    """Share of `samples` seeded random images of `G` (fresh noise) in which mediapipe's face mesh
    finds a face, each image given to the detector at the generator's own size."""
    found = 0
    torch.manual_seed(seed)
    with MeshDetector(max_faces=1) as detector:
        for start in range(0, samples, batch):
            w = G.sample_w(min(batch, samples - start), seed=seed + start, truncation=truncation)
            found += sum(bool(detector.detect(frame)) for frame in to_uint8(G.synthesize(w, noise="random")))
    return found / samples


@dataclass(frozen=True)
class Reconstruction:
    """Mean PSNR (dB) and SSIM of reconstructions against their targets."""

    psnr: float
    ssim: float

    @staticmethod
    def of(images: torch.Tensor, targets: torch.Tensor) -> Reconstruction:
        a, b = to_unit_range(images.cpu()), to_unit_range(targets.cpu())
        return Reconstruction(float(psnr(a, b).mean()), float(ssim(a, b).mean()))


@torch.no_grad()
def reconstruction_by_steps(G: Generator, E: InversionEncoder, faces: torch.Tensor, steps: int = 5,
                            batch: int = 16) -> dict[int, Reconstruction]:
    """Quality after each of 1..`steps` refinement steps from the average latent, over `faces`
    (N, 3, G.size, G.size) in [-1, 1]."""
    inverter = Inverter(G, E)
    device = G.latent_avg.device
    per_step: dict[int, list[torch.Tensor]] = {k: [] for k in range(1, steps + 1)}
    for chunk in faces.split(batch):
        result = inverter.invert(chunk.to(device), steps=steps, return_steps=True)
        for k in per_step:
            per_step[k].append(result.steps[k].image.cpu())
    return {k: Reconstruction.of(torch.cat(images), faces) for k, images in per_step.items()}


def video_face_crops(path: str | os.PathLike, size: int, frames: int, smooth: float = 3.0) -> torch.Tensor:
    """The first `frames` aligned face crops (size px, smoothed crop track) of consecutive frames
    of a video, as (N, 3, size, size) in [-1, 1]; frames with no face are skipped."""
    crops = []
    with open_video(path) as video, MeshDetector(video=True, max_faces=1) as detector:
        tracked = align_crops(smooth_crops(track_faces(video, FaceTracker(detector)), smooth), size)
        for frame in itertools.islice((f for f in tracked if f.crop is not None), frames):
            crops.append(frame.crop)
    return to_tensor(np.stack(crops))


@dataclass(frozen=True)
class WarmCold:
    """Ways of inverting the consecutive frames of one clip, each against the frames:
    `cold`: `cold_steps` from the average latent on every frame;
    `warm_step`: `warm_steps` from the previous frame's cold result (one warm step on its own);
    `warm_chain`: `warm_steps` from the previous frame's warm result, only the first frame cold;
    `sequence`: the video pipeline's SequenceInverter (`warm_steps` per frame, cold restarts),
    with the share of frames it restarted cold."""

    clip: str
    frames: int
    warm_steps: int
    cold_steps: int
    cold: Reconstruction
    warm_step: Reconstruction
    warm_chain: Reconstruction
    sequence: Reconstruction
    sequence_restarts: float


@torch.no_grad()
def warm_against_cold(G: Generator, E: InversionEncoder, crops: torch.Tensor, clip: str,
                      warm_steps: int = 1, cold_steps: int = 5) -> WarmCold:
    """Invert consecutive crops (N, 3, H, W) every way WarmCold lists."""
    inverter = Inverter(G, E)
    device = G.latent_avg.device
    colds = [inverter.invert(x[None].to(device), steps=cold_steps) for x in crops]
    step = [colds[0].image.cpu()] + [inverter.invert(x[None].to(device), steps=warm_steps, init=before).image.cpu()
                                     for x, before in zip(crops[1:], colds)]
    state = colds[0]
    chain = [state.image.cpu()]
    for x in crops[1:]:
        state = inverter.invert(x[None].to(device), steps=warm_steps, init=state)
        chain.append(state.image.cpu())
    sequence = SequenceInverter(inverter, first_steps=cold_steps, next_steps=warm_steps)
    frames = [sequence.step(x[None].to(device)) for x in crops]
    restarts = sum(bool(f.restarted.any()) for f in frames) / max(len(frames) - 1, 1)
    return WarmCold(Path(clip).name, len(crops), warm_steps, cold_steps,
                    cold=Reconstruction.of(torch.cat([c.image.cpu() for c in colds]), crops),
                    warm_step=Reconstruction.of(torch.cat(step), crops),
                    warm_chain=Reconstruction.of(torch.cat(chain), crops),
                    sequence=Reconstruction.of(torch.cat([f.result.image.cpu() for f in frames]), crops),
                    sequence_restarts=restarts)


@torch.no_grad()
def edit_effect(G: Generator, direction: Direction, strengths: tuple[float, ...] = (1.0, 2.0), samples: int = 96,
                seed: int = 1234, truncation: float = 0.7) -> list[dict[str, float]]:
    """What a direction does to seeded faces at each strength: the mean change of its face-mesh
    score (direction.name must be a scorer attribute), the share of faces whose score rose, and the
    mean absolute pixel change (images in [-1, 1]) in the top 40% of the image (hair, forehead)
    against the mouth band, so that edits leaking into the rest of the face show."""
    w = G.sample_w(samples, seed=seed, truncation=truncation).unsqueeze(1).repeat(1, G.n_latent, 1)
    size = G.size
    top, mouth = slice(0, int(0.4 * size)), (slice(int(0.6 * size), int(0.8 * size)), slice(int(0.3 * size), int(0.7 * size)))
    scorer = FaceMeshScorer(direction.name)
    try:
        before_image = G.synthesize(w)
        before = np.asarray(scorer(to_uint8(before_image)), dtype=np.float64)
        rows = []
        for strength in strengths:
            image = G.synthesize(edit(w, direction, strength))
            change = np.asarray(scorer(to_uint8(image)), dtype=np.float64) - before
            delta = (image - before_image).abs()
            rows.append({"strength": strength, "score_change": float(np.nanmean(change)),
                         "rose": float(np.nanmean(change > 0)),
                         "pixels_top": float(delta[:, :, top].mean()),
                         "pixels_mouth": float(delta[:, :, mouth[0], mouth[1]].mean())})
    finally:
        scorer.close()
    return rows
