"""The picture of docs/restoration.md: real photos degraded to a 16 px face and restored.

    PYTHONPATH=. python bin/restoration_sheet.py /path/to/faces -o docs/restoration.png

Rows: one photo each, brought to 256 px (its aligned crop is then about the whole photo). Columns:
clean | degraded (area-shrunk 16 times and scaled back bilinearly: the 64 px crop then holds a
16 px face, what the sr4 encoder is trained on) | `restore` with the bundled inversion encoder |
`restore` with the shipped sr4 encoder (its default).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from vidinvert.api import restore_image
from vidinvert.config import ModelConfig
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE
from vidinvert.errors import VidinvertError
from vidinvert.images import read_rgb
from vidinvert.loading import load_models, restoration_models

SIDE, SHRINK, TILE = 256, 16, 128
PHOTOS = ("celebahq/ref_female_015248.jpg", "celebahq/ref_male_012712.jpg", "celebahq/ref_female_030321.jpg",
          "celebahq/ref_male_020167.jpg", "celebahq/ref_female_031796.jpg", "celebahq/ref_male_036367.jpg", "celebahq/ref_female_048197.jpg")
ROWS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    restorer = restoration_models(ModelConfig(device="cpu"))
    bundled = load_models(GENERATOR_FILE, ENCODER_FILE, device="cpu")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in PHOTOS:
            clean = Image.open(args.faces / name).convert("RGB").resize((SIDE, SIDE), Image.BOX)
            degraded = clean.resize((SIDE // SHRINK, SIDE // SHRINK), Image.BOX).resize((SIDE, SIDE), Image.BILINEAR)
            source = Path(scratch) / "degraded.png"
            degraded.save(source)
            tiles = [np.asarray(clean), np.asarray(degraded)]
            try:
                for i, models in enumerate((bundled, restorer)):
                    tiles.append(read_rgb(restore_image(source, Path(scratch) / f"out{i}.png", models=models,
                                                        overwrite=True)))
            except VidinvertError as error:  # mediapipe finds no face in some 16 px faces
                print(f"{name}: {error}")
                continue
            rows.append(np.concatenate([np.asarray(Image.fromarray(t).resize((TILE, TILE), Image.LANCZOS))
                                        for t in tiles], axis=1))
            if len(rows) == ROWS:
                break
    Image.fromarray(np.concatenate(rows, axis=0)).save(args.output, optimize=True)
    print(f"{args.output}: {args.output.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
