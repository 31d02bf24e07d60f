"""The picture of docs/swapping.md: faces of real photos swapped into other real photos with the bundled model.

    PYTHONPATH=. python bin/swap_sheet.py /path/to/faces -o docs/swapping.png

Rows: one source/target pair each: source photo | target photo | the target's aligned crop with the
source's region pasted on (what the encoder inverts, at its 64 px input, enlarged) | the swapped
target | the swapped target cut at the target's aligned face quad, at full resolution.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vidinvert.api import load_default_models
from vidinvert.config import RunConfig
from vidinvert.face.align import crop
from vidinvert.images import read_rgb
from vidinvert.pipeline.build import build_pipeline
from vidinvert.pipeline.photos import PHOTO_FPS, run_photo
from vidinvert.pipeline.swap_source import find_source_face

TILE = 128
PAIRS = (("celebahq/ref_female_015248.jpg", "celebahq/ref_female_042373.jpg"),
         ("celebahq/ref_male_012712.jpg", "people/obama.jpg"),
         ("people/obama2.jpg", "celebahq/ref_male_020167.jpg"))


def tile(image: np.ndarray) -> Image.Image:
    """The whole picture fitted into a square tile (white bars keep its aspect)."""
    return ImageOps.pad(Image.fromarray(image).convert("RGB"), (TILE, TILE), Image.LANCZOS, color="white")


def swap_row(models, source: Path, target: Path) -> list[Image.Image]:
    swap = find_source_face(source).swap(models.E.input_size)
    photo = read_rgb(target)
    with build_pipeline(models, RunConfig.from_options(render="generated"), PHOTO_FPS, swap=swap) as pipeline:
        result = run_photo(pipeline, photo, target)
    pasted = Image.fromarray(swap.paste(result.frame.crop)).resize((TILE, TILE), Image.LANCZOS)
    return [tile(read_rgb(source)), tile(photo), pasted, tile(result.image),
            Image.fromarray(crop(result.image, result.frame.quad, TILE)[0])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    models = load_default_models("cpu")
    rows = [swap_row(models, args.faces / source, args.faces / target) for source, target in PAIRS]
    columns = len(rows[0])
    sheet = Image.new("RGB", (TILE * columns + 4 * (columns - 1), TILE * len(rows) + 4 * (len(rows) - 1)), "white")
    for y, row in enumerate(rows):
        for x, picture in enumerate(row):
            sheet.paste(picture, (x * (TILE + 4), y * (TILE + 4)))
    sheet.save(args.output, optimize=True)


if __name__ == "__main__":
    main()
