#!/usr/bin/env python
"""Frames/s of every pipeline stage of `vidinvert edit` on a shared clip, on the CPU.

The stages of one real `edit_video` run (`serial=True`: the timers below subtract the upstream
stages' time, which holds only on one thread; bin/bench_overlap.py times overlapped runs) are wrapped
with timers through its stage hook (the stages themselves are unchanged): decode, landmarks + tracking, crop smoothing, align, inversion, edit,
render, composite; encode is the rest of the transcode (encoding, muxing, the encoder's flush).
A stage's time excludes the stages it pulls from. Each table row gives frames/s, ms/frame and the
share of the run's time.

Models: tiny random models in the official layouts (the test suite's: a 32 px generator and a
ReStyle ResNet34 encoder at 64 px), and with `--real` a 256 px config-f generator with the
vidinvert encoder at 256 px input on a few frames (random weights: only the cost is meaningful).
Ratios against the straightforward way: warm-started inversion (`--steps` on cold frames,
`--next-steps` after) against every frame cold; batched rendering against one frame at a time.

    python bin/bench_pipeline.py [--clip PATH] [--frames 24] [--threads 1] [--real] [--real-frames 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np
import torch

from bench_models import real_models, tiny_models
from vidinvert.api import edit_video

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "talk_audio.mp4"


def first_frames(clip: Path, count: int, out: Path) -> Path:
    """The first `count` frames of `clip`'s video re-encoded as H.264 (CRF 18, medium), same size and timing."""
    with av.open(str(clip)) as src, av.open(str(out), "w") as dst:
        stream = src.streams.video[0]
        enc = dst.add_stream("libx264", rate=stream.average_rate, options={"crf": "18", "preset": "medium"})
        enc.width, enc.height, enc.pix_fmt, enc.time_base = stream.width, stream.height, "yuv420p", stream.time_base
        for i, frame in enumerate(src.decode(stream)):
            if i == count:
                break
            frame.pict_type = av.video.frame.PictureType.NONE
            dst.mux(enc.encode(frame))
        dst.mux(enc.encode(None))
    return out


class StageTimer:
    """Times the stages of one run through `edit_video(observe=timer.wrap)`.

    Each stage's output iterator is wrapped; a stage's own time per item is the time spent in its
    `next()` minus the time its upstream stage spent meanwhile (stages pull from one another).
    """

    def __init__(self) -> None:
        self.order: list[str] = []
        self.upstream: dict[str, str | None] = {}
        self.inclusive: dict[str, float] = defaultdict(float)
        self.items: dict[str, list[tuple[object, float]]] = defaultdict(list)
        self.started: float | None = None

    def wrap(self, name: str, items: Iterator) -> Iterator:
        self.upstream[name] = self.order[-1] if self.order else None
        self.order.append(name)
        return self._timed(name, items)

    def _timed(self, name: str, items: Iterable) -> Iterator:
        iterator = iter(items)
        upstream = self.upstream[name]
        while True:
            start = time.perf_counter()
            if self.started is None:
                self.started = start
            before = self.inclusive[upstream] if upstream else 0.0
            try:
                item = next(iterator)
            except StopIteration:
                self.inclusive[name] += time.perf_counter() - start
                return
            spent = time.perf_counter() - start
            self.inclusive[name] += spent
            pulled = (self.inclusive[upstream] - before) if upstream else 0.0
            self.items[name].append((item, spent - pulled))
            yield item

    def own(self, name: str) -> float:
        upstream = self.upstream[name]
        return self.inclusive[name] - (self.inclusive[upstream] if upstream else 0.0)


def run(clip: Path, out: Path, models, direction: Path, **options) -> tuple[StageTimer, float, int]:
    """One timed edit of `clip`: the timer, the transcode's wall seconds and the frames written."""
    timer = StageTimer()
    summary = edit_video(clip, out, direction=[direction], strength="1", models=models, device="cpu",
                         overwrite=True, quiet=True, serial=True, observe=timer.wrap, **options)
    return timer, time.perf_counter() - timer.started, summary.frames


def stage_rows(timer: StageTimer, total: float, frames: int) -> list[tuple[str, int, float]]:
    """(stage, frames through it, seconds of its own) for every stage, encode last."""
    rows = [(name, len(timer.items[name]), timer.own(name)) for name in timer.order]
    rows.append(("encode (+ mux, flush)", frames, total - timer.inclusive[timer.order[-1]]))
    return rows


def print_table(title: str, rows: list[tuple[str, int, float]], total: float) -> None:
    print(f"\n{title}\n\n| stage | frames | frames/s | ms/frame | share |\n|---|---|---|---|---|")
    for name, count, seconds in rows:
        fps = count / seconds if seconds > 0 else float("inf")
        print(f"| {name} | {count} | {fps:.2f} | {1000 * seconds / max(count, 1):.1f} | {seconds / total:.1%} |")
    frames = rows[-1][1]
    print(f"| whole run | {frames} | {frames / total:.2f} | {1000 * total / frames:.1f} | 100% |")


