#!/usr/bin/env python
"""Batch throughput: videos/s of `vidinvert batch` with the local engine (one process, models loaded
once) and with the Ray engine on this machine (a local Ray cluster: one worker, then one per CPU),
the ratio, the per-video time Ray adds, and an estimate of a RAVDESS run from the measured costs.

Clips are the bundled demo model's talking faces (no data needed); every run edits them with
--attr smile --codec lossless on the CPU, one torch thread per process.

    python bin/bench_batch.py [--videos 8] [--frames 12] [--size 128] [--cpus 2] [--per-frame-seconds S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidinvert.batch import folder_jobs, run_batch  # noqa: E402
from vidinvert.batch.records import record_path  # noqa: E402
from vidinvert.demo.clip import render_demo_clip  # noqa: E402
from vidinvert.demo.model import load_default_models  # noqa: E402
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE  # noqa: E402
from vidinvert.engines.ray_pool import RayOptions, import_ray  # noqa: E402

#: The RAVDESS run of the issue: every video, the protocol's first 120 frames of each.
RAVDESS_VIDEOS = 2452
RAVDESS_FRAMES = 120
OPTIONS = {"attr": ["smile"], "codec": "lossless", "device": "cpu", "generator": str(GENERATOR_FILE),
           "encoder": str(ENCODER_FILE)}


def timed_batch(clips: Path, out: Path, ray: RayOptions | None) -> tuple[float, int, float]:
    """Wall seconds, frames, and the mean time between one video's end and the next one's start
    on a worker (meaningful with one worker): record files are written as each video ends, and a
    video's own seconds are in its record."""
    start = time.perf_counter()
    records = run_batch(folder_jobs(clips, out, OPTIONS), out, ray=ray, progress=False)
    seconds = time.perf_counter() - start
    assert all(r["status"] == "ok" for r in records), records
    ended = sorted((record_path(out, r["output"]).stat().st_mtime_ns / 1e9, r["seconds"]) for r in records)
    between = [later - earlier - own for (earlier, _), (later, own) in zip(ended, ended[1:])]
    return seconds, sum(r["frames"] for r in records), sum(between) / len(between)


def estimate(per_frame: float, per_video_overhead: float, workers: int) -> float:
    """Hours for the RAVDESS run on `workers` workers (one per GPU), the videos spread evenly."""
    per_video = RAVDESS_FRAMES * per_frame + per_video_overhead
    return RAVDESS_VIDEOS * per_video / workers / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster (one worker each)")
    parser.add_argument("--per-frame-seconds", type=float, action="append", default=[],
                        help="another measured per-frame cost (e.g. of bin/bench_pipeline.py on a GPU) to estimate with")
    args = parser.parse_args()
    ray = import_ray()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        scratch = Path(scratch)
        G, _ = load_default_models("cpu")
        (scratch / "clips").mkdir()
        for seed in range(args.videos):
            render_demo_clip(G, scratch / "clips" / f"clip{seed:02d}.mp4", seconds=args.frames / 10, fps=10,
                             size=args.size, seed=seed)
        local, frames, local_gap = timed_batch(scratch / "clips", scratch / "local", None)
        start = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        ray_start = time.perf_counter() - start
        one, _, ray_gap = timed_batch(scratch / "clips", scratch / "ray1", RayOptions(workers=1))
        pool, _, _ = timed_batch(scratch / "clips", scratch / "rayN", RayOptions(workers=args.cpus))
        ray.shutdown()

    n = args.videos
    print(f"{n} demo clips of {args.frames} frames at {args.size} px ({frames} frames), --attr smile --codec lossless, "
          f"CPU, one torch thread per process; Ray started in {ray_start:.1f} s (not in the rows)\n")
    print("| engine | workers | seconds | videos/s | frames/s | vs local |")
    print("|---|---|---|---|---|---|")
    for name, workers, seconds in (("local", 1, local), ("ray", 1, one), ("ray", args.cpus, pool)):
        print(f"| {name} | {workers} | {seconds:.2f} | {n / seconds:.3f} | {frames / seconds:.2f} | "
              f"{local / seconds:.2f}x |")
    per_frame = local / frames
    overhead = ray_gap - local_gap
    once = (one - local) - (n - 1) * overhead
    print(f"\nbetween one video's end and the next one's start on a worker: {ray_gap * 1000:.0f} ms on Ray, "
          f"{local_gap * 1000:.0f} ms locally: Ray adds {overhead * 1000:.0f} ms per video, and {once:.1f} s once "
          "per job (its workers start)")
    print(f"per-frame cost, local engine: {per_frame * 1000:.1f} ms")
    print(f"\nRAVDESS estimate: {RAVDESS_VIDEOS} videos x {RAVDESS_FRAMES} frames, one worker per GPU, "
          f"{overhead * 1000:.0f} ms added per video (worker start left out)")
    costs = [("this run's per-frame cost", per_frame)] + [(f"{s} s/frame given", s) for s in args.per_frame_seconds]
    workers = (1, 8, 32, 128)
    print("| per-frame cost | " + " | ".join(f"{w} GPUs (h)" for w in workers) + " |")
    print("|---|" + "---|" * len(workers))
    for label, cost in costs:
        print(f"| {label} ({cost:.4g} s) | " + " | ".join(f"{estimate(cost, max(overhead, 0.0), w):.2f}"
                                                         for w in workers) + " |")


if __name__ == "__main__":
    main()
