#!/usr/bin/env python
"""Measure an occluder model on held-out faces: IoU on synthetic occluders, false positives, ms per face.

    python bin/measure_occluders.py --cache-dir /tmp/occluders [--weights FILE]

Held-out faces are celeba/test (FFHQ-aligned at 128 px); each gets one synthetic occluder of a
fixed kind and seed, hands cut from the last 20% of the phone clips (never seen in training).
IoU thresholds the probability at 0.5 at the crop's size. False positives are the fraction of pixels
marked on the same faces without occluders (whole crop, and inside the fixed face ellipse).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from vidinvert.face.occlusion import BUNDLED_FILE, OcclusionSegmenter
from vidinvert.train.data import aligned_faces
from vidinvert.train.occluders import load_assets, measure

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CROP = 128


def ms_per_face(segmenter: OcclusionSegmenter, faces: np.ndarray, batch: int, repeats: int = 20) -> float:
    """Median wall time per face of one call on `batch` crops."""
    crops = faces[:batch]
    segmenter(crops)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        segmenter(crops)
        times.append((time.perf_counter() - start) / len(crops))
    return float(np.median(times) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, required=True, help="where aligned faces and cut-outs are cached")
    parser.add_argument("--weights", type=Path, default=BUNDLED_FILE)
    parser.add_argument("--seed", type=int, default=1234, help="the held-out occluders' seed")
    args = parser.parse_args()
    torch.set_num_threads(1)
    segmenter = OcclusionSegmenter.load(args.weights)
    faces = aligned_faces(args.data / "celeba" / "test", CROP, cache_dir=args.cache_dir / "test", progress=False)
    assets = load_assets(args.data, held_out=True, cache_dir=args.cache_dir)
    result = measure(segmenter, faces, assets, seed=args.seed)
    result["ms_per_face_batch1"] = ms_per_face(segmenter, faces, 1)
    result["ms_per_face_batch16"] = ms_per_face(segmenter, faces, 16)
    result["threads"] = torch.get_num_threads()
    result["input_size"] = segmenter.input_size
    result["crop"] = CROP
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
