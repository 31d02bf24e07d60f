#!/usr/bin/env python
"""Resident memory of a whole `vidinvert invert` run over a long video: it must not grow with length.

A shared clip is looped by packet copy (timestamps shifted) to `--minutes`, then inverted with tiny
random models in the official layouts at the cheapest settings (`--steps 1 --next-steps 0`, x264
ultrafast, default crop smoothing with its look-ahead). Every `--every` frames the run prints the
frame number, VmRSS and VmHWM (peak) of this process from /proc/self/status, and the frames/s so far.
`--max-frames` caps the frames that go through the pipeline (the rest are only re-encoded) when the
whole video would take too long on this machine.

    python bin/bench_pipeline_memory.py [--clip PATH] [--minutes 5] [--every 500] [--max-frames N]

`--master N` instead writes an N-frame 3840x2160 ProRes 422 HQ 10-bit master from the clip with
PyAV (`bench_masters`) and runs it through at full depth into ProRes. The edit then runs in a
process of its own (this script again, with `--source`), so its RSS and peak leave out the memory
that writing the master took. `--source PATH` runs a given video as it is, without looping it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from bench_masters import write_master
from bench_models import tiny_models
from bench_video_io import loop_clip
from vidinvert.api import invert_video
from vidinvert.video import probe

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "head_d18.mp4"


def memory_mib() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class MemoryProbe:
    """A stage hook that samples memory every `every` frames leaving the pipeline."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.samples: list[tuple[int, float, float, float]] = []
        self.started = time.perf_counter()

    def hook(self, name: str, items: Iterator) -> Iterator:
        return self._watch(items) if name == "composite" else items

    def _watch(self, items: Iterator) -> Iterator:
        count = 0
        for record in items:
            count += 1
            if count == 1 or count % self.every == 0:
                self.sample(count)
            yield record
        if count % self.every:
            self.sample(count)

    def sample(self, count: int) -> None:
        rss, peak = memory_mib()
        fps = count / (time.perf_counter() - self.started)
        self.samples.append((count, rss, peak, fps))
        print(f"| {count} | {rss:.0f} | {peak:.0f} | {fps:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--max-frames", type=int, help="frames through the pipeline (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--master", type=int, metavar="FRAMES", help="a 4K 10-bit ProRes master of this many frames")
    parser.add_argument("--source", type=Path, help="run this video as it is (no looping)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.master:
            started = time.perf_counter()
            master = write_master(args.clip, folder / "master", (3840, 2160), args.master)
            print(f"master written in {time.perf_counter() - started:.0f} s ({master.stat().st_size / 2**20:.0f} MiB); "
                  "the edit runs in a process of its own", flush=True)
            child = [sys.executable, __file__, "--source", str(master), "--every", str(args.every),
                     "--threads", str(args.threads)]
            raise SystemExit(subprocess.run(child).returncode)
        if args.source:
            long_clip, loops = args.source, 1
        else:
            long_clip = folder / f"long{args.clip.suffix}"
            loops = loop_clip(args.clip, args.minutes, long_clip)
        info = probe(long_clip)
        G, E, _ = tiny_models(folder)
        print(f"{args.clip.name} x{loops} = {info.duration / 60:.1f} min, {info.frames} frames "
              f"{info.width}x{info.height} {info.depth.describe()}; tiny models ({G.size} px generator, {E.kind} encoder at "
              f"{E.input_size} px), --steps 1 --next-steps 0 --preset ultrafast, torch {torch.get_num_threads()} thread(s)")
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand back what building the models freed
        rss, peak = memory_mib()
        print(f"before the run: RSS {rss:.0f} MiB, peak {peak:.0f} MiB")
        print("\n| frames done | RSS MiB | peak RSS MiB | frames/s so far |\n|---|---|---|---|")
        probe_ = MemoryProbe(args.every)
        frames = None if args.max_frames is None else f"0:{args.max_frames}"
        output, codec = (folder / "out.mov", "prores") if info.depth.deep else (folder / "out.mp4", "h264")
        summary = invert_video(long_clip, output, models=(G, E), device="cpu", steps=1, next_steps=0,
                               preset="ultrafast", frames=frames, quiet=True, observe=probe_.hook, codec=codec)
        rss, peak = memory_mib()
        print(f"\n{summary.line()}")
        later = [rss for count, rss, _, _ in probe_.samples if count >= args.every]
        if later:
            print(f"RSS from frame {args.every} on: {min(later):.0f} to {max(later):.0f} MiB; "
                  f"after the run: RSS {rss:.0f} MiB, peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
