#!/usr/bin/env python
"""What full depth costs per frame: the same 1080p pictures through the whole `invert` pipeline as
a 16-bit and as an 8-bit FFV1 source, each into FFV1 at its own depth, in one run.

The sources hold the same pictures (the 8-bit one is the 16-bit one rounded), both FFV1, so the
difference is only the depth: decoding to 16-bit RGB and its 8-bit view, blending the face at 16
bits, encoding 16-bit planes. Tiny random models at the cheapest settings (as
`bench_pipeline_memory.py`), so the video work weighs as much as it can against the models.

    python bin/bench_depth_cost.py [--clip PATH] [--frames 40] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from bench_masters import write_master
from bench_models import tiny_models
from vidinvert.api import invert_video

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "single_face.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        G, E, _ = tiny_models(folder)
        sources = {depth: write_master(args.clip, folder / f"src{depth}", (1920, 1080), args.frames,
                                       deep=depth == 16, codec="ffv1") for depth in (8, 16)}
        best: dict[int, float] = {}
        ratios = []
        print("| run | 8-bit s/frame | 16-bit s/frame | ratio |\n|---|---|---|---|")
        for run in range(args.repeats):
            seconds = {}
            for depth, source in sources.items():  # the two paths in turn, so the load falls on both
                summary = invert_video(source, folder / f"out{depth}.mkv", models=(G, E), device="cpu", steps=1,
                                       next_steps=0, codec="ffv1", quiet=True, overwrite=True)
                seconds[depth] = summary.process_seconds / summary.frames
                best[depth] = min(best.get(depth, seconds[depth]), seconds[depth])
            ratios.append(seconds[16] / seconds[8])
            print(f"| {run + 1} | {seconds[8]:.4f} | {seconds[16]:.4f} | {ratios[-1]:.2f} |", flush=True)
        print(f"\nbest of {args.repeats}: 16-bit {best[16]:.4f} s/frame, 8-bit {best[8]:.4f} s/frame, "
              f"ratio {best[16] / best[8]:.2f}; median ratio within a run {statistics.median(ratios):.2f} "
              f"({args.frames} frames 1920x1080, torch {torch.get_num_threads()} thread(s))")


if __name__ == "__main__":
    main()
