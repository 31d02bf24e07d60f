#!/usr/bin/env python
"""Encoder bootstrapping measured on held-out photos: two encoders of one generator, each alone and
each refining the other's inversion (ReStyle sec. 5.5).

The first `--faces` photos of celeba/test, aligned with the project's aligner as the bundled model's
card measures them, are inverted by A alone and B alone (`--steps` steps, and up to `--refine` more
for comparison), by A then B (A's `--steps` steps, then 1..`--refine` steps of B) and by B then A.
Prints a Markdown table of PSNR and SSIM; `--json` writes the numbers, `--strip` a picture of the
first `--strip-faces` photos (rows: target | A | B | A->B | B->A, the bootstrapped ones after
`--refine` steps).

    python bin/measure_bootstrap.py --b /tmp/run/encoder.pt [--a A.pt --generator G.pt] [--json out.json]

A and the generator default to the bundled demo model's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the quality measures live with the tests

from _demo_quality import Reconstruction  # noqa: E402
from vidinvert.demo.paths import DEMO_DIR  # noqa: E402
from vidinvert.images import to_uint8, write_rgb  # noqa: E402
from vidinvert.invert import BootstrappedInverter, Inverter  # noqa: E402
from vidinvert.loading import load_init_encoder  # noqa: E402
from vidinvert.models import load_encoder, load_generator  # noqa: E402
from vidinvert.train.data import aligned_faces, to_tensor  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def images_by_step(inverter: Inverter, faces: torch.Tensor, steps: int, batch: int) -> list[torch.Tensor]:
    """The reconstructions of `faces` after each of 1..`steps` steps (a bootstrapped inverter: of the
    main encoder, after the first encoder's inversion)."""
    per_step: list[list[torch.Tensor]] = [[] for _ in range(steps)]
    for chunk in faces.split(batch):
        result = inverter.invert(chunk, steps=steps, return_steps=True)
        for k in range(steps):
            per_step[k].append(result.steps[k + 1].image)
    return [torch.cat(images) for images in per_step]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", type=Path, default=DEMO_DIR / "generator.pt")
    parser.add_argument("--a", type=Path, default=DEMO_DIR / "encoder.pt", help="encoder A (default: the bundled one)")
    parser.add_argument("--b", type=Path, required=True, help="encoder B")
    parser.add_argument("--test-data", default=str(SHARED / "celeba" / "test"))
    parser.add_argument("--cache-dir", help="cache of aligned test faces")
    parser.add_argument("--faces", type=int, default=300, help="first N held-out photos")
    parser.add_argument("--steps", type=int, default=5, help="steps of each encoder alone and of the first one")
    parser.add_argument("--refine", type=int, default=3, help="steps of the second encoder")
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--strip", type=Path, help="write a comparison picture (PNG) of the first photos here")
    parser.add_argument("--strip-faces", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    G = load_generator(args.generator)
    A, B = Inverter(G, load_encoder(args.a)), Inverter(G, load_init_encoder(args.b, G))
    faces = to_tensor(aligned_faces(args.test_data, G.size, args.cache_dir, progress=False)[:args.faces])
    more = args.steps + args.refine
    runs = {
        "A alone": (images_by_step(A, faces, more, args.batch), args.steps),
        "B alone": (images_by_step(B, faces, more, args.batch), args.steps),
        "A->B": (images_by_step(BootstrappedInverter(A, B, args.steps), faces, args.refine, args.batch), 1),
        "B->A": (images_by_step(BootstrappedInverter(B, A, args.steps), faces, args.refine, args.batch), 1),
    }
    rows = []
    for name, (images, first) in runs.items():
        for k in range(first, len(images) + 1):
            quality = Reconstruction.of(images[k - 1], faces)
            steps = f"{k}" if name.endswith("alone") else f"{args.steps} + {k}"
            rows.append({"run": name, "steps": steps, "psnr": round(quality.psnr, 3), "ssim": round(quality.ssim, 4)})
    print(f"{len(faces)} held-out photos ({args.test_data}) at {G.size} px; A = {args.a}, B = {args.b}\n")
    print("| run | steps | PSNR (dB) | SSIM |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['run']} | {row['steps']} | {row['psnr']:.2f} | {row['ssim']:.3f} |")
    seconds = round(time.perf_counter() - started, 1)
    print(f"\n{seconds} s")
    if args.json:
        args.json.write_text(json.dumps({"faces": len(faces), "a": str(args.a), "b": str(args.b), "rows": rows,
                                         "seconds": seconds}, indent=2) + "\n")
    if args.strip:
        n = args.strip_faces
        columns = [faces[:n], runs["A alone"][0][args.steps - 1][:n], runs["B alone"][0][args.steps - 1][:n],
                   runs["A->B"][0][-1][:n], runs["B->A"][0][-1][:n]]
        side = 2 * G.size
        tiles = [np.concatenate(list(to_uint8(images, size=side)), axis=1) for images in columns]
        write_rgb(args.strip, np.concatenate(tiles, axis=0))


if __name__ == "__main__":
    main()