def inversion_split(timer: StageTimer) -> tuple[list[float], list[float]]:
    """Own seconds of the inversion stage on cold-started and on warm-started face frames."""
    cold = [t for frame, t in timer.items["inversion"] if frame.has_face and frame.cold]
    warm = [t for frame, t in timer.items["inversion"] if frame.has_face and not frame.cold]
    return cold, warm


def fps_of(timer: StageTimer, name: str) -> float:
    return len(timer.items[name]) / timer.own(name)


def compare(label: str, ours: float, straightforward: float, unit: str = "frames/s") -> None:
    print(f"{label}: {ours:.2f} vs {straightforward:.2f} {unit}, ratio {ours / straightforward:.2f}")


def bench_tiny(clip: Path, folder: Path, count: int, batch_size: int, steps: int, next_steps: int) -> None:
    G, E, direction = tiny_models(folder)
    full = clip
    clip = first_frames(full, count, folder / f"first{count}.mp4")
    common = dict(steps=steps, next_steps=next_steps)
    edit_video(clip, folder / "warmup.mp4", direction=[direction], strength="1", models=(G, E), device="cpu",
               frames="0:1", quiet=True)
    timer, total, frames = run(clip, folder / "out.mp4", (G, E), direction, batch_size=batch_size, **common)
    print_table(f"tiny models ({G.size} px generator, {E.kind} encoder at {E.input_size} px), first {frames} "
                f"frames of {full.name} (re-encoded H.264 CRF 18, no audio), "
                f"--steps {steps} --next-steps {next_steps} --batch-size {batch_size}",
                stage_rows(timer, total, frames), total)
    cold_timer, _, _ = run(clip, folder / "cold.mp4", (G, E), direction, batch_size=batch_size,
                           warm_start=False, **common)
    one_timer, _, _ = run(clip, folder / "one.mp4", (G, E), direction, batch_size=1, **common)
    print("\nagainst the straightforward way (same frames, same models):")
    compare(f"inversion, warm-started ({next_steps} steps after a cold {steps}) vs every frame cold ({steps} steps)",
            fps_of(timer, "inversion"), fps_of(cold_timer, "inversion"))
    compare(f"edit + render, batches of {batch_size} vs one frame at a time",
            frames / (timer.own("edit") + timer.own("render")),
            frames / (one_timer.own("edit") + one_timer.own("render")))


def bench_real(clip: Path, folder: Path, size: int, count: int, batch_size: int, steps: int,
               next_steps: int) -> None:
    G, E, direction = real_models(folder, size)
    common = dict(steps=steps, next_steps=next_steps, frames=f"0:{count}")
    timer, total, frames = run(clip, folder / "real.mp4", (G, E), direction, batch_size=batch_size, **common)
    rows = [row for row in stage_rows(timer, total, frames) if row[0] not in ("decode", "encode (+ mux, flush)")]
    print_table(f"{size} px config-f generator, vidinvert encoder at {E.input_size} px (random weights), "
                f"first {count} frames of {clip.name}, --steps {steps} --next-steps {next_steps} "
                f"--batch-size {batch_size} (decode and encode of the clip's other frames left out)",
                rows, sum(seconds for _, _, seconds in rows))
    cold, warm = inversion_split(timer)
    print(f"\ninversion per frame: cold ({steps} steps) {np.mean(cold):.2f} s over {len(cold)} frame(s), "
          f"warm ({next_steps} steps) {np.mean(warm):.2f} s over {len(warm)} frame(s), "
          f"ratio {np.mean(cold) / np.mean(warm):.2f}")
    one_timer, _, _ = run(clip, folder / "real_one.mp4", (G, E), direction, batch_size=1, **common)
    compare(f"edit + render, batches of {batch_size} vs one frame at a time",
            frames_with_face(timer) / (timer.own("edit") + timer.own("render")),
            frames_with_face(one_timer) / (one_timer.own("edit") + one_timer.own("render")))


def frames_with_face(timer: StageTimer) -> int:
    return sum(frame.has_face for frame, _ in timer.items["inversion"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--frames", type=int, default=24, help="frames of the clip for the tiny-model runs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--next-steps", type=int, default=2)
    parser.add_argument("--no-tiny", action="store_true", help="skip the tiny-model runs")
    parser.add_argument("--real", action="store_true", help="also time real-size random models on a few frames")
    parser.add_argument("--real-size", type=int, default=256)
    parser.add_argument("--real-frames", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_tiny:
            bench_tiny(args.clip, folder, args.frames, args.batch_size, args.steps, args.next_steps)
        if args.real:
            bench_real(args.clip, folder, args.real_size, args.real_frames, args.batch_size, args.steps,
                       args.next_steps)


if __name__ == "__main__":
    main()
