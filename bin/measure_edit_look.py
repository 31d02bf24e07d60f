#!/usr/bin/env python
"""What a viewer sees of an edit, measured on real clips with the bundled model: colour cast, seams,
expression scores on grey frames, the kept targets, keyframes at strength 0, and the cost.

For every clip and every `--attr` value, the edit is made at default settings (lossless, the first
`--frames`), once with this checkout's code and, with `--baseline REV`, once with the code of REV
(a temporary git worktree, run in a subprocess), and both are scored with `vidinvert score`.
A keyframed run (`--strength 0s:0,1s:2,2s:2,3s:0` style, built from the clip's rate) counts the
frames at strength 0 that equal the input exactly. The cost is the per-frame time of the two
codes' edits, interleaved in this one run (`--repeat` times each).

    python bin/measure_edit_look.py [--clips talk_audio.mp4 ...] [--frames 0:90] [--attr smile mouth_open ...]
                                    [--baseline 9af6f39] [--repeat 2] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vidinvert.eval.face_score import score_videos
from vidinvert.record_files import encode_float
from vidinvert.video import open_video, probe

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "videos"
CLIPS = ("talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "single_face.mp4", "face_noface.mov")
KEYS = ("skin_delta_e", "skin_delta_e_p95", "seam_edit", "seam_crop", "smile_grey_change", "smile_grey_rose_share",
        "mouth_open_grey_change", "mouth_open_grey_rose_share", "eyes_open_grey_change", "eyes_open_grey_fell_share",
        "brows_raised_grey_change", "brows_raised_grey_rose_share", "smile_change", "smile_rose_share",
        "sharpness", "warp_error_ratio", "displacement")
EDIT = ("import sys; from vidinvert.api import edit_video; "
        "edit_video(sys.argv[1], sys.argv[2], attr=[sys.argv[3]], frames=sys.argv[4] or None, strength=sys.argv[5] or None,"
        " codec='lossless', quiet=True, overwrite=True)")


def run_edit(code: Path, clip: Path, out: Path, attr: str, frames: str | None, strength: str | None = None) -> float:
    """Seconds one edit took, run with the code at `code` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", EDIT, str(clip), str(out), attr, frames or "", strength or ""],
                   check=True, cwd=code, env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def zero_keyframe_frames(clip: Path, out: Path, rate: float) -> tuple[int, int]:
    """(frames at strength 0 equal to the input, frames at strength 0) of a 0s:0,1s:2,2s:2,3s:0 run."""
    equal = total = 0
    with open_video(clip) as a, open_video(out) as b:
        for x, y in zip(a, b):
            if x.time <= 1e-9 or 3.0 - 1e-9 <= x.time < 4.0:
                total += 1
                equal += int(np.array_equal(x.image, y.image))
    return equal, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--frames", default="0:90")
    parser.add_argument("--attr", nargs="+", default=["smile"])
    parser.add_argument("--baseline", default=None, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        codes = {"now": ROOT}
        if args.baseline:
            base = tmp / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.baseline],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            codes["before"] = base
        try:
            for name in args.clips:
                clip = DATA / name
                for attr in args.attr:
                    row: dict = {}
                    for label, code in codes.items():
                        out = tmp / f"{label}_{attr}_{Path(name).stem}.mkv"
                        try:
                            seconds = [run_edit(code, clip, out, attr, args.frames) for _ in range(args.repeat)]
                        except subprocess.CalledProcessError:  # a name the baseline does not know
                            continue
                        summary = score_videos(clip, out, frames=args.frames).summary
                        row[label] = {k: summary[k] for k in KEYS} | {"seconds": min(seconds)}
                        ramp = tmp / f"{label}_ramp_{Path(name).stem}.mkv"
                        bare = attr.partition("=")[0]
                        run_edit(code, clip, ramp, bare, "0:" + str(int(4 * probe(clip).fps) + 1), "0s:0,1s:2,2s:2,3s:0")
                        row[label]["zero_keyframe_equal"], row[label]["zero_keyframe_frames"] = \
                            zero_keyframe_frames(clip, ramp, probe(clip).fps)
                    results[f"{name} {attr}"] = row
                    for label, values in row.items():
                        print(f"{name:16} {attr:14} {label:6} " + "  ".join(
                            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()),
                            flush=True)
                    if "before" in row:
                        print(f"{name:16} {attr:14} cost now/before {row['now']['seconds'] / row['before']['seconds']:.2f}x",
                              flush=True)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "baseline")],
                               check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if args.json:
        args.json.write_text(json.dumps({k: {label: {m: encode_float(v) if isinstance(v, float) else v
                                                     for m, v in values.items()} for label, values in row.items()}
                                         for k, row in results.items()}, indent=1))


if __name__ == "__main__":
    main()
