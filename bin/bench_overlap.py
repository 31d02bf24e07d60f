#!/usr/bin/env python
"""Overlapped stages against `--serial`: frames/s of `vidinvert edit` and the ceiling of the stages
around the models, on the CPU.

1. End to end: `edit_video(clip, attr=["smile"])` with the bundled demo model on the shared clips,
   once with `serial=True` and once overlapped (the default), alternating, for each torch thread
   count in `--threads`; each row gives both rates and their ratio, measured in the same run.
2. Ceiling: the same chain with the model stage replaced by the identity (the aligned crop comes back
   as the face and is pasted in), so only decode, landmarks + tracking, crop smoothing, alignment,
   compositing and encoding (x264 medium) run; on `--ceiling-clip` scaled to 480p, 720p and 1080p
   (written to a temporary folder), serial, overlapped, and overlapped with compositing spread over
   two threads (`ordered_map`).
3. Landmarks: face-mesh tracking on one thread against per-frame detection (frames independent) on
   one and two threads: whether several landmark workers pay on this CPU.

Every run also reports each stage's busy time (`vidinvert.stage_timing`), naming the slowest.

    python bin/bench_overlap.py [--threads 1,2] [--repeats 2] [--clips talk_audio.mp4 head_d18.mp4]
                                [--ceiling-frames 60] [--no-end-to-end] [--no-ceiling] [--no-landmarks]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import torch  # noqa: E402

from vidinvert.api import edit_video, load_default_models  # noqa: E402
from vidinvert.concurrency import ordered_map  # noqa: E402
from vidinvert.face.detect import make_detector  # noqa: E402
from vidinvert.face.track import FaceTracker  # noqa: E402
from vidinvert.invert import InversionResult, SequenceFrame  # noqa: E402
from vidinvert.config import RunConfig  # noqa: E402
from vidinvert.pipeline.build import Pipeline  # noqa: E402
from vidinvert.pipeline.composite_stage import composite_frames  # noqa: E402
from vidinvert.pipeline.render_stage import Renderer  # noqa: E402
from vidinvert.stage_timing import StageTimes  # noqa: E402
from vidinvert.video import open_video, transcode  # noqa: E402

VIDEOS = ROOT.parent / "shared" / "data" / "videos"
SIZES = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}


def slowest(times: StageTimes) -> str:
    stage = times.slowest()
    return f"{stage.name} {stage.ms_per_item:.1f}" if stage else "-"


def stage_cells(times: StageTimes, names: list[str]) -> str:
    return " | ".join(f"{times.stages[n].ms_per_item:.1f}" if n in times.stages else "-" for n in names)


def edit_once(clip: Path, out: Path, models, serial: bool, threads: int) -> tuple[float, int, StageTimes, str]:
    start = time.perf_counter()
    summary = edit_video(clip, out, attr=["smile"], models=models, overwrite=True, quiet=True, serial=serial,
                         threads=threads)
    return time.perf_counter() - start, summary.frames, summary.stage_times, summary.line()


def end_to_end(clips: list[Path], threads: list[int], repeats: int, folder: Path) -> None:
    models = load_default_models(device="cpu")
    G, E = models
    print(f"\n## End to end: bundled demo model ({G.size} px generator, {E.kind} encoder at {E.input_size} px), "
          f"`--attr smile`, h264 medium\n")
    edit_once(clips[0], folder / "warmup.mp4", models, serial=False, threads=threads[0])
    names = ["decode", "landmarks", "crop smoothing", "align", "inversion", "edit", "render", "composite", "encode"]
    print("| clip | torch threads | repeat | serial frames/s | overlapped frames/s | ratio | slowest stage "
          "serial / overlapped (ms/frame) |")
    print("|---|---|---|---|---|---|---|")
    stage_rows = []
    example = ""
    for clip in clips:
        for n in threads:
            for repeat in range(1, repeats + 1):
                serial_s, frames, serial_times, _ = edit_once(clip, folder / "serial.mp4", models, True, n)
                overlap_s, _, overlap_times, example = edit_once(clip, folder / "overlapped.mp4", models, False, n)
                print(f"| {clip.name} | {n} | {repeat} | {frames / serial_s:.2f} | {frames / overlap_s:.2f} | "
                      f"{serial_s / overlap_s:.2f} | {slowest(serial_times)} / {slowest(overlap_times)} |", flush=True)
                stage_rows.append((clip.name, n, repeat, serial_times, overlap_times))
    print("\nBusy ms/frame of each stage (serial / overlapped; in an overlapped run a stage's busy time also "
          "holds its waits for a core or the GIL):\n")
    print(f"| clip | threads | repeat | mode | {' | '.join(names)} |")
    print(f"|---|---|---|---|{'---|' * len(names)}")
    for name, n, repeat, serial_times, overlap_times in stage_rows:
        print(f"| {name} | {n} | {repeat} | serial | {stage_cells(serial_times, names)} |")
        print(f"| {name} | {n} | {repeat} | overlapped | {stage_cells(overlap_times, names)} |")
    print(f"\nsummary line of the last overlapped run: {example}")


def scaled_clip(source: Path, size: tuple[int, int], frames: int, out: Path) -> Path:
    """The first `frames` frames of `source` resized to `size` (H.264 CRF 18, veryfast), same timing."""
    with av.open(str(source)) as src, av.open(str(out), "w") as dst:
        stream = src.streams.video[0]
        enc = dst.add_stream("libx264", rate=stream.average_rate, options={"crf": "18", "preset": "veryfast"})
        enc.width, enc.height, enc.pix_fmt, enc.time_base = size[0], size[1], "yuv420p", stream.time_base
        for i, frame in enumerate(src.decode(stream)):
            if i == frames:
                break
            resized = frame.reformat(width=size[0], height=size[1], format="yuv420p")
            resized.pts, resized.time_base = frame.pts, frame.time_base
            dst.mux(enc.encode(resized))
        dst.mux(enc.encode(None))
    return out


class IdentityInverter:
    """Stands in for the model stage: the aligned crop comes back as the reconstruction, never cold."""

    def reset(self) -> None:
        pass

    def step(self, x: torch.Tensor) -> SequenceFrame:
        no = torch.zeros(1, dtype=torch.bool)
        return SequenceFrame(InversionResult(torch.zeros(1, 1, 1), None, x), no, no, torch.zeros(1))


def composite_on(workers: int):
    """`composite_frames` itself, one frame per call, on `workers` threads (frames are independent)."""
    if workers <= 1:
        return composite_frames
    return lambda faces: ordered_map(lambda item: next(composite_frames([item])), faces, workers)


class CropSize:
    """Stands in for the encoder where only the crop size matters."""

    feature_index = None

    def __init__(self, input_size: int) -> None:
        self.input_size = input_size


def ceiling_once(clip: Path, out: Path, serial: bool, crop: int,
                 composite_workers: int = 1) -> tuple[float, int, StageTimes]:
    times = StageTimes()
    detector = make_detector("mediapipe", video=True)

    config = RunConfig.from_options(serial=serial)
    pipeline = Pipeline(None, CropSize(crop), config, torch.device("cpu"), detector, FaceTracker(detector),
                        IdentityInverter(), Renderer(None, None), None,
                        observe=lambda name, items: items if name == "decode" else times.observe(name, items))

    def process(records):
        faces = pipeline.faces(records)
        return times.observe("composite", composite_on(composite_workers)(faces))

    try:
        start = time.perf_counter()
        result = transcode(clip, out, process, overwrite=True, serial=serial, stage_times=times)
        return time.perf_counter() - start, result.frames, times
    finally:
        detector.close()


def ceiling(source: Path, frames: int, repeats: int, crop: int, folder: Path) -> None:
    print(f"\n## Ceiling: the stages around the models (model stage = identity, {crop} px crops pasted back), "
          f"{source.name} scaled, first {frames} frames, h264 medium, torch threads {torch.get_num_threads()}\n")
    names = ["decode", "landmarks", "crop smoothing", "align", "inversion", "render", "composite", "encode"]
    print("| input | repeat | serial frames/s | overlapped frames/s | ratio | overlapped, composite on 2 threads "
          "frames/s | ratio | slowest stage serial / overlapped (ms/frame) |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for label, size in SIZES.items():
        clip = scaled_clip(source, size, frames, folder / f"{label}.mp4")
        ceiling_once(clip, folder / "warmup.mp4", serial=True, crop=crop)
        for repeat in range(1, repeats + 1):
            serial_s, count, serial_times = ceiling_once(clip, folder / "serial.mp4", True, crop)
            overlap_s, _, overlap_times = ceiling_once(clip, folder / "overlapped.mp4", False, crop)
            spread_s, _, _ = ceiling_once(clip, folder / "spread.mp4", False, crop, composite_workers=2)
            print(f"| {label} {size[0]}x{size[1]} | {repeat} | {count / serial_s:.2f} | {count / overlap_s:.2f} | "
                  f"{serial_s / overlap_s:.2f} | {count / spread_s:.2f} | {serial_s / spread_s:.2f} | "
                  f"{slowest(serial_times)} / {slowest(overlap_times)} |", flush=True)
            rows.append((label, repeat, serial_times, overlap_times))
    print("\nBusy ms/frame of each stage (inversion and render = the identity and its uint8 conversion):\n")
    print(f"| input | repeat | mode | {' | '.join(names)} |")
    print(f"|---|---|---|{'---|' * len(names)}")
    for label, repeat, serial_times, overlap_times in rows:
        print(f"| {label} | {repeat} | serial | {stage_cells(serial_times, names)} |")
        print(f"| {label} | {repeat} | overlapped | {stage_cells(overlap_times, names)} |")


def landmark_workers(source: Path, frames: int, repeats: int) -> None:
    """Face-mesh landmarks of the first `frames` frames: the tracking (video) mode on one thread,
    against detection on every frame (static mode, frames independent) on one and on two threads,
    each thread with its own detector."""
    with open_video(source, frames=f"0:{frames}") as video:
        images = [record.image for record in video]
    print(f"\n## Landmarks: {source.name}, {len(images)} frames\n")
    print("| repeat | video mode, 1 thread frames/s | static, 1 thread | static, 2 threads | 2 threads / 1 |")
    print("|---|---|---|---|---|")

    def rate(detect, items) -> float:
        start = time.perf_counter()
        for _ in detect(items):
            pass
        return len(images) / (time.perf_counter() - start)

    for repeat in range(1, repeats + 1):
        with make_detector("mediapipe", video=True) as tracking:
            video_rate = rate(lambda items: map(tracking.detect, items), images)
        local = threading.local()
        made = []

        def detect_static(image):
            if not hasattr(local, "detector"):
                local.detector = make_detector("mediapipe", video=False)
                made.append(local.detector)
            return local.detector.detect(image)

        rates = []
        for workers in (1, 2):
            for image in images[:workers * 2]:  # graphs built before timing
                detect_static(image)
            rates.append(rate(lambda items: ordered_map(detect_static, items, workers), images))
        for detector in made:
            detector.close()
        print(f"| {repeat} | {video_rate:.1f} | {rates[0]:.1f} | {rates[1]:.1f} | {rates[1] / rates[0]:.2f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["talk_audio.mp4", "head_d18.mp4"])
    parser.add_argument("--threads", default="1,2", help="torch thread counts to compare, comma-separated")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--ceiling-clip", default="single_face.mp4")
    parser.add_argument("--ceiling-frames", type=int, default=60)
    parser.add_argument("--ceiling-threads", type=int, default=1)
    parser.add_argument("--crop", type=int, default=256, help="aligned crop size in the ceiling runs")
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--no-landmarks", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, CPU, default threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.no_end_to_end:
            end_to_end([VIDEOS / c for c in args.clips], [int(n) for n in args.threads.split(",")], args.repeats,
                       folder)
        if not args.no_ceiling:
            torch.set_num_threads(args.ceiling_threads)
            ceiling(VIDEOS / args.ceiling_clip, args.ceiling_frames, args.repeats, args.crop, folder)
        if not args.no_landmarks:
            landmark_workers(VIDEOS / args.clips[0], args.ceiling_frames, args.repeats)


if __name__ == "__main__":
    main()
