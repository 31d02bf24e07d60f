#!/usr/bin/env python
"""Time the fast FFHQ crop against the step-by-step official recipe and measure how far apart they are.

    python bin/bench_align.py [--data ../shared/data] [--sizes 64 256 1024] [--faces 4] [--repeats 3]

For each output size, over real portraits and clip frames, prints the time per crop of the recipe
(4096 intermediate) and of the fast crop with each resample filter, the speed-up, and the absolute
pixel differences (0-255, max and mean). "verbatim" compares with the recipe as written; the other
columns with the recipe with its shrink-step shift of (shrink - 1) / 2 pixels compensated, which is
the geometry the fast crop keeps exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the official recipe's reference lives with the tests

from _align_reference import crop_reference  # noqa: E402
from vidinvert.face.align import RESAMPLE, crop, ffhq_quad, quad_side  # noqa: E402
from vidinvert.face.detect import MeshDetector  # noqa: E402

CLIPS = ("talk_audio.mp4", "head_d18.mp4", "face_noface.mov", "single_face.mp4")


def load_inputs(data: Path, faces: int) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB image) pairs: CelebA-HQ portraits and the first frame of each clip."""
    inputs = []
    for path in sorted((data / "faces" / "celebahq").glob("*.jpg"))[:faces]:
        inputs.append((path.name, cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)))
    for name in CLIPS:
        with av.open(str(data / "videos" / name)) as container:
            inputs.append((name, next(container.decode(video=0)).to_ndarray(format="rgb24")))
    return inputs


def timed(fn, repeats: int) -> tuple[float, np.ndarray]:
    result = fn()
    start = time.perf_counter()
    for _ in range(repeats):
        result = fn()
    return (time.perf_counter() - start) / repeats, result


def absdiff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--faces", type=int, default=4, help="how many CelebA-HQ portraits")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)

    with MeshDetector() as detector:
        cases = [(name, image, ffhq_quad(faces[0]))
                 for name, image in load_inputs(args.data, args.faces) if (faces := detector.detect(image))]
    print(f"{len(cases)} inputs, OpenCV threads {args.threads}, {args.repeats} repeats; times in ms, |d| in 0-255")
    header = f"{'size':>5} {'input':<22} {'qsize':>5} {'recipe':>7}"
    for mode in RESAMPLE:
        header += f" {mode:>7} {'x':>5} {'max|d|':>6} {'mean|d|':>7}"
    header += f" {'verbatim max/mean':>17}"
    for size in args.sizes:
        print(header)
        rows = []
        for name, image, quad in cases:
            t_ref, verbatim = timed(lambda: crop_reference(image, quad, size), args.repeats)
            shrink = int(np.floor(quad_side(quad) / size * 0.5))
            ref = crop_reference(image, quad - max(shrink - 1, 0) / 2, size)
            row = [t_ref]
            line = f"{size:>5} {name:<22} {quad_side(quad):>5.0f} {t_ref * 1e3:>7.1f}"
            for mode in RESAMPLE:
                t, (fast, _) = timed(lambda: crop(image, quad, size, resample=mode), args.repeats)
                d = absdiff(fast, ref)
                row += [t, d.max(), d.mean()]
                line += f" {t * 1e3:>7.1f} {t_ref / t:>5.0f} {d.max():>6d} {d.mean():>7.2f}"
                if mode == RESAMPLE[0]:
                    dv = absdiff(fast, verbatim)
                    verbatim_cell = f"{dv.max():>3d} / {dv.mean():.2f}"
            print(line + f" {verbatim_cell:>17}")
            rows.append(row)
        r = np.array(rows)
        line = f"{size:>5} {'ALL (mean, max)':<22} {'':>5} {r[:, 0].mean() * 1e3:>7.1f}"
        for k in range(len(RESAMPLE)):
            t, dmax, dmean = r[:, 1 + 3 * k].mean(), r[:, 2 + 3 * k].max(), r[:, 3 + 3 * k].mean()
            line += f" {t * 1e3:>7.1f} {r[:, 0].sum() / r[:, 1 + 3 * k].sum():>5.0f} {dmax:>6.0f} {dmean:>7.2f}"
        print(line + "\n")


if __name__ == "__main__":
    main()
