#!/usr/bin/env python
"""Cost of editing several faces at once against one face at a time, with the bundled model.

Clips are composed from the shared clips: 1, 2 and 3 real people side by side (each SIDE px),
lossless. For k people, `vidinvert edit --face all --attr smile=2` runs once on the k-face clip,
and the single-face run once on each person's clip alone; the table prints frames/s, milliseconds
per face and frame, and the ratio of the k-face run's per-face cost to the mean single-face cost
(goal at 3 faces: <= 0.9). Every number of a table comes from the same run of this script.

    python bin/bench_faces.py [--frames 40] [--threads 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

from vidinvert import api

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
PEOPLE = ("head_d18.mp4", "head_d19.mp4", "talk_audio.mp4")
SIDE = 224
GAP = 16


def person(clip: str, count: int) -> list[np.ndarray]:
    out = []
    with av.open(str(DATA / clip)) as container:
        for frame in container.decode(video=0):
            out.append(cv2.resize(frame.to_ndarray(format="rgb24"), (SIDE, SIDE), interpolation=cv2.INTER_AREA))
            if len(out) == count:
                break
    return out


def write(path: Path, images: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = images[0].shape[1], images[0].shape[0], "bgr0"
        for image in images:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def side_by_side(frames: tuple[np.ndarray, ...]) -> np.ndarray:
    """One frame of several people's frames, GAP grey columns between them."""
    gap = np.full((SIDE, GAP, 3), 90, np.uint8)
    return np.concatenate(sum(([f, gap] for f in frames), [])[:-1], 1)


def timed(source: Path, out: Path, models, threads: int, **options) -> tuple[float, api.RunSummary]:
    started = time.perf_counter()
    summary = api.edit_video(source, out, attr=["smile=2"], models=models, codec="lossless", quiet=True,
                             overwrite=True, threads=threads, **options)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    models = api.load_default_models(device="cpu")
    people = [person(clip, args.frames) for clip in PEOPLE]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timed(write(folder / "warm.mkv", people[0][:4]), folder / "out.mkv", models, args.threads)  # first-run costs
        alone = []
        for k, frames in enumerate(people):
            seconds, summary = timed(write(folder / f"alone{k}.mkv", frames), folder / "out.mkv", models, args.threads)
            alone.append(1000 * seconds / summary.frames)
        print(f"{args.frames} frames, bundled model, --attr smile=2, lossless; whole runs (tracking pass, "
              "per-clip expression solve, encode)")
        print("single-face runs: " + ", ".join(f"{clip} {ms:.0f} ms/frame" for clip, ms in zip(PEOPLE, alone)))
        print(f"{'faces':>5}  {'frames/s':>8}  {'ms/face':>7}  {'vs single':>9}  tracks")
        for count in (1, 2, 3):
            composed = [side_by_side(row) for row in zip(*people[:count])]
            seconds, summary = timed(write(folder / f"faces{count}.mkv", composed), folder / "out.mkv", models,
                                     args.threads, face="all")
            per_face = 1000 * seconds / summary.frames / count
            single = float(np.mean(alone[:count]))
            print(f"{count:>5}  {summary.frames / seconds:>8.2f}  {per_face:>7.0f}  {per_face / single:>9.2f}  "
                  f"{len(summary.tracks.edited)}")


if __name__ == "__main__":
    main()
