"""Rendering for direction discovery: finding the generator, images to uint8, contact sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

from vidinvert.edit.directions import Direction, apply_edits
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.models import Generator, load_generator
from vidinvert.weights import require_weights

DEFAULT_GENERATOR = "stylegan2-ffhq-config-f.pt"


def resolve_generator(generator: str | Path | Generator = DEFAULT_GENERATOR, weights_dir: str | Path | None = None,
                      device: str = "cpu") -> Generator:
    """A Generator object, a path to a generator file, or a file name looked up in the weights store."""
    if isinstance(generator, Generator):
        return generator
    path = Path(generator)
    if not path.is_file():
        if path.parent != Path("."):
            raise WeightsError(f"generator file not found: {path}")
        path = require_weights(str(generator), weights_dir, flag="--generator")
    return load_generator(path, device=device)


def to_uint8(images: torch.Tensor, size: int | None = None) -> np.ndarray:
    """(B,3,H,W) images in [-1,1] -> (B,size,size,3) uint8 RGB, area-resized when size is given."""
    images = images.detach().float()
    if size is not None and size != images.shape[-1]:
        images = F.interpolate(images, size=(size, size), mode="area" if size < images.shape[-1] else "bilinear")
    out = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return out.permute(0, 2, 3, 1).cpu().numpy()


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
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    Image.fromarray(image).save(partial, format=(path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG"))
    partial.replace(path)
    return path
