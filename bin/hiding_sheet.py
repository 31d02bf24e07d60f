"""The picture of docs/hiding.md: faces of real photos hidden in other real photos with the bundled model.

    PYTHONPATH=. python bin/hiding_sheet.py /path/to/faces -o docs/hiding.png

Rows: one secret/carrier pair each (the second with a key): secret photo | carrier | stego |
difference, a 128 px piece of the carrier's centre at full resolution, every changed value white |
the face `reveal` draws (the generator's 64 px, enlarged).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vidinvert.api import hide_image, load_default_models, reveal_image
from vidinvert.images import read_rgb

TILE = 128
PAIRS = (("celebahq/ref_female_015248.jpg", "people/obama.jpg", None),
         ("celebahq/ref_male_012712.jpg", "people/two_people.jpg", "a passphrase"),
         ("people/obama2.jpg", "celebahq/ref_female_042373.jpg", None))


def tile(image: np.ndarray) -> Image.Image:
    """The whole picture fitted into a square tile (white bars keep its aspect)."""
    return ImageOps.pad(Image.fromarray(image).convert("RGB"), (TILE, TILE), Image.LANCZOS, color="white")


def centre_difference(stego: np.ndarray, carrier: np.ndarray) -> Image.Image:
    """|stego - carrier| at full resolution in the centre, times 255: each changed colour value is white."""
    h, w = carrier.shape[:2]
    top, left = (h - TILE) // 2, (w - TILE) // 2
    piece = np.abs(stego.astype(np.int16) - carrier)[top:top + TILE, left:left + TILE]
    return Image.fromarray((piece * 255).clip(0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    models = load_default_models("cpu")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        for secret, carrier, key in PAIRS:
            secret, carrier = args.faces / secret, args.faces / carrier
            hidden = hide_image(secret, carrier, out / "stego.png", key=key, models=models, overwrite=True)
            revealed = read_rgb(reveal_image(hidden.path, out / "revealed.png", key=key, models=models, overwrite=True))
            stego, original = read_rgb(hidden.path), read_rgb(carrier)
            print(f"{secret.name} in {carrier.name}: {hidden.line()}")
            rows.append([tile(read_rgb(secret)), tile(original), tile(stego), centre_difference(stego, original),
                         Image.fromarray(revealed).resize((TILE, TILE), Image.LANCZOS)])
    sheet = Image.new("RGB", (TILE * 5 + 4 * 4, TILE * len(rows) + 4 * (len(rows) - 1)), "white")
    for y, row in enumerate(rows):
        for x, picture in enumerate(row):
            sheet.paste(picture, (x * (TILE + 4), y * (TILE + 4)))
    sheet.save(args.output, optimize=True)


if __name__ == "__main__":
    main()
