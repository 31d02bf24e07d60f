#!/usr/bin/env python
"""Train the occluder segmenter on CelebA faces with synthetic occluders and write its weights.

    python bin/train_occluders.py --minutes 25 --cache-dir /tmp/occluders

Faces are celeba/train of the shared data, aligned the FFHQ way at 128 px (cached in --cache-dir);
hands are cut from the first 80% of the phone clips. Writes vidinvert/data/occluders/occluders.pt
(or --out) and prints the held-out numbers (celeba/test, hands from the clips' last 20%).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch

from vidinvert.face.occlusion import BUNDLED_FILE, OcclusionSegmenter
from vidinvert.train.data import aligned_faces
from vidinvert.train.occluders import OccluderTraining, load_assets, measure, train

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CROP = 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (celeba/, hands/, videos/)")
    parser.add_argument("--cache-dir", type=Path, required=True, help="where aligned faces and cut-outs are cached")
    parser.add_argument("--out", type=Path, default=BUNDLED_FILE)
    parser.add_argument("--steps", type=int, default=OccluderTraining.steps)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long (the schedule follows it)")
    parser.add_argument("--batch", type=int, default=OccluderTraining.batch)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=OccluderTraining.lr)
    parser.add_argument("--init", type=Path, default=None, help="continue from this weights file (a second stage)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)

    faces = aligned_faces(args.data / "celeba" / "train", CROP, cache_dir=args.cache_dir / "train", progress=False)
    assets = load_assets(args.data, held_out=False, cache_dir=args.cache_dir)
    settings = OccluderTraining(steps=args.steps, minutes=args.minutes, batch=args.batch, seed=args.seed, lr=args.lr)
    stages = []
    init = None
    if args.init is not None:
        init = OcclusionSegmenter.load(args.init)
        stages = init.meta.get("stages") or [{"steps": init.meta.get("steps"), "seconds": init.meta.get("train_seconds"),
                                              "lr": OccluderTraining.lr, "seed": init.meta.get("seed")}]
        settings.input_size, settings.channels = init.input_size, tuple(init.net.channels)
    net, run = train(faces, assets, settings, init.net if init is not None else None)
    stages = stages + [{"steps": run["steps"], "seconds": round(run["seconds"]), "lr": settings.lr, "seed": settings.seed}]
    meta = {"stages": stages, "input_size": settings.input_size, "channels": list(settings.channels),
            "steps": sum(s["steps"] for s in stages), "batch": settings.batch,
            "train_seconds": sum(s["seconds"] for s in stages),
            "train_faces": len(faces), "train_hands": len(assets.hands), "crop": CROP}
    segmenter = OcclusionSegmenter(net, settings.input_size, meta)
    path = segmenter.save(args.out)
    print(f"{path}: {path.stat().st_size / 2**20:.2f} MiB, {meta['steps']} steps in {meta['train_seconds'] / 60:.1f} min")

    test = aligned_faces(args.data / "celeba" / "test", CROP, cache_dir=args.cache_dir / "test", progress=False)
    held_out = load_assets(args.data, held_out=True, cache_dir=args.cache_dir)
    print(json.dumps(measure(OcclusionSegmenter.load(path), test, held_out), indent=1))


if __name__ == "__main__":
    main()
