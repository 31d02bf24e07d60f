#!/usr/bin/env python
"""How often the video inversion restarts cold, and what its warm chain costs in fidelity.

Every face frame of each clip (aligned as the pipeline aligns them) is inverted by the pipeline's
sequence inverter (`--steps` from the average latent on the first frame and at each cold restart,
`--next-steps` from the previous frame otherwise) for each number of warm steps given; printed per
clip: restarts per 100 face frames, PSNR of the sequence, PSNR of cold inversions of every 5th
frame, and the mean change of W+ from frame to frame (the jitter the change smoothing has to hide).

    python bin/measure_restarts.py [--encoder E.pt] [--clips talk_audio.mp4 ...] [--next-steps 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the quality measures live with the tests

from _demo_quality import Reconstruction, video_face_crops  # noqa: E402
from vidinvert.api import load_models  # noqa: E402
from vidinvert.invert import Inverter, SequenceInverter  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "videos"
CLIPS = ("talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "single_face.mp4")


@torch.no_grad()
def measure(inverter: Inverter, crops: torch.Tensor, steps: int, next_steps: int) -> dict[str, float]:
    sequence = SequenceInverter(inverter, first_steps=steps, next_steps=next_steps)
    frames = [sequence.step(x[None]) for x in crops]
    restarts = sum(bool(f.restarted.any()) for f in frames[1:])
    wplus = torch.cat([f.result.wplus for f in frames])
    return {"restarts_per_100": 100 * restarts / max(len(frames) - 1, 1),
            "psnr": Reconstruction.of(torch.cat([f.result.image for f in frames]), crops).psnr,
            "w_change": float((wplus[1:] - wplus[:-1]).norm(dim=(1, 2)).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator")
    parser.add_argument("--encoder")
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--next-steps", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-frames", type=int, default=10_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    G, E = load_models(args.generator, args.encoder, device="cpu")
    inverter = Inverter(G, E)
    total: dict[int, list[float]] = {n: [0.0, 0.0] for n in args.next_steps}
    print(f"{'clip':<18}{'frames':>7}{'cold PSNR':>11}" + "".join(
        f"{f'restarts/100 ({n})':>19}{f'PSNR ({n})':>11}{f'W+ change ({n})':>17}" for n in args.next_steps))
    for clip in args.clips:
        crops = video_face_crops(DATA / clip, G.size, args.max_frames)
        cold = torch.cat([inverter.invert(x[None], steps=args.steps).image for x in crops[::5]])
        line = f"{clip:<18}{len(crops):>7}{Reconstruction.of(cold, crops[::5]).psnr:>11.2f}"
        for n in args.next_steps:
            row = measure(inverter, crops, args.steps, n)
            total[n][0] += row["restarts_per_100"] * (len(crops) - 1) / 100
            total[n][1] += len(crops) - 1
            line += f"{row['restarts_per_100']:>19.1f}{row['psnr']:>11.2f}{row['w_change']:>17.1f}"
        print(line, flush=True)
    print("all clips: restarts per 100 face frames " + ", ".join(
        f"{100 * r / max(n_frames, 1):.1f} ({n} warm step{'s' if n > 1 else ''})" for n, (r, n_frames) in total.items()))


if __name__ == "__main__":
    main()
