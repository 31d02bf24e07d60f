#!/usr/bin/env python
"""Share of a generator's random samples in which mediapipe's face mesh finds a face.

The demo model's first quality bar: at least 90% of 256 samples. Samples use seeded latents
(no truncation unless asked) and fresh noise; each image is given to the detector at the
generator's own size.

    python bin/measure_generator_faces.py /work/train-runs/generator64/checkpoint.pt [--samples 256]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from vidinvert.face.detect import MeshDetector
from vidinvert.models import load_generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="any rosinality-layout generator file (a training checkpoint too)")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--truncation", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    G = load_generator(args.generator)
    found = 0
    with MeshDetector(max_faces=1) as detector, torch.no_grad():
        for start in range(0, args.samples, 32):
            n = min(32, args.samples - start)
            w = G.sample_w(n, seed=args.seed + start, truncation=args.truncation)
            images = G.synthesize(w, noise="random").clamp(-1, 1)
            frames = ((images.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)
            found += sum(bool(detector.detect(frame)) for frame in frames)
    print(f"{args.generator}: {G.size} px, truncation {args.truncation}: "
          f"a face found in {found}/{args.samples} samples ({100 * found / args.samples:.1f}%)")


if __name__ == "__main__":
    main()
