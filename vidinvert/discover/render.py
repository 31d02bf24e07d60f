"""Rendering for direction discovery: finding the generator, images to uint8, contact sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from vidinvert.edit.directions import Direction, apply_edits
from vidinvert.device import resolve_device
from vidinvert.files import atomic_path
from vidinvert.images import to_uint8
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.models import Generator, load_generator
from vidinvert.weights import require_weights


def resolve_generator(generator: str | Path | Generator | None = None, weights_dir: str | Path | None = None,
                      device: str = "auto") -> Generator:
    """A Generator object, a path to a generator file, a file name looked up in the weights store,
    or (None) the generator `vidinvert edit` would use with no model options."""
    if isinstance(generator, Generator):
        return generator
    if generator is None:
        from vidinvert.loading import load_models

        return load_models(weights_dir=weights_dir, device=device).G
    device = resolve_device(device)
    path = Path(generator)
    if not path.is_file():
        if path.parent != Path("."):
            raise WeightsError(f"generator file not found: {path}")
        path = require_weights(str(generator), weights_dir, flag="--generator")
    return load_generator(path, device=device)


def parse_strengths(spec: str) -> tuple[float, ...]:
    """'-3,0,3' -> (-3.0, 0.0, 3.0)."""
    try:
        values = tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values:
        raise VidinvertError(f"bad strengths {spec!r}: give numbers separated by commas, e.g. -3,0,3")
    return values


@torch.no_grad()
def contact_sheet(G: Generator, directions: Sequence[Direction], strengths: Sequence[float], seed: int = 0,
                  truncation: float = 0.7, tile: int = 128, noise: str = "stored") -> np.ndarray:
    """A labelled grid (H,W,3) uint8: one row per direction, one column per strength, one sampled face."""
    if not directions:
        raise VidinvertError("no directions to show")
    w = G.sample_w(1, seed=seed, truncation=truncation)
    wplus = w.unsqueeze(1).expand(len(strengths), G.n_latent, G.style_dim)
    rows = []
    for direction in directions:
        edited = apply_edits(wplus, [(direction, torch.tensor(strengths, dtype=wplus.dtype))])
        rows.append(to_uint8(G.synthesize(edited, noise=noise), tile))
    label_w, label_h = 96, 16
    sheet = Image.new("RGB", (label_w + tile * len(strengths), label_h + tile * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for c, s in enumerate(strengths):
        draw.text((label_w + c * tile + 4, 2), f"{s:+g}", fill="black", font=font)
    for r, (direction, images) in enumerate(zip(directions, rows)):
        draw.text((4, label_h + r * tile + tile // 2 - 6), direction.name[:14], fill="black", font=font)
        for c, image in enumerate(images):
            sheet.paste(Image.fromarray(image), (label_w + c * tile, label_h + r * tile))
    return np.asarray(sheet)


def save_image(image: np.ndarray, path: str | Path) -> Path:
    """Write a uint8 RGB image (PNG by extension), atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format=(path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG"))
    return path
