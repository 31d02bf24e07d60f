#!/usr/bin/env python
"""Copy a restoration encoder (`train encoder --degrade sr4` for the bundled generator) into the package.

    python bin/package_restore_encoder.py RUN/encoder.pt

Writes `vidinvert/data/demo/restore_sr4.pt`: the vidinvert-encoder file with its weights stored as
float16, as bin/package_demo_model.py stores the bundled encoder (read back into float32); the
degradation it records is kept and must be sr4.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidinvert.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from vidinvert.demo.paths import GENERATOR_FILE, RESTORE_SR4_FILE  # noqa: E402
from vidinvert.models import load_encoder, load_generator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoder", type=Path, help="vidinvert-encoder file written by `vidinvert train encoder --degrade sr4`")
    args = parser.parse_args()
    encoder = load_checkpoint(args.encoder, what="encoder")
    if load_encoder(args.encoder, checkpoint=encoder).degrade != "sr4":
        raise SystemExit(f"{args.encoder} was not trained with --degrade sr4")
    encoder["state_dict"] = {k: v.half() if v.is_floating_point() else v for k, v in encoder["state_dict"].items()}
    save_checkpoint(encoder, RESTORE_SR4_FILE)
    E, G = load_encoder(RESTORE_SR4_FILE), load_generator(GENERATOR_FILE)
    if E.n_styles != G.n_latent:
        raise SystemExit(f"the encoder predicts {E.n_styles} latents, the bundled generator takes {G.n_latent}")
    print(f"{RESTORE_SR4_FILE}: {RESTORE_SR4_FILE.stat().st_size / 2**20:.1f} MiB, trained for {E.degrade}")


if __name__ == "__main__":
    main()
