#!/usr/bin/env python
"""What full depth costs per frame: the same 1080p pictures through the whole `invert` pipeline as
a 16-bit and as an 8-bit FFV1 source, each into FFV1 at its own depth, in one run.

The sources hold the same pictures (the 8-bit one is the 16-bit one rounded), both FFV1, so the
difference is only the depth: decoding to 16-bit RGB and its 8-bit view, blending the face at 16
bits, encoding 16-bit planes. Tiny random models at the cheapest settings (as
`bench_pipeline_memory.py`), so the video work weighs as much as it can against the models. The
two sources run in turn in each repeat, and each row splits a frame's time into the decode stage,
the encode stage and all the other stages (own time of each, as `RunSummary.stage_times` keeps it;
the stages run on one thread, `serial=True`, so the three add up to the whole).

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
        ratios: dict[str, list[float]] = {"whole": [], "other": []}
        print("| run | source | s/frame | decode ms/frame | encode ms/frame | other stages ms/frame |\n"
              "|---|---|---|---|---|---|")
        for run in range(args.repeats):
            parts = {}
            for depth, source in sources.items():  # the two paths in turn, so the load falls on both
                summary = invert_video(source, folder / f"out{depth}.mkv", models=(G, E), device="cpu", steps=1,
                                       next_steps=0, codec="ffv1", quiet=True, overwrite=True, serial=True)
                parts[depth] = split(summary)
                best[depth] = min(best.get(depth, parts[depth][0]), parts[depth][0])
                whole, decode, encode, other = parts[depth]
                print(f"| {run + 1} | {depth}-bit | {whole:.4f} | {decode * 1000:.1f} | {encode * 1000:.1f} | "
                      f"{other * 1000:.1f} |", flush=True)
            ratios["whole"].append(parts[16][0] / parts[8][0])
            ratios["other"].append(parts[16][3] / parts[8][3])
            print(f"| {run + 1} | ratio | {ratios['whole'][-1]:.2f} | {parts[16][1] / parts[8][1]:.2f} | "
                  f"{parts[16][2] / parts[8][2]:.2f} | {ratios['other'][-1]:.2f} |", flush=True)
        print(f"\nbest of {args.repeats}: 16-bit {best[16]:.4f} s/frame, 8-bit {best[8]:.4f} s/frame, "
              f"ratio {best[16] / best[8]:.2f}; median ratio within a run: whole {statistics.median(ratios['whole']):.2f}, "
              f"other stages {statistics.median(ratios['other']):.2f} "
              f"({args.frames} frames 1920x1080, torch {torch.get_num_threads()} thread(s))")


def split(summary) -> tuple[float, float, float, float]:
    """Seconds per frame: the whole run, the decode stage (FFV1 decoding and the conversion to RGB and
    its 8-bit view), the encode stage (conversion, FFV1 encoding, muxing) and all other stages."""
    stages = summary.stage_times.stages
    whole = summary.process_seconds / summary.frames
    decode, encode = (stages[name].seconds / summary.frames for name in ("decode", "encode"))
    return whole, decode, encode, whole - decode - encode


if __name__ == "__main__":
    main()
