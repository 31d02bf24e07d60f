"""Editing directions: one in-memory form for every file format, and applying them to W+ latents.

A `Direction` is a W+ offset, the latent layers it is added to and a strength scale:
``edit(w, d, s) = w + s * d.scale * d.offset`` on ``d.layers``. It may also name the strength an edit
that gives none is made at (`default_strength`, 1 unless the file says otherwise).

Generators with fewer latent layers than the 18 of FFHQ 1024 (14 at 256 px): latent i drives the
same resolution in every StyleGAN2 (4, 4, 8, 8, 16, ...), so an 18-row direction applies its first
``n_latent`` rows and the rows for layers the generator lacks are dropped. A one-row (1,512)
direction is the same vector on every layer and fits any generator.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from vidinvert.edit.direction_formats import FOLDER_HINTS, FORMATS, STYLE_DIM
from vidinvert.files import atomic_path
from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Direction:
    """A W+ edit direction.

    offset: (rows, style_dim) float32; rows == 1 means the same vector on every edited layer,
        otherwise row i is the offset of latent layer i.
    layers: the latent layers edited; None means every layer of the generator.
    scale: the user's strength is multiplied by this (FSE files: 15, STIT files: 0.5).
    default_strength: the strength of an edit along it that names none (`--attr smile`): the one
        its author found clearly visible; 1 for files that carry none.
    """

    offset: torch.Tensor
    layers: tuple[int, ...] | None
    name: str
    source_format: str
    scale: float = 1.0
    default_strength: float = 1.0

    def with_layers(self, layers: Sequence[int] | None) -> "Direction":
        """The same direction restricted to (or widened to) other latent layers."""
        return replace(self, layers=None if layers is None else tuple(sorted(set(int(i) for i in layers))))

    def delta(self, n_latent: int, style_dim: int = STYLE_DIM) -> torch.Tensor:
        """The (n_latent, style_dim) W+ offset of strength 1 for a generator with n_latent layers."""
        rows, dim = self.offset.shape
        if dim != style_dim:
            raise VidinvertError(
                f"direction {self.name!r} has dimension {dim}, but this generator's style dimension is {style_dim}"
            )
        if self.layers is None:
            layers = list(range(n_latent))
        else:
            layers = [i for i in self.layers if i < n_latent]
            if not layers:
                raise VidinvertError(
                    f"direction {self.name!r} edits layers {_format_layers(self.layers)}, "
                    f"but this generator has only {n_latent} latent layers"
                )
        if rows > 1 and max(layers) >= rows:
            raise VidinvertError(
                f"direction {self.name!r} has {rows} layer rows, but layer {max(layers)} of this "
                f"{n_latent}-layer generator is to be edited"
            )
        out = torch.zeros(n_latent, style_dim, dtype=torch.float32)
        index = torch.tensor(layers)
        out[index] = self.offset[index] if rows > 1 else self.offset[0].expand(len(layers), dim)
        return out * float(self.scale)


def edit(w: torch.Tensor, direction: Direction, strength: float | torch.Tensor) -> torch.Tensor:
    """Move W+ latents (B, n_latent, D) or (n_latent, D) along a direction.

    strength is a number or a (B,) tensor (one strength per frame); strength 0 returns w unchanged.
    """
    return apply_edits(w, [(direction, strength)])


def apply_edits(w: torch.Tensor, edits: Sequence[tuple[Direction, float | torch.Tensor]]) -> torch.Tensor:
    """Add several directions at once: w + sum_i strength_i * delta_i."""
    if w.dim() not in (2, 3):
        raise ValueError(f"W+ latents must be (B, n_latent, D) or (n_latent, D), got {tuple(w.shape)}")
    n_latent, style_dim = w.shape[-2:]
    out = w
    for direction, strength in edits:
        delta = direction.delta(n_latent, style_dim).to(device=w.device, dtype=w.dtype)
        if isinstance(strength, torch.Tensor) and strength.dim() > 0:
            if w.dim() != 3 or strength.shape != (w.shape[0],):
                raise ValueError(f"per-frame strengths must be ({w.shape[0]},), got {tuple(strength.shape)}")
            out = out + strength.to(device=w.device, dtype=w.dtype)[:, None, None] * delta
        else:
            out = out + float(strength) * delta
    return out


def load_direction(path: str | Path, format: str | None = None, name: str | None = None) -> Direction:
    """Read a direction file of any circulating format (see direction_formats.FORMATS).

    The format is detected from the array's shape and dtype, and for (18,512) files from the folder
    the official repository ships them in; `format` overrides the detection.
    """
    path = Path(path)
    if not path.is_file():
        raise VidinvertError(f"direction file not found: {path}")
    if format is not None and format not in FORMATS:
        raise VidinvertError(f"unknown direction format {format!r}; known: {', '.join(FORMATS)}")
    name = name or _name_from_path(path)
    if path.suffix == ".npz":
        if format not in (None, "vidinvert"):
            raise VidinvertError(f"{path}: a .npz file is a vidinvert direction, not {format!r}")
        return _load_own(path, name)
    array = _read_array(path)
    fmt = format or _detect_format(path, array)
    direction = _from_array(array, fmt, name, path)
    log.debug("loaded direction %s from %s as %s", name, path, fmt)
    return direction


def save_direction(direction: Direction, path: str | Path) -> Path:
    """Write a direction in vidinvert's own .npz form (offset, layers, scale, default strength, name,
    source format)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise VidinvertError(f"vidinvert directions are saved as .npz, got {path.name}")
    arrays = {
        "offset": direction.offset.detach().cpu().numpy().astype(np.float32),
        "scale": np.float64(direction.scale),
        "default_strength": np.float64(direction.default_strength),
        "name": np.str_(direction.name),
        "source_format": np.str_(direction.source_format),
    }
    if direction.layers is not None:
        arrays["layers"] = np.asarray(direction.layers, dtype=np.int64)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def parse_layers(spec: str) -> tuple[int, ...]:
    """Parse a layer selection such as '0-7', '0,2,4' or '0-3,8-9' into sorted layer indices."""
    layers: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                layers.update(range(lo, hi + 1))
            else:
                layers.add(int(part))
        except ValueError:
            raise VidinvertError(f"bad layer selection {spec!r}: use ranges and lists such as 0-7 or 0,2,4-6") from None
    if not layers or min(layers) < 0:
        raise VidinvertError(f"bad layer selection {spec!r}: use ranges and lists such as 0-7 or 0,2,4-6")
    return tuple(sorted(layers))


