#!/usr/bin/env python
"""Per-frame CPU cost of inverting one frame with each seed encoder, at official sizes.

Every encoder has random weights in its official layout and size, and inverts one 1024 px frame
into a 1024 px config-f generator (random weights) with its official number of steps:
FeatureStyleEncoder 1 pass, ReStyle pSp (IR-SE50) 5 steps, E2Style 3 stages, HyperInverter 1 pass
(W code, phase-1 image, residuals, final image with per-sample weights). One untimed inversion
warms each up (kernel selection, the cached average image). Prints seconds per frame,
the generator renders each needs, and the ratio against FSE and against ReStyle.

    nice -n 10 python bin/bench_encoders.py [--repeats 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import bench_models  # noqa: F401  (puts the checkout and tests/ on sys.path)
import torch
from _fixtures_enc import fse_encoder, hyperinverter_checkpoint, randomize_, restyle_encoder

from vidinvert.invert import Inverter
from vidinvert.models import Generator, load_encoder
from vidinvert.models.e2style import E2StyleEncoder


def seconds_per_frame(G: Generator, E, steps: int, frame: torch.Tensor, repeats: int) -> float:
    inverter = Inverter(G, E)
    inverter.invert(frame, steps=steps)  # warm-up: kernel selection and the cached average image
    start = time.perf_counter()
    for _ in range(repeats):
        inverter.invert(frame, steps=steps)
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    G = Generator(1024).eval().requires_grad_(False)
    with torch.no_grad():
        G.latent_avg.copy_(G.mean_latent(n=1000))
    frame = torch.rand(1, 3, 1024, 1024) * 2 - 1
    encoders = [
        ("fse", lambda: fse_encoder(n_styles=18, input_size=256), 1, 1),
        ("restyle-psp (ir_se50)", lambda: restyle_encoder("ir_se50", False, n_styles=18, input_size=256), 5, 5),
        ("e2style (3 stages)", lambda: randomize_(E2StyleEncoder(2), 0), 3, 3),
        ("hyperinverter (hidden 128)", lambda: load_encoder(
            "hyperinverter", checkpoint=hyperinverter_checkpoint(G, "conv_without_bias", 128, "LayerWiseEncoder")), 1, 2),
    ]
    print(f"threads={torch.get_num_threads()} torch={torch.__version__}; 1024 px generator, one 1024 px frame")
    rows = []
    for name, build, steps, renders in encoders:
        E = build().eval().requires_grad_(False)
        rows.append((name, steps, renders, seconds_per_frame(G, E, steps, frame, args.repeats)))
        del E
    fse, restyle = rows[0][3], rows[1][3]
    print("| encoder | steps | generator renders | s/frame | x FSE | x ReStyle |")
    print("|---|---|---|---|---|---|")
    for name, steps, renders, seconds in rows:
        print(f"| {name} | {steps} | {renders} | {seconds:.2f} | {seconds / fse:.2f} | {seconds / restyle:.2f} |",
              flush=True)


if __name__ == "__main__":
    with torch.no_grad():
        main()
