#!/usr/bin/env python
"""The numbers a demo model's card reports, measured on real data.

- the share of 256 random generator samples in which mediapipe finds a face (truncation 1 and 0.7);
- PSNR/SSIM of held-out photos (celeba/test, aligned with the project's aligner) after 1 and after
  5 refinement steps from the average latent;
- on consecutive frames of the shared clips: warm starts (1 step from the previous frame) against
  cold starts (5 steps from the average latent), and the pipeline's sequence inversion;
- what each direction does: on random samples (face-mesh score), and on real faces (held-out
  photos and every 4th of those clip frames), its edit of their inversions carried onto the real
  crop by optical flow (`vidinvert.discover.real_check`), with the renders drawn as the pipeline draws
  them by default (`--change-from`) and from the inversion itself.

    python bin/measure_demo_model.py [--generator G.pt --encoder E.pt] [--json out.json]

Without files it measures the bundled demo model. Prints a Markdown table and, with --json, writes
the numbers.
"""

from __future__ import annotations

import argparse
import sys
import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the quality measures live with the tests

from _demo_quality import edit_effect, face_rate, reconstruction_by_steps, video_face_crops, warm_against_cold  # noqa: E402
from vidinvert.api import load_models  # noqa: E402
from vidinvert.config import RenderConfig  # noqa: E402
from vidinvert.demo.paths import DIRECTIONS_DIR  # noqa: E402
from vidinvert.edit.change_source import ChangeSource  # noqa: E402
from vidinvert.edit.directions import load_direction  # noqa: E402
from vidinvert.edit.registry import directions_in  # noqa: E402
from vidinvert.discover.real_check import GAP_POINTS, edit_motion  # noqa: E402
from vidinvert.discover.real_faces import invert_faces  # noqa: E402
from vidinvert.train.data import aligned_faces, to_tensor  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CLIPS = ("talk_audio.mp4", "head_d18.mp4", "single_face.mp4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator")
    parser.add_argument("--encoder")
    parser.add_argument("--test-data", default=str(SHARED / "celeba" / "test"))
    parser.add_argument("--cache-dir", help="cache of aligned test faces")
    parser.add_argument("--clips", nargs="*", default=[str(SHARED / "videos" / c) for c in CLIPS])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--frames", type=int, default=60, help="consecutive frames per clip")
    parser.add_argument("--directions", type=Path, default=DIRECTIONS_DIR, help="folder of the model's directions")
    parser.add_argument("--real-faces", type=int, default=300, help="held-out photos for the directions' real-face check")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    G, E = load_models(args.generator, args.encoder, device="cpu")
    report: dict = {"generator_size": G.size, "samples": args.samples}
    for truncation in (1.0, 0.7):
        report[f"face_rate_truncation_{truncation}"] = face_rate(G, args.samples, truncation=truncation)
    faces = to_tensor(aligned_faces(args.test_data, G.size, args.cache_dir, progress=False))
    by_steps = reconstruction_by_steps(G, E, faces, steps=5)
    report["test_images"] = len(faces)
    report["reconstruction"] = {k: asdict(v) for k, v in by_steps.items()}
    clip_crops = {clip: video_face_crops(clip, G.size, args.frames) for clip in args.clips}
    report["clips"] = [asdict(warm_against_cold(G, E, crops, clip)) for clip, crops in clip_crops.items()]
    directions = {name: load_direction(path, name=name) for name, path in sorted(directions_in(args.directions).items())}
    report["directions"] = {name: edit_effect(G, d) for name, d in directions.items()}
    real = {"celeba_test": faces[:args.real_faces], "clips": torch.cat([c[::4] for c in clip_crops.values()])}
    inversions = {key: invert_faces(G, E, images) for key, images in real.items()}
    report["change_from"] = RenderConfig.change_from
    for field, source in (("directions_real", ChangeSource.parse(RenderConfig.change_from)),
                          ("directions_real_from_inversion", ChangeSource("inversion"))):
        report[field] = {
            name: {key: [asdict(m) for m in edit_motion(G, inversions[key], images, d, name, (1.0, 2.0),
                                                        E.feature_index, source)]
                   for key, images in real.items()}
            for name, d in directions.items() if name in GAP_POINTS}
    report["seconds"] = round(time.perf_counter() - started, 1)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def print_table(report: dict) -> None:
    print("| measurement | value |\n|---|---|")
    for truncation in (1.0, 0.7):
        rate = report[f"face_rate_truncation_{truncation}"]
        print(f"| face found in random samples, truncation {truncation} | {100 * rate:.1f}% of {report['samples']} |")
    for k, r in report["reconstruction"].items():
        print(f"| celeba/test ({report['test_images']} photos), {k} step(s) | PSNR {r['psnr']:.2f} dB, SSIM {r['ssim']:.3f} |")
    for c in report["clips"]:
        head = f"| {c['clip']} ({c['frames']} frames)"
        ways = [("cold", f"cold: {c['cold_steps']} steps from the average"),
                ("warm_step", f"warm: {c['warm_steps']} step from the previous frame's cold result"),
                ("warm_chain", f"warm chain: {c['warm_steps']} step from the previous warm result"),
                ("sequence", f"pipeline: {c['warm_steps']} warm step, cold restarts "
                             f"({100 * c['sequence_restarts']:.0f}% of frames)")]
        for key, label in ways:
            print(f"{head}, {label} | PSNR {c[key]['psnr']:.2f} dB, SSIM {c[key]['ssim']:.3f} |")
    for name, rows in report.get("directions", {}).items():
        for r in rows:
            print(f"| `{name}` at strength {r['strength']:g} | {name} score "
                  f"{r['score_change']:+.3f}, up in {100 * r['rose']:.0f}%; mean pixel change: mouth "
                  f"{r['pixels_mouth']:.3f}, hair and forehead {r['pixels_top']:.3f} |")
    for field, source in (("directions_real", report.get("change_from")), ("directions_real_from_inversion", "inversion")):
        for name, sets in report.get(field, {}).items():
            for key, rows in sets.items():
                for r in rows:
                    print(f"| `{name}` at strength {r['strength']:g}, drawn from {source}, carried onto {r['faces']} "
                          f"real faces ({key}) | "
                          f"score {r['score_change']:+.3f}, up in {100 * r['score_rose']:.0f}%; point gap "
                          f"{r['gap_change']:+.2f} px, wider in {100 * r['gap_grew']:.0f}%; by flow "
                          f"{r['flow_gap_change']:+.2f} px, wider in {100 * r['flow_gap_grew']:.0f}% |")


if __name__ == "__main__":
    main()