def _format_layers(layers: Sequence[int]) -> str:
    return f"{min(layers)}-{max(layers)}" if list(layers) == list(range(min(layers), max(layers) + 1)) else ",".join(
        str(i) for i in layers
    )


def _name_from_path(path: Path) -> str:
    stem = path.stem
    return stem[: -len("_boundary")] if stem.endswith("_boundary") else stem


def _read_array(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        elif path.suffix in (".pt", ".pth"):
            obj = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(obj, torch.Tensor):
                raise VidinvertError(f"{path}: expected a tensor in the direction file, found {type(obj).__name__}")
            array = obj.detach().cpu().numpy()
        else:
            raise VidinvertError(f"{path}: unknown direction file type {path.suffix!r} (use .npy, .pt, .pth or .npz)")
    except VidinvertError:
        raise
    except Exception as exc:  # unreadable or corrupt files of any kind
        raise VidinvertError(f"cannot read direction file {path}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
        raise VidinvertError(f"{path}: a direction must hold finite floating-point numbers (found {array.dtype})")
    return array


def _detect_format(path: Path, array: np.ndarray) -> str:
    shape = array.shape
    if shape in ((STYLE_DIM,), (1, STYLE_DIM)):
        return "e4e" if path.suffix in (".pt", ".pth") else "interfacegan"
    if len(shape) == 3 and shape[0] == 1 and shape[2] == STYLE_DIM:
        return "e4e-pose"
    if len(shape) == 2 and shape[0] == 1 and shape[1] % STYLE_DIM == 0:
        return "fse"
    if len(shape) == 2 and shape[1] == STYLE_DIM:
        hint = _folder_hint(path)
        if hint in ("e2style", "stit"):
            return hint
        raise VidinvertError(
            f"{path}: a {shape} direction may be E2Style (layers 0-7) or STIT (row 0, half strength); "
            "pass the format explicitly (e2style or stit)"
        )
    raise VidinvertError(f"{path}: unrecognised direction shape {shape} (expected (1,512), (1,18,512), (18,512) or (1,9216))")


def _folder_hint(path: Path) -> str | None:
    for part in reversed(path.parts[:-1]):
        if part in FOLDER_HINTS:
            return FOLDER_HINTS[part]
    lowered = path.stem.lower()
    for fmt in ("e2style", "stit"):
        if fmt in lowered:
            return fmt
    return None


def _from_array(array: np.ndarray, fmt: str, name: str, path: Path) -> Direction:
    spec = FORMATS[fmt]
    shape = array.shape
    if fmt in ("interfacegan", "e4e"):
        if array.size != shape[-1] or len(shape) > 2:
            raise VidinvertError(f"{path}: a {fmt} direction is (1,D), got {shape}")
        rows = array.reshape(1, -1)
    elif fmt == "e4e-pose":
        if len(shape) != 3 or shape[0] != 1:
            raise VidinvertError(f"{path}: an e4e pose direction is (1,n_latent,D), got {shape}")
        rows = array[0]
    elif fmt == "fse":
        if len(shape) != 2 or shape[0] != 1 or shape[1] % STYLE_DIM:
            raise VidinvertError(f"{path}: an FSE boundary is (1, n_latent*{STYLE_DIM}), got {shape}")
        rows = array.reshape(-1, STYLE_DIM)
    elif fmt in ("e2style", "stit"):
        if len(shape) != 2 or shape[0] < 2:
            raise VidinvertError(f"{path}: a {fmt} direction is (n_latent,D), got {shape}")
        rows = array[:1] if spec.first_row_only else array
    else:  # vidinvert arrays come through _load_own
        raise VidinvertError(f"{path}: format {fmt!r} cannot be read from a {path.suffix} file")
    offset = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))
    return Direction(offset=offset, layers=spec.layers, name=name, source_format=fmt, scale=spec.scale)


def _load_own(path: Path, name: str) -> Direction:
    try:
        with np.load(path, allow_pickle=False) as data:
            offset = data["offset"]
            layers = tuple(int(i) for i in data["layers"]) if "layers" in data.files else None
            scale = float(data["scale"]) if "scale" in data.files else 1.0
            default_strength = float(data["default_strength"]) if "default_strength" in data.files else 1.0
            stored_name = str(data["name"]) if "name" in data.files else name
            source = str(data["source_format"]) if "source_format" in data.files else "vidinvert"
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise VidinvertError(f"cannot read direction file {path}: {exc}".splitlines()[0]) from None
    if offset.ndim != 2 or offset.dtype.kind != "f" or not np.all(np.isfinite(offset)):
        raise VidinvertError(f"{path}: offset must be a finite (rows, D) float array, got {offset.shape} {offset.dtype}")
    if layers is not None and (not layers or min(layers) < 0):
        raise VidinvertError(f"{path}: bad layer list {layers}")
    if not np.isfinite(default_strength):
        raise VidinvertError(f"{path}: default strength must be finite, got {default_strength}")
    return Direction(torch.from_numpy(offset.astype(np.float32)), layers, stored_name, source, scale, default_strength)
