#!/usr/bin/env python
"""How well InterFaceGAN-style fitting recovers directions, against the number of sampled faces.

1. Planted: W codes from a random generator's mapping network, scores linear along a hidden unit
   direction plus noise; prints the cosine between the fitted and the hidden direction and the
   held-out accuracy for each sample count and noise level.
2. Rendered: scores computed from the generator's images (mean brightness); prints held-out
   accuracy and the share of fresh faces that get brighter when moved along the fitted direction.

    python bin/measure_fitting.py [--samples 250 500 1000 2000 4000] [--style-dim 512]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from vidinvert.edit.directions import edit
from vidinvert.discover.fit import fit_direction, fit_linear_direction
from vidinvert.images import to_uint8
from vidinvert.models import Generator


def brightness(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).mean(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[250, 500, 1000, 2000, 4000])
    parser.add_argument("--style-dim", type=int, default=512)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    G = Generator(args.size, style_dim=args.style_dim, n_mlp=8, channel_multiplier=1).eval().requires_grad_(False)
    hidden = torch.randn(args.style_dim, generator=torch.Generator().manual_seed(1))
    hidden /= hidden.norm()
    print(f"planted direction, W from an {args.style_dim}-d mapping network (8 layers), quantile 0.3")
    print(f"{'samples':>8s} {'noise':>6s} {'cosine':>7s} {'held-out acc':>12s}")
    for n in args.samples:
        w = G.sample_w(n, seed=n)
        clean = (w @ hidden).numpy()
        for noise in (0.0, 0.5, 1.0):
            scores = clean + noise * clean.std() * np.random.default_rng(n).standard_normal(n)
            result = fit_linear_direction(w, scores)
            cosine = float(result.direction.offset[0] @ hidden)
            print(f"{n:8d} {noise:6.1f} {cosine:7.3f} {result.accuracy:12.3f}")
    print("\nrendered brightness scorer, random generator", args.size, "px")
    print(f"{'samples':>8s} {'held-out acc':>12s} {'brighter at +2':>14s}")
    fresh = G.sample_w(200, seed=12345)
    before = brightness(to_uint8(G.synthesize(fresh)))
    for n in args.samples[:3]:
        result = fit_direction(G, attribute="brightness", scorer=brightness, samples=n, batch_size=250)
        after = brightness(to_uint8(G.synthesize(edit(fresh.unsqueeze(1).repeat(1, G.n_latent, 1),
                                                     result.direction, 2.0))))
        print(f"{n:8d} {result.accuracy:12.3f} {(after > before).mean():14.2f}")


if __name__ == "__main__":
    main()
