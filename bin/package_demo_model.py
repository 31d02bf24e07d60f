#!/usr/bin/env python
"""Copy a trained generator and encoder into the package as the bundled demo model.

    python bin/package_demo_model.py RUN/generator/checkpoint.pt RUN/encoder/encoder.pt

Writes `vidinvert/data/demo/generator.pt` (the EMA generator in the rosinality `g_ema` layout,
float32, with its `latent_avg`) and `vidinvert/data/demo/encoder.pt` (the vidinvert-encoder file
with its weights stored as float16, which halves its size; they are read back into float32).
Directions and the model card are written separately (see the card).
"""

from __future__ import annotations

import argparse
from pathlib import Path


from vidinvert.checkpoint import load_checkpoint, save_checkpoint
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE
from vidinvert.models import load_encoder, load_generator, save_generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", type=Path, help="generator training checkpoint (or any generator file)")
    parser.add_argument("encoder", type=Path, help="vidinvert-encoder file written by `vidinvert train encoder`")
    args = parser.parse_args()
    G = load_generator(args.generator)
    GENERATOR_FILE.parent.mkdir(parents=True, exist_ok=True)
    save_generator(G, GENERATOR_FILE)
    encoder = load_checkpoint(args.encoder, what="encoder")
    load_encoder(args.encoder, checkpoint=encoder)  # refuse anything the reader would refuse
    encoder["state_dict"] = {k: v.half() if v.is_floating_point() else v for k, v in encoder["state_dict"].items()}
    save_checkpoint(encoder, ENCODER_FILE)
    E = load_encoder(ENCODER_FILE)
    if E.n_styles != G.n_latent:
        raise SystemExit(f"the encoder predicts {E.n_styles} latents, the generator takes {G.n_latent}")
    for path in (GENERATOR_FILE, ENCODER_FILE):
        print(f"{path}: {path.stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
