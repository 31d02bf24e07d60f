#!/usr/bin/env python
"""Time a slider move of `vidinvert preview` on a 720p frame against the straightforward way, a
whole single-frame edit run.

    python bin/bench_preview.py [--moves 20] [--attr smile_labels] [--render warp] [--frames 12]

Makes a 1280x720 clip (the bundled model's demo clip, upscaled onto a grey frame), opens it as the
preview does (tracking and inversion cached once), then moves one direction's slider `--moves`
times and prints the median and largest time per re-rendered frame; then times `edit_video` on
one frame of the same clip (`--frames K:K+1`, models already loaded) a few times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidinvert.api import edit_video  # noqa: E402
from vidinvert.config import RunConfig  # noqa: E402
from vidinvert.demo.clip import render_demo_clip  # noqa: E402
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE  # noqa: E402
from vidinvert.loading import load_models  # noqa: E402
from vidinvert.preview.edits import PreviewEdits  # noqa: E402
from vidinvert.preview.server import jpeg  # noqa: E402
from vidinvert.preview.session import PreviewSession  # noqa: E402

WIDTH, HEIGHT, FPS = 1280, 720, 10


def hd_clip(G, folder: Path, frames: int) -> Path:
    square = render_demo_clip(G, folder / "square.mp4", seconds=frames / FPS, fps=FPS, size=256)
    path = folder / "hd.mp4"
    with av.open(str(square)) as source, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for frame in source.decode(video=0):
            canvas = np.full((HEIGHT, WIDTH, 3), 150, np.uint8)
            left = (WIDTH - HEIGHT) // 2
            canvas[:, left:left + HEIGHT] = cv2.resize(frame.to_ndarray(format="rgb24"), (HEIGHT, HEIGHT),
                                                       interpolation=cv2.INTER_CUBIC)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")))
        out.mux(stream.encode())
    return path


def milliseconds(times: list[float]) -> str:
    return f"median {1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms over {len(times)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--attr", default="smile_labels")
    parser.add_argument("--render", default="warp")
    parser.add_argument("--frames", type=int, default=12, help="frames of the clip")
    parser.add_argument("--runs", type=int, default=3, help="single-frame edit runs timed")
    args = parser.parse_args()
    models = load_models(GENERATOR_FILE, ENCODER_FILE, device="cpu")
    config = RunConfig().with_options(generator=GENERATOR_FILE, encoder=ENCODER_FILE, device="cpu", quiet=True)
    with tempfile.TemporaryDirectory() as folder:
        clip = hd_clip(models.G, Path(folder), args.frames)
        started = time.perf_counter()
        session = PreviewSession(clip, config, models)
        session.face_frames(session.track_ids[0])
        print(f"{clip.name} {WIDTH}x{HEIGHT}, {len(session.records)} frames: opened, tracked and inverted once in "
              f"{time.perf_counter() - started:.1f} s")
        index = len(session.records) // 2
        session.render(PreviewEdits(0, {args.attr: 0.5}, render=args.render), index)  # builds the chain once
        moves = []
        for k in range(args.moves):
            strength = 0.5 + 2.5 * (k + 1) / args.moves
            started = time.perf_counter()
            image, _ = session.render(PreviewEdits(0, {args.attr: strength}, render=args.render), index)
            jpeg(image)
            moves.append(time.perf_counter() - started)
        print(f"slider move (--attr {args.attr}, --render {args.render}, frame {index}, JPEG included): "
              f"{milliseconds(moves)}")
        runs = []
        for k in range(args.runs):
            started = time.perf_counter()
            edit_video(clip, Path(folder) / f"one{k}.mp4", config, models=models, attr=[f"{args.attr}=2"],
                       render=args.render, frames=f"{index}:{index + 1}")
            runs.append(time.perf_counter() - started)
        print(f"single-frame edit run (edit_video --frames {index}:{index + 1}, models loaded): {milliseconds(runs)}")
        print(f"speed-up: {statistics.median(runs) / statistics.median(moves):.1f}x")


if __name__ == "__main__":
    main()
