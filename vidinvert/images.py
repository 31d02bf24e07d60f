"""Images at the edges (uint8 HWC RGB: read from and written to files, converted from and to the models'
float NCHW in [-1, 1])."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, PngImagePlugin

from vidinvert.errors import VidinvertError
from vidinvert.files import atomic_path


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """A photo as uint8 (H, W, 3) RGB, upright as viewers show it (its EXIF orientation applied: phones
    store portraits sideways); a VidinvertError when it is missing or cannot be read as an image."""
    if not Path(path).is_file():
        raise VidinvertError(f"cannot read the photo {path}: it does not exist")
    try:
        with Image.open(path) as img:
            return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except (OSError, ValueError) as error:
        raise VidinvertError(f"cannot read the photo {path}: {error}") from None


def to_model_input(images: np.ndarray) -> torch.Tensor:
    """uint8 RGB (H, W, 3) or (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    tensor = torch.from_numpy(np.array(images, dtype=np.float32))  # a copy: frames may be read-only views
    if tensor.ndim == 3:
        tensor = tensor[None]
    return tensor.permute(0, 3, 1, 2) / 127.5 - 1.0


def to_uint8(images: torch.Tensor, size: int | None = None) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, size, size, 3) RGB, area-resized when size is given."""
    images = images.detach().float()
    if size is not None and size != images.shape[-1]:
        images = F.interpolate(images, size=(size, size), mode="area" if size < images.shape[-1] else "bilinear")
    out = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return out.permute(0, 2, 3, 1).cpu().numpy()


#: Extensions a picture output may have (the format is chosen by it).
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: The picture outputs that hold a text comment: a PNG text chunk `Comment`, a JPEG COM segment.
COMMENT_SUFFIXES = (".png", ".jpg", ".jpeg")


def check_picture_target(path: str | os.PathLike, overwrite: bool, overwrite_hint: str = "overwrite=True",
                         comment: bool = False) -> Path:
    """`path` as a Path after checking a picture may be written there: a known image extension (one
    that holds a text comment, with `comment`), an existing folder, no file there unless `overwrite`."""
    target = Path(path)
    suffixes = COMMENT_SUFFIXES if comment else PICTURE_SUFFIXES
    if target.suffix.lower() not in suffixes:
        raise VidinvertError(f"output {target} must be a picture ({', '.join(suffixes)})"
                             + (": only these carry the output's comment tag" if comment else ""))
    if not target.parent.is_dir():
        raise VidinvertError(f"output directory {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise VidinvertError(f"output {target} already exists; pass {overwrite_hint} to replace it")
    return target


def write_rgb(path: str | os.PathLike, image: np.ndarray, comment: str | None = None) -> Path:
    """Write uint8 RGB (H, W, 3) to `path` (format by extension): the file appears only when complete.
    A `comment` is stored as PNG text (key `Comment`) or a JPEG comment; other formats refuse one."""
    target = Path(path)
    image_format = Image.registered_extensions()[target.suffix.lower()]
    params = _comment_params(image_format, comment)
    with atomic_path(target) as tmp:
        Image.fromarray(image).save(tmp, format=image_format, **params)
    return target


def _comment_params(image_format: str, comment: str | None) -> dict:
    """PIL's save parameters storing `comment` in a picture of `image_format`."""
    if comment is None:
        return {}
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", comment)
        return {"pnginfo": text}
    if image_format == "JPEG":
        return {"comment": comment.encode()}
    raise VidinvertError(f"a {image_format} picture cannot hold a comment; write .png or .jpg")
