#!/usr/bin/env python
"""Generator throughput: images/s of our modulated convolution against the straightforward grouped form.

Prints one row per (resolution, batch): grouped-convolution images/s, ours (the default shared-weight
form) images/s, and the ratio. Random weights in the official config-f shapes; stored noise.

    python bin/bench_generator.py [--sizes 256 1024] [--batches 1 8] [--device cpu] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from vidinvert.models import Generator


def images_per_second(G: Generator, batch: int, mode: str, repeats: int, device: str, dtype) -> float:
    G.modconv = mode
    w = torch.randn(batch, G.n_latent, G.style_dim, device=device)
    with torch.no_grad(), torch.autocast(device, dtype=dtype, enabled=dtype is not None):
        G.synthesize(w)  # warm-up
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            G.synthesize(w)
        if device == "cuda":
            torch.cuda.synchronize()
    return batch * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--half", action="store_true", help="bf16 autocast (GPU)")
    args = parser.parse_args()
    dtype = torch.bfloat16 if args.half else None
    print(f"device={args.device} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"{'size':>5} {'batch':>5} {'grouped img/s':>14} {'ours img/s':>11} {'ratio':>6}")
    for size in args.sizes:
        G = Generator(size).to(args.device).eval()
        for batch in args.batches:
            ref = images_per_second(G, batch, "grouped", args.repeats, args.device, dtype)
            ours = images_per_second(G, batch, "shared", args.repeats, args.device, dtype)
            print(f"{size:>5} {batch:>5} {ref:>14.3f} {ours:>11.3f} {ours / ref:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
