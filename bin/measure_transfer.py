#!/usr/bin/env python
"""The render modes measured on real clips with the bundled model: the issue's table and the cost.

For every clip: `edit_video` with `--attr smile=2` in each render mode (generated = before, warp =
after, delta), and a zero edit (`smile=0`, lossless) in the generated and warp modes; every output is scored with
`vidinvert score` (`vidinvert.eval.face_score.score_videos`). Printed per clip and mode: zero-edit
PSNR in the face oval, sharpness, smile change and the share of frames where it rose >= 0.02, warp
error ratio, rigid-landmark displacement; then the per-frame cost of each mode relative to
`generated`, from runs interleaved in this one process (same models, same clip, same load). The
`re-encode` row is the input only re-encoded with the default codec settings (H.264, crf 18): what
the codec alone costs in sharpness and flicker.

    python bin/measure_transfer.py [--clips single_face.mp4 ...] [--frames 0:60] [--attr smile=2]
                                   [--modes generated warp delta] [--smooth-change gaussian:1]
                                   [--change-from latents:0.7]
                                   [--sheet DIR --sheet-frames 10,40] [--json results.json]
    python bin/measure_transfer.py --cost 3 --clips talk_audio.mp4 --frames 0:60   # the cost ratio only
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vidinvert.api import edit_video, load_default_models
from vidinvert.eval.face_score import score_videos
from vidinvert.record_files import encode_float
from vidinvert.face.detect import MeshDetector
from vidinvert.video import open_video, transcode

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
CLIPS = ("single_face.mp4", "talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "face_noface.mov")
COLUMNS = ("zero-edit PSNR", "sharpness", "smile change", "smile rose", "warp err ratio", "landmarks moved")


def frame_at(path: Path, index: int) -> np.ndarray:
    with open_video(path, frames=f"{index}:{index + 1}") as video:
        return next(iter(video)).image


def sheet(paths: list[Path], indices: list[int], out: Path, tile: int = 200) -> None:
    """input | each output, face region, one row per frame index."""
    rows = []
    with MeshDetector() as mesh:
        for index in indices:
            images = [frame_at(p, index) for p in paths]
            faces = mesh.detect(images[0])
            if not faces:
                continue
            centre, half = faces[0].centre, faces[0].size * 0.7
            (x0, y0), (x1, y1) = np.maximum(centre - half, 0).astype(int), (centre + half).astype(int)
            rows.append(np.hstack([np.asarray(Image.fromarray(im[y0:y1, x0:x1]).resize((tile, tile), Image.LANCZOS))
                                   for im in images]))
    if rows:
        Image.fromarray(np.vstack(rows)).save(out)


def pipeline_options(args: argparse.Namespace) -> dict[str, str]:
    """The pipeline settings given on the command line (the others keep their defaults)."""
    return {name: value for name, value in (("smooth_change", args.smooth_change), ("change_from", args.change_from))
            if value is not None}


def cost_only(args: argparse.Namespace) -> None:
    """Per-frame seconds of each mode from N alternating runs (the load shifts between runs, not
    within one round), and each mode's median ratio to `generated` over the rounds."""
    torch.set_num_threads(1)
    models = load_default_models("cpu")
    path = DATA / args.clips[0]
    seconds: dict[str, list[float]] = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.cost):
            for mode in args.modes:
                summary = edit_video(path, Path(tmp) / f"{mode}.mp4", attr=[args.attr], render=mode,
                                     frames=args.frames, models=models, overwrite=True, quiet=True,
                                     **pipeline_options(args))
                seconds[mode].append(summary.seconds / summary.frames)
    print(f"{args.clips[0]} {args.frames or 'all frames'}, {args.cost} rounds: seconds per frame of the whole run")
    base = np.array(seconds["generated"])
    for mode, values in seconds.items():
        ratio = np.median(np.array(values) / base)
        print(f"  {mode:<10} {np.median(values):.4f}  x{ratio:.2f}  (rounds: {', '.join(f'{v:.3f}' for v in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--frames", default=None, help="START:END of every clip")
    parser.add_argument("--attr", default="smile=2")
    parser.add_argument("--modes", nargs="+", default=["generated", "warp", "delta"])
    parser.add_argument("--smooth-change", default=None, help="temporal filter of the change (default: the pipeline's)")
    parser.add_argument("--change-from", default=None, help="latents the change is drawn from (default: the pipeline's)")
    parser.add_argument("--sheet", type=Path, default=None, help="folder for input | generated | warp PNGs")
    parser.add_argument("--sheet-frames", default="10,40")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cost", type=int, default=0, metavar="N",
                        help="only the cost: N alternating runs of each mode on the first clip, median ratio")
    args = parser.parse_args()
    if args.cost:
        cost_only(args)
        return

    torch.set_num_threads(1)
    models = load_default_models("cpu")
    extra = pipeline_options(args)
    results: dict[str, dict] = {}
    cost: dict[str, list[float]] = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            path = DATA / clip
            if not path.is_file():
                print(f"skip {clip}: not found in {DATA}")
                continue
            outputs: dict[str, Path] = {}
            row: dict[str, dict] = {}
            for mode in args.modes:
                out = Path(tmp) / f"{path.stem}_{mode}.mp4"
                summary = edit_video(path, out, attr=[args.attr], render=mode, frames=args.frames, models=models,
                                     overwrite=True, quiet=True, **extra)
                cost[mode].append(summary.seconds / max(summary.frames, 1))
                outputs[mode] = out
                row[mode] = score_videos(path, out, frames=args.frames).summary
            for mode in args.modes:
                if mode == "delta":
                    continue  # zero edit: exact like warp (tests/test_transfer.py)
                zero = Path(tmp) / f"{path.stem}_{mode}_zero.mkv"
                name = args.attr.split("=")[0]
                edit_video(path, zero, attr=[f"{name}=0"], render=mode, codec="lossless", frames=args.frames,
                           models=models, overwrite=True, quiet=True, **extra)
                row[f"{mode} zero"] = score_videos(path, zero, frames=args.frames).summary
            results[clip] = row
            print(f"\n{clip}  ({int(row[args.modes[0]]['face_frames'])} frames with a face)")
            print(f"  {'mode':<10}" + "".join(f"{c:>17}" for c in COLUMNS))
            for mode in args.modes:
                s = row[mode]
                zero = row[f"{mode} zero"]["psnr"] if f"{mode} zero" in row else float("nan")
                values = (zero, s["sharpness"], s["smile_change"], s["smile_rose_share"], s["warp_error_ratio"],
                          s["displacement"])
                print(f"  {mode:<10}" + "".join(f"{v:>17.3f}" for v in values))
            copy = Path(tmp) / f"{path.stem}_copy.mp4"
            transcode(path, copy, lambda records: records, frames=args.frames)
            s = score_videos(path, copy, frames=args.frames).summary
            print(f"  {'re-encode':<10}" + "".join(f"{v:>17.3f}" for v in (
                float("nan"), s["sharpness"], s["smile_change"], s["smile_rose_share"], s["warp_error_ratio"],
                s["displacement"])))
            row["re-encode"] = s
            if args.sheet is not None:
                args.sheet.mkdir(parents=True, exist_ok=True)
                frames = [int(i) for i in args.sheet_frames.split(",")]
                sheet([path] + [outputs[m] for m in args.modes], frames, args.sheet / f"{path.stem}.png")
    base = np.mean(cost.get("generated") or [np.nan])
    print("\nper-frame cost (s/frame, mean over clips) and ratio to generated:")
    for mode, seconds in cost.items():
        print(f"  {mode:<10} {np.mean(seconds):.4f}  x{np.mean(seconds) / base:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps({
            "results": {clip: {mode: {k: encode_float(v) for k, v in s.items()} for mode, s in row.items()}
                        for clip, row in results.items()},
            "seconds_per_frame": {mode: encode_float(float(np.mean(s))) for mode, s in cost.items()}}, indent=2))


if __name__ == "__main__":
    main()
