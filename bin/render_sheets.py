#!/usr/bin/env python
"""Contact sheets of an edit at several strengths on real clips, to look at: per clip, for each of
two frames, the input's face and the output's at each strength, and below them the mouths.

    python bin/render_sheets.py -o docs/sheets [--clips talk_audio.mp4 ...] [--attr smile]
                                [--strengths 1 2 4] [--frames 10,40] [--tile 160]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vidinvert.api import edit_video, load_default_models
from vidinvert.face import mesh_indices as mi
from vidinvert.face.detect import MeshDetector
from vidinvert.video import open_video

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
CLIPS = ("talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "single_face.mp4", "face_noface.mov")


def frames_at(path: Path, indices: list[int]) -> dict[int, np.ndarray]:
    found: dict[int, np.ndarray] = {}
    with open_video(path, frames=f"0:{max(indices) + 1}") as video:
        for record in video:
            if record.index in indices:
                found[record.index] = record.image
    return found


def _cut(image: np.ndarray, centre: np.ndarray, half: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    (x0, y0), (x1, y1) = np.maximum(centre - half, 0).astype(int), (centre + half).astype(int)
    return np.asarray(Image.fromarray(image[y0:y1, x0:x1]).resize(size, Image.LANCZOS))


def sheet(source: Path, outputs: list[Path], indices: list[int], tile: int) -> np.ndarray | None:
    inputs = frames_at(source, indices)
    edited = [frames_at(path, indices) for path in outputs]
    rows = []
    with MeshDetector() as mesh:
        for index in indices:
            faces = mesh.detect(inputs[index])
            if not faces:
                continue
            points = faces[0].points[:, :2]
            face_half = np.array([faces[0].size * 0.7] * 2)
            mouth = points[list(mi.LIPS_OUTER)]
            mouth_centre = mouth.mean(axis=0)
            mouth_half = np.array([0.8, 0.5]) * (mouth[:, 0].max() - mouth[:, 0].min())
            images = [inputs[index]] + [e[index] for e in edited]
            rows.append(np.hstack([_cut(im, faces[0].centre, face_half, (tile, tile)) for im in images]))
            rows.append(np.hstack([_cut(im, mouth_centre, mouth_half, (tile, tile * 5 // 8)) for im in images]))
    return np.vstack(rows) if rows else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--attr", default="smile")
    parser.add_argument("--strengths", nargs="+", default=["1", "2", "4"])
    parser.add_argument("--frames", default="10,40")
    parser.add_argument("--tile", type=int, default=160)
    args = parser.parse_args()
    torch.set_num_threads(2)
    models = load_default_models("cpu")
    indices = [int(i) for i in args.frames.split(",")]
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            outputs = []
            for strength in args.strengths:
                out = Path(tmp) / f"{Path(clip).stem}_{strength}.mkv"
                edit_video(DATA / clip, out, attr=[f"{args.attr}={strength}"], frames=f"0:{max(indices) + 1}",
                           codec="lossless", models=models, quiet=True, overwrite=True)
                outputs.append(out)
            picture = sheet(DATA / clip, outputs, indices, args.tile)
            if picture is not None:
                target = args.output / f"{args.attr}_{Path(clip).stem}.png"
                Image.fromarray(picture).save(target)
                print(target)


if __name__ == "__main__":
    main()
