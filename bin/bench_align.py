"""Time the fast FFHQ crop against the step-by-step official recipe and measure how far apart they are.

    python bin/bench_align.py [--data ../shared/data] [--sizes 64 256 1024] [--faces 6] [--repeats 3]

For each output size, over real portraits and clip frames, prints the mean time per crop of both,
their ratio, and the pixel differences (max and mean absolute, 0-255) against the recipe taken
verbatim and against the recipe with its shrink-step half-pixel shift compensated.
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import islice
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidinvert.face.align import crop, ffhq_quad, quad_side  # noqa: E402
from vidinvert.face.align_reference import crop_reference  # noqa: E402
from vidinvert.face.detect import MeshDetector  # noqa: E402

CLIPS = ("talk_audio.mp4", "head_d18.mp4", "face_noface.mov", "single_face.mp4")


def load_inputs(data: Path, faces: int) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB image) pairs: CelebA-HQ portraits and the first frame of each clip."""
    inputs = []
    for path in sorted((data / "faces" / "celebahq").glob("*.jpg"))[:faces]:
        inputs.append((path.name, cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)))
    for name in CLIPS:
        with av.open(str(data / "videos" / name)) as container:
            frame = next(islice(container.decode(video=0), 0, None))
            inputs.append((name, frame.to_ndarray(format="rgb24")))
    return inputs


def timed(fn, repeats: int) -> tuple[float, object]:
    result = fn()
    start = time.perf_counter()
    for _ in range(repeats):
        result = fn()
    return (time.perf_counter() - start) / repeats, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--faces", type=int, default=6, help="how many CelebA-HQ portraits")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)

    with MeshDetector() as detector:
        cases = []
        for name, image in load_inputs(args.data, args.faces):
            faces = detector.detect(image)
            if faces:
                cases.append((name, image, ffhq_quad(faces[0])))
    print(f"{len(cases)} inputs, OpenCV threads {args.threads}, {args.repeats} repeats")
    header = (f"{'size':>5} {'input':<24} {'qsize':>6} {'fast ms':>8} {'recipe ms':>9} {'speedup':>7} "
              f"{'max|d|':>6} {'mean|d|':>7} {'max|d| c':>8} {'mean|d| c':>9}")
    for size in args.sizes:
        print(header)
        totals = np.zeros(2)
        worst, means, means_c = 0, [], []
        for name, image, quad in cases:
            t_fast, (fast, _) = timed(lambda: crop(image, quad, size), args.repeats)
            t_ref, ref = timed(lambda: crop_reference(image, quad, size), args.repeats)
            shrink = int(np.floor(quad_side(quad) / size * 0.5))
            ref_c = crop_reference(image, quad - max(shrink - 1, 0) / 2, size)
            d = np.abs(fast.astype(int) - ref.astype(int))
            dc = np.abs(fast.astype(int) - ref_c.astype(int))
            totals += (t_fast, t_ref)
            worst = max(worst, int(d.max()))
            means.append(d.mean())
            means_c.append(dc.mean())
            print(f"{size:>5} {name:<24} {quad_side(quad):>6.0f} {t_fast * 1e3:>8.1f} {t_ref * 1e3:>9.1f} "
                  f"{t_ref / t_fast:>7.1f} {d.max():>6d} {d.mean():>7.2f} {dc.max():>8d} {dc.mean():>9.2f}")
        print(f"{size:>5} {'ALL':<24} {'':>6} {totals[0] / len(cases) * 1e3:>8.1f} "
              f"{totals[1] / len(cases) * 1e3:>9.1f} {totals[1] / totals[0]:>7.1f} {worst:>6d} "
              f"{np.mean(means):>7.2f} {'':>8} {np.mean(means_c):>9.2f}\n")


if __name__ == "__main__":
    main()
