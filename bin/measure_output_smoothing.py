#!/usr/bin/env python
"""Temporal smoothing measured on the pipeline's output: how much the edited face changes from frame
to frame, with and without smoothing of the crop track and of the latents.

Each setting is one real `edit_video` run (a random direction at strength 1) on a shared clip with
random models in the official layouts; the stage hook reads what flows past without changing it.
Printed per setting (all identity-free):

- crop change: mean absolute change between consecutive generated face crops ([0, 1] scale);
- crop flicker: that change relative to the aligned input crops' own change (`flicker_ratio`);
- frame flicker: the same ratio on the written frames, over the box around both frames' crop quads
  (this one also sees crop-track jitter, which the aligned crops hide);
- W+ step: mean L2 distance between consecutive frames' latents fed to the generator, per latent;
- F step: mean absolute change of the feature tensor relative to its mean magnitude (encoders with one);
- PSNR: generated crop against the aligned input crop (what smoothing costs in fidelity).

With random weights the absolute numbers say nothing about a trained model; the relative effect of
each smoothing setting on the same models and frames is what to read.

    python bin/measure_output_smoothing.py [--clips talk_audio.mp4 head_d18.mp4] [--frames 0:60]
                                           [--encoder vidinvert|restyle] [--steps 1 --next-steps 1]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from bench_models import tiny_feature_models, tiny_models
from vidinvert.api import edit_video
from vidinvert.metrics import flicker_ratio, frame_change, psnr, to_unit_range

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"

#: (label, options of edit_video)
SETTINGS = (
    ("no smoothing", dict(smooth=0)),
    ("crop --smooth 3", dict(smooth=3)),
    ("crop 3 + latents gaussian:2", dict(smooth=3, smooth_latents="gaussian:2")),
    ("crop 3 + latents, features gaussian:2", dict(smooth=3, smooth_latents="gaussian:2",
                                                   smooth_features="gaussian:2")),
    ("crop 3 + latents gaussian:4,2,1, features gaussian:2", dict(smooth=3, smooth_latents="gaussian:4,2,1",
                                                                  smooth_features="gaussian:2")),
    ("causal: crop ema + latents, features ema:0.5", dict(smooth="causal", smooth_latents="ema:0.5",
                                                          smooth_features="ema:0.5")),
    ("causal: crop ema + latents, features one-euro:1", dict(smooth="causal", smooth_latents="one-euro:1.0",
                                                             smooth_features="one-euro:1.0")),
)


def box(quads: list[np.ndarray], shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The pixel box around all `quads`, clipped to the frame."""
    points = np.concatenate(quads)
    (x0, y0), (x1, y1) = np.floor(points.min(0)).astype(int), np.ceil(points.max(0)).astype(int)
    return slice(max(y0, 0), min(y1, shape[0])), slice(max(x0, 0), min(x1, shape[1]))


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255)


class OutputWatch:
    """A stage hook collecting consecutive-frame changes of latents, crops and written frames."""

    def __init__(self) -> None:
        self.w_steps: list[float] = []
        self.f_steps: list[float] = []
        self.crop_out: list[float] = []
        self.crop_in: list[float] = []
        self.frame_out: list[float] = []
        self.frame_in: list[float] = []
        self.psnr: list[float] = []
        self.faces: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # index -> (quad, input image)

    def hook(self, name: str, items: Iterator) -> Iterator:
        watch = {"edit": self._latents, "render": self._crops, "composite": self._frames}.get(name)
        return items if watch is None else watch(items)

    def _latents(self, items: Iterator) -> Iterator:
        previous = None
        for item in items:
            if item.w is not None and previous is not None and previous.w is not None:
                self.w_steps.append((item.w - previous.w).norm(dim=-1).mean().item())
                if item.feature is not None:
                    step = (item.feature - previous.feature).abs().mean() / previous.feature.abs().mean()
                    self.f_steps.append(step.item())
            previous = item
            yield item

    def _crops(self, items: Iterator) -> Iterator:
        previous = None
        for frame, face in items:
            if face is not None:
                size = face.shape[1]
                target = to_unit_range(cv2.resize(frame.crop, (size, size), interpolation=cv2.INTER_AREA))
                generated = to_unit_range(face)
                self.psnr.append(float(psnr(generated, target)[0]))
                if previous is not None:
                    self.crop_out.append(frame_change(previous[0], generated).item())
                    self.crop_in.append(frame_change(previous[1], target).item())
                previous = (generated, target)
                self.faces[frame.record.index] = (frame.quad, frame.record.image)
            else:
                previous = None
            yield frame, face

    def _frames(self, items: Iterator) -> Iterator:
        previous = None
        for record in items:
            face = self.faces.pop(record.index, None)
            if face is not None and previous is not None:
                rows, cols = box([face[0], previous[0]], record.image.shape)
                self.frame_out.append(mean_abs(record.image[rows, cols], previous[2][rows, cols]))
                self.frame_in.append(mean_abs(face[1][rows, cols], previous[1][rows, cols]))
            previous = None if face is None else (face[0], face[1], record.image)
            yield record

    def row(self) -> dict[str, float]:
        return {
            "crop change": float(np.mean(self.crop_out)),
            "crop flicker": flicker_ratio(np.array(self.crop_out), np.array(self.crop_in)),
            "frame flicker": flicker_ratio(np.array(self.frame_out), np.array(self.frame_in)),
            "W+ step": float(np.mean(self.w_steps)),
            "F step": float(np.mean(self.f_steps)) if self.f_steps else float("nan"),
            "PSNR": float(np.mean(self.psnr)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["talk_audio.mp4", "head_d18.mp4"])
    parser.add_argument("--frames", default="0:60", help="START:END of each clip to edit")
    parser.add_argument("--encoder", choices=("vidinvert", "restyle"), default="vidinvert")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--next-steps", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        G, E, direction = (tiny_feature_models if args.encoder == "vidinvert" else tiny_models)(folder)
        print(f"random models: {G.size} px generator, {E.kind} encoder at {E.input_size} px; "
              f"--steps {args.steps} --next-steps {args.next_steps}, random direction at strength 1, "
              f"frames {args.frames}")
        columns = ("crop change", "crop flicker", "frame flicker", "W+ step", "F step", "PSNR")
        for clip in args.clips:
            print(f"\n{clip}\n\n| setting | {' | '.join(columns)} |\n|---|{'---|' * len(columns)}")
            for label, options in SETTINGS:
                watch = OutputWatch()
                edit_video(DATA / clip, folder / "out.mp4", direction=[direction], strength="1", models=(G, E),
                           device="cpu", steps=args.steps, next_steps=args.next_steps, frames=args.frames,
                           preset="ultrafast", overwrite=True, quiet=True, observe=watch.hook, **options)
                values = watch.row()
                print(f"| {label} | " + " | ".join(f"{values[c]:.4f}" if c != "PSNR" else f"{values[c]:.2f}"
                                                   for c in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
