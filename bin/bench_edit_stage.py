#!/usr/bin/env python
"""Cost of editing a feature-tensor inversion, against rendering the frame.

Prints frames/s of: the full render G(F', w'); the editing stage with an edit of coarse layers
(feature correction: two partial generator runs up to convolution K); the stage with an edit of
fine layers only (correction skipped); and a two-sided Gaussian on W+ and F. Random weights in the
official shapes, stored noise.

    python bin/bench_edit_stage.py [--size 256] [--batch 8] [--frames 32] [--device cpu]
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

import torch

from vidinvert.edit.directions import Direction
from vidinvert.edit.registry import EditRequest
from vidinvert.temporal import GaussianFilter, Identity
from vidinvert.models import Generator
from vidinvert.pipeline.edit_stage import EditStage
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.video import FrameRecord

K = 5


def frames_per_second(stage: EditStage, frames: list[FaceFrame]) -> float:
    start = time.perf_counter()
    for _ in stage(iter(frames)):
        pass
    return len(frames) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    G = Generator(args.size).eval().requires_grad_(False).to(args.device)
    w = G.sample_w(args.frames, seed=0).unsqueeze(1).repeat(1, G.n_latent, 1)
    with torch.no_grad():
        F = torch.cat([G.features(w[i:i + args.batch], K) for i in range(0, args.frames, args.batch)])
    blank = np.zeros((2, 2, 3), np.uint8)
    frames = [FaceFrame(FrameRecord(i, i, Fraction(1, 30), 1, blank), inverted=Latents(w[i], F[i]))
              for i in range(args.frames)]
    v = torch.randn(1, G.style_dim)
    coarse = [EditRequest(Direction(v, tuple(range(8)), "coarse", "vidinvert"), 1.0)]
    fine = [EditRequest(Direction(v, tuple(range(8, G.n_latent)), "fine", "vidinvert"), 1.0)]

    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, args.frames, args.batch):
            G.synthesize(w[i:i + args.batch], feature=F[i:i + args.batch], feature_index=K)
    render = args.frames / (time.perf_counter() - start)
    plain = dict(wplus_filter=Identity(), feature_filter=Identity(), offset_filter=Identity(),
                 feature_index=K, batch_size=args.batch)
    smooth = dict(plain, wplus_filter=GaussianFilter(2.0), feature_filter=GaussianFilter(2.0))
    rows = [
        ("render G(F', w')", render),
        ("stage, coarse edit (corrected)", frames_per_second(EditStage(G, coarse, **plain), frames)),
        ("stage, fine edit (skipped)", frames_per_second(EditStage(G, fine, **plain), frames)),
        ("stage, fine edit + gaussian:2 on W+ and F", frames_per_second(EditStage(G, fine, **smooth), frames)),
    ]
    print(f"{args.size}px, batch {args.batch}, {args.frames} frames, {args.device}")
    for name, fps in rows:
        print(f"{name:44s} {fps:9.1f} frames/s  {100 * render / fps:6.1f}% of the render time")


if __name__ == "__main__":
    main()
