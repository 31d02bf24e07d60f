#!/usr/bin/env python
"""What a restoration encoder gains on held-out faces: PSNR and sharpness against the clean photo.

Held-out CelebA photos (celeba/test, sorted by path, the first N found faces) are aligned at the
generator's size with the project's aligner, degraded as `train encoder --degrade` degrades them,
and compared with the clean crop:
- the degraded input itself;
- the bundled (inversion) encoder's inversion of the degraded input;
- the restoration encoder's inversion of the degraded input;
- and, for reference, the bundled encoder's inversion of the clean crop.
PSNR (dB, [0, 1] scale) over the whole crop, and sharpness: the variance of the grey Laplacian
over the crop, divided by the clean crop's (1 is as sharp as the clean photo). Medians and means
over the faces; inversions take `--steps` steps from the average latent, as a photo's first frame.

    python bin/measure_restore.py [--encoder vidinvert/data/demo/restore_sr4.pt] [--faces 300] [--json out.json]
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
sys.path[:0] = [str(ROOT)]

from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE, RESTORE_SR4_FILE  # noqa: E402
from vidinvert.invert import Inverter  # noqa: E402
from vidinvert.metrics.face_quality import laplacian_variance, masked_psnr  # noqa: E402
from vidinvert.models import load_encoder, load_generator  # noqa: E402
from vidinvert.train.data import aligned_faces, to_tensor  # noqa: E402
from vidinvert.train.degrade import degrade  # noqa: E402


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1).permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)


def scores(images: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    whole = np.ones(clean.shape[1:3], dtype=bool)
    psnr = [masked_psnr(a, b, whole) for a, b in zip(images, clean)]
    sharp = [laplacian_variance(a, whole) / laplacian_variance(b, whole) for a, b in zip(images, clean)]
    return {"psnr_median": float(np.median(psnr)), "psnr_mean": float(np.mean(psnr)),
            "sharpness_median": float(np.median(sharp)), "sharpness_mean": float(np.mean(sharp))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", type=Path, default=RESTORE_SR4_FILE, help="the restoration encoder")
    parser.add_argument("--generator", type=Path, default=GENERATOR_FILE)
    parser.add_argument("--baseline", type=Path, default=ENCODER_FILE, help="the inversion encoder compared with")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "celeba" / "test")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/measure_restore_cache"))
    parser.add_argument("--faces", type=int, default=300)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--degrade", help="default: what the encoder file records")
    parser.add_argument("--seed", type=int, default=0, help="seeds the holes of --degrade inpaint")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    G = load_generator(args.generator).eval()
    restorer, baseline = load_encoder(args.encoder), load_encoder(args.baseline)
    mode = args.degrade or restorer.degrade
    if mode is None:
        raise SystemExit(f"{args.encoder} records no degradation; pass --degrade")
    crops = aligned_faces(args.data, G.size, args.cache_dir, progress=False)[:args.faces]
    clean = to_tensor(crops)
    seen = degrade(clean, mode, torch.Generator().manual_seed(args.seed))
    rows: dict[str, dict[str, float]] = {}
    with torch.no_grad():
        outputs = {"degraded input": seen,
                   "bundled encoder, degraded input": Inverter(G, baseline).invert(seen, steps=args.steps).image,
                   f"{args.encoder.name}, degraded input": Inverter(G, restorer).invert(seen, steps=args.steps).image,
                   "bundled encoder, clean input (reference)": Inverter(G, baseline).invert(clean, steps=args.steps).image}
    reference = to_uint8(clean)
    for name, images in outputs.items():
        rows[name] = scores(to_uint8(images), reference)
    print(f"{len(crops)} faces of {args.data}, {G.size} px, degradation {mode}, {args.steps} steps "
          f"({time.perf_counter() - started:.0f} s)\n")
    print("| what | PSNR median / mean (dB) | sharpness median / mean (clean = 1) |")
    print("|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['psnr_median']:.2f} / {row['psnr_mean']:.2f} | "
              f"{row['sharpness_median']:.3f} / {row['sharpness_mean']:.3f} |")
    if args.json is not None:
        args.json.write_text(json.dumps({"faces": len(crops), "degrade": mode, "steps": args.steps,
                                         "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
