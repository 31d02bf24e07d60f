#!/usr/bin/env python
"""Several faces edited at once, scored face by face, with the bundled model.

Clips are composed from the shared clips (2 and 3 real people side by side, SIDE px each,
lossless); `--face all --attr smile=2` edits them in one run. Each person's column of the input
and of the output is then cut out and scored as a one-face pair by `vidinvert score`'s code:
identity distance (dlib, when the identity extra is installed; below 0.6 is one person), warp
error ratio (temporal consistency against the input's own), sharpness ratio and the share of
frames whose grey smile rose. Track ids are checked against the columns (no id switch).

    python bin/measure_faces.py [--frames 60]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

from bench_faces import GAP, PEOPLE, SIDE, person, side_by_side, write
from vidinvert import api
from vidinvert.eval.face_score import score_videos


def decoded(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    models = api.load_default_models(device="cpu")
    people = [person(clip, args.frames) for clip in PEOPLE]
    print(f"{args.frames} frames, bundled model, --face all --attr smile=2, lossless")
    print(f"{'clip':<8} {'person':<16} {'track':>5} {'id median':>9} {'id worst':>8} {'warp err':>8} "
          f"{'sharp':>6} {'smile rose':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for count in (2, 3):
            composed = [side_by_side(row) for row in zip(*people[:count])]
            source = write(folder / f"faces{count}.mkv", composed)
            edited = folder / f"faces{count}_out.mkv"
            summary = api.edit_video(source, edited, attr=["smile=2"], models=models, face="all", codec="lossless",
                                     quiet=True, overwrite=True)
            columns = {int(t.segments[0].landmarks_at(t.first).centre[0] // (SIDE + GAP)): t
                       for t in summary.tracks.edited}
            switches = sum(len({int(s.landmarks_at(i).centre[0] // (SIDE + GAP)) for s in t.segments
                                for i in s.faces}) - 1 for t in summary.tracks.edited)
            outputs = decoded(edited)
            for column in range(count):
                x = column * (SIDE + GAP)
                a = write(folder / "a.mkv", [f[:, x:x + SIDE] for f in composed])
                b = write(folder / "b.mkv", [f[:, x:x + SIDE] for f in outputs])
                s = score_videos(a, b)
                track = columns.get(column)
                identity = s.identity or {}
                print(f"{count} faces  {PEOPLE[column]:<16} {track.id if track else '-':>5} "
                      f"{identity.get('median', math.nan):>9.3f} {identity.get('worst', math.nan):>8.3f} "
                      f"{s.summary['warp_error_ratio']:>8.3f} {s.summary['sharpness']:>6.3f} "
                      f"{s.summary['smile_grey_rose_share']:>10.0%}")
            print(f"{count} faces: {len(summary.tracks.edited)} tracks edited, {switches} id switches")


if __name__ == "__main__":
    main()
