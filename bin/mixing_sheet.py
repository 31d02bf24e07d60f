"""The picture of docs/mixing.md: style mixing and a morph of real photos with the bundled model.

    PYTHONPATH=. python bin/mixing_sheet.py /path/to/faces -o docs/mixing.png

Rows: one content/style pair each: content photo | style photo | content inversion | style
inversion | mix (content's feature tensor) | mix (style's feature tensor) | mix carried onto the
photo by --render delta. Last row: a 7-frame morph from the first pair's content to its style.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from vidinvert.api import load_default_models, mix_images, morph_images
from vidinvert.config import RunConfig
from vidinvert.face.align import crop
from vidinvert.images import read_rgb
from vidinvert.pipeline.build import build_pipeline
from vidinvert.pipeline.photos import PHOTO_FPS, run_photo
from vidinvert.video import open_video

TILE = 128
PAIRS = (("celebahq/ref_female_015248.jpg", "celebahq/ref_male_012712.jpg"),
         ("celebahq/ref_male_020167.jpg", "celebahq/ref_female_030321.jpg"),
         ("people/obama.jpg", "celebahq/ref_female_042373.jpg"))


def tile(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image).convert("RGB").resize((TILE, TILE), Image.LANCZOS)


def face_tiles(models, path: Path) -> tuple[Image.Image, Image.Image, np.ndarray]:
    """The photo's aligned crop, its reconstruction and the crop's quad in the photo."""
    config = RunConfig.from_options(render="generated")
    with build_pipeline(models, config, PHOTO_FPS) as pipeline:
        frame = run_photo(pipeline, read_rgb(path), path).frame
    return tile(frame.crop), tile(frame.face), frame.quad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faces", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    models = load_default_models("cpu")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        for content, style in PAIRS:
            content, style = args.faces / content, args.faces / style
            (c_crop, c_rec, quad), (s_crop, s_rec, _) = face_tiles(models, content), face_tiles(models, style)
            mixes = [tile(read_rgb(mix_images(content, style, out / f"{which}.png", models=models, crop=True,
                                              feature_from=which, overwrite=True)))
                     for which in ("content", "style")]
            composite = mix_images(content, style, out / "delta.png", models=models, render="delta", overwrite=True)
            rows.append([c_crop, s_crop, c_rec, s_rec, *mixes, tile(crop(read_rgb(composite), quad, TILE)[0])])
        first = [args.faces / p for p in PAIRS[0]]
        video = morph_images(*first, out / "morph.mp4", models=models, frames=7, ease="smooth", overwrite=True)
        with open_video(video) as frames:
            rows.append([tile(record.image) for record in frames])
    sheet = Image.new("RGB", (TILE * max(len(r) for r in rows), TILE * len(rows)), "white")
    for y, row in enumerate(rows):
        for x, picture in enumerate(row):
            sheet.paste(picture, (x * TILE, y * TILE))
    sheet.save(args.output)


if __name__ == "__main__":
    main()
