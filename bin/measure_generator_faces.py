#!/usr/bin/env python
"""Share of a generator's random samples in which mediapipe's face mesh finds a face.

The demo model's first quality bar: at least 90% of 256 samples. Samples use seeded latents
(no truncation unless asked) and fresh noise; each image is given to the detector at the
generator's own size.

    python bin/measure_generator_faces.py /work/train-runs/generator64/checkpoint.pt [--samples 256]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the quality measures live with the tests

from _demo_quality import face_rate  # noqa: E402
from vidinvert.models import load_generator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="any rosinality-layout generator file (a training checkpoint too)")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--truncation", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    G = load_generator(args.generator)
    rate = face_rate(G, args.samples, args.seed, args.truncation)
    print(f"{args.generator}: {G.size} px, truncation {args.truncation}: "
          f"a face found in {round(rate * args.samples)}/{args.samples} samples ({100 * rate:.1f}%)")


if __name__ == "__main__":
    main()
