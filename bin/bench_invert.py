#!/usr/bin/env python
"""Per-frame inversion cost of warm-started refinement against cold 5-step ReStyle inversion.

On consecutive real video frames (centre crops resized to the generator size) this prints the
seconds per frame of a cold start with `--cold-steps` steps and of warm starts from the previous
frame with each of `--warm-steps`, the speed-up over cold, and the PSNR between each warm
reconstruction and the cold one of the same frame. When the generator is larger than the
encoder input, it also times cold inversion whose intermediate steps stop at the skip RGB of
the encoder's input size. Models are the vidinvert encoder (FSE
architecture, 6-channel input) and a config-f generator, with random weights unless files are
given: then the PSNR column only checks the harness, it says nothing about quality.

    python bin/bench_invert.py [--video PATH] [--frames 4] [--size 256] [--threads 1]
                               [--generator G.pt --encoder E.pt] [--device cpu]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np
import torch

from vidinvert.invert import InversionResult, Inverter
from vidinvert.models import EncoderConfig, Generator, build_vidinvert_encoder, load_encoder, load_generator

DEFAULT_VIDEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos" / "talk_audio.mp4"


def read_frames(path: Path, count: int, size: int) -> torch.Tensor:
    """The first `count` frames as centre crops resized to `size`, (N,3,size,size) in [-1,1]."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            h, w = image.shape[:2]
            side = min(h, w)
            top, left = (h - side) // 2, (w - side) // 2
            crop = frame.from_ndarray(np.ascontiguousarray(image[top : top + side, left : left + side]), format="rgb24")
            frames.append(crop.reformat(width=size, height=size).to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of two [-1,1] images (peak-to-peak 2)."""
    mse = (a.clamp(-1, 1) - b.clamp(-1, 1)).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * np.log10(4.0 / mse)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--size", type=int, default=256, help="generator size when no --generator is given")
    parser.add_argument("--cold-steps", type=int, default=5)
    parser.add_argument("--warm-steps", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--generator", type=Path)
    parser.add_argument("--encoder", type=Path)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    if args.generator:
        G = load_generator(args.generator, device=args.device)
    else:
        G = Generator(args.size).eval()
        G.latent_avg.copy_(G.mean_latent(n=2000))
        G = G.to(args.device)
    E = load_encoder(args.encoder, device=args.device) if args.encoder else build_vidinvert_encoder(EncoderConfig.for_generator(G))
    E = E.to(args.device).eval()
    random_weights = not (args.generator and args.encoder)
    inverter = Inverter(G, E)
    frames = read_frames(args.video, args.frames, G.size).to(args.device)
    inverter.invert(frames[:1], steps=1)  # warm-up

    print(f"device={args.device} threads={torch.get_num_threads()} torch={torch.__version__} "
          f"generator={G.size}px encoder={E.kind} input={E.input_size}px frames={len(frames)} of {args.video.name}")
    cold_results, cold_seconds = [], []
    for x in frames:
        result, seconds = timed(lambda: inverter.invert(x[None], steps=args.cold_steps))
        cold_results.append(result)
        cold_seconds.append(seconds)
    cold_time = float(np.mean(cold_seconds))
    print(f"{'start':>12} {'s/frame':>8} {'speed-up':>8} {'PSNR vs cold (dB)':>18}")
    print(f"{f'cold {args.cold_steps}-step':>12} {cold_time:>8.3f} {1.0:>8.2f} {'-':>18}")
    for steps in args.warm_steps:
        state: InversionResult = cold_results[0]
        seconds, scores = [], []
        for t in range(1, len(frames)):
            state, spent = timed(lambda: inverter.invert(frames[t][None], steps=steps, init=state))
            seconds.append(spent)
            scores.append(psnr(state.image, cold_results[t].image))
        warm_time = float(np.mean(seconds))
        print(f"{f'warm {steps}-step':>12} {warm_time:>8.3f} {cold_time / warm_time:>8.2f} {np.mean(scores):>18.2f}")
    if E.input_size < G.size:
        fast = Inverter(G, E, intermediate_resolution=E.input_size)
        seconds, scores = [], []
        for x, reference in zip(frames, cold_results):
            result, spent = timed(lambda: fast.invert(x[None], steps=args.cold_steps))
            seconds.append(spent)
            scores.append(psnr(result.image, reference.image))
        fast_time = float(np.mean(seconds))
        label = f"cold {args.cold_steps}-step, intermediate {E.input_size} px skip RGB"
        print(f"{label}: {fast_time:.3f} s/frame, speed-up {cold_time / fast_time:.2f}, PSNR vs cold {np.mean(scores):.2f} dB")
    if random_weights:
        print("note: random weights; the PSNR column only checks the harness, not reconstruction quality")


if __name__ == "__main__":
    main()
