#!/usr/bin/env python
"""Temporal filters on real face motion: jitter removed against motion kept, per filter.

The per-frame signal is the face mesh of real clips (468 points, centred on the eyes and divided
by the inter-ocular distance, so identity-free and scale-free); it carries both real motion (speech,
head turns) and the frame-to-frame jitter of per-frame estimation, as inverted latents do. For each
filter it prints: the mean frame-to-frame change and its ratio to the raw signal's (jitter, lower
is steadier), the share of the mouth-opening amplitude kept (speech motion, higher keeps more) and
the lag in frames of the mouth-opening signal.

    python bin/measure_smoothing.py [--clips talk_audio.mp4 head_d18.mp4] [--frames 135]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np

from vidinvert.face.expression import FaceMeshScorer, landmark_scores
from vidinvert.temporal import parse_filter

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"
FILTERS = ("none", "gaussian:1", "gaussian:2", "gaussian:3", "ema:0.5", "ema:0.3", "one-euro:1.0:beta=0.5",
           "one-euro:0.5:beta=2")


def mesh_track(path: Path, frames: int) -> tuple[list[np.ndarray], float]:
    scorer = FaceMeshScorer()
    track = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        for i, frame in enumerate(container.decode(stream)):
            if i >= frames:
                break
            points = scorer.landmarks(frame.to_ndarray(format="rgb24"))
            if points is None:
                track.append(None)
                continue
            p = points[:, :2]
            eyes = (p[33] + p[133] + p[263] + p[362]) / 4
            iod = np.linalg.norm((p[263] + p[362]) / 2 - (p[33] + p[133]) / 2)
            track.append((p - eyes) / iod)
    scorer.close()
    return track, fps


def lag(reference: np.ndarray, signal: np.ndarray, max_lag: int = 10) -> int:
    a, b = reference - reference.mean(), signal - signal.mean()
    scores = [np.dot(a[: len(a) - k], b[k:]) for k in range(max_lag + 1)]
    return int(np.argmax(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["talk_audio.mp4", "head_d18.mp4"])
    parser.add_argument("--frames", type=int, default=135)
    args = parser.parse_args()
    for clip in args.clips:
        track, fps = mesh_track(DATA / clip, args.frames)
        track = [t for t in track if t is not None]
        raw = np.stack(track)
        mouth_raw = np.array([landmark_scores(p * 100)["mouth_open"] for p in raw])
        print(f"\n{clip}: {len(track)} frames with a face, {fps:.2f} fps")
        print(f"{'filter':24s} {'jitter':>8s} {'ratio':>6s} {'mouth amp':>9s} {'lag':>4s}")
        for spec in FILTERS:
            out = np.stack(list(parse_filter(spec, fps=fps)(iter(track))))
            jitter = np.linalg.norm(np.diff(out, axis=0), axis=-1).mean()
            raw_jitter = np.linalg.norm(np.diff(raw, axis=0), axis=-1).mean()
            mouth = np.array([landmark_scores(p * 100)["mouth_open"] for p in out])
            print(f"{spec:24s} {jitter:8.4f} {jitter / raw_jitter:6.2f} "
                  f"{mouth.std() / mouth_raw.std():9.2f} {lag(mouth_raw, mouth):4d}")


if __name__ == "__main__":
    main()
