"""Where the bundled demo model's files live inside the package (no model code imported)."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
GENERATOR_FILE = DEMO_DIR / "generator.pt"
ENCODER_FILE = DEMO_DIR / "encoder.pt"
RESTORE_SR4_FILE = DEMO_DIR / "restore_sr4.pt"  # `vidinvert restore`'s default encoder
DIRECTIONS_DIR = DEMO_DIR / "directions"
MODEL_CARD = DEMO_DIR / "MODEL_CARD.md"


def is_demo_generator_file(path: str | os.PathLike) -> bool:
    """Whether `path` is the bundled generator file (its directions belong to what loads from it)."""
    return Path(path).is_file() and GENERATOR_FILE.is_file() and os.path.samefile(path, GENERATOR_FILE)


def demo_model_present() -> bool:
    """Whether this installation carries the demo model's generator and encoder."""
    return GENERATOR_FILE.is_file() and ENCODER_FILE.is_file()


def demo_direction_names() -> list[str]:
    """The names of the directions bundled with the demo model (`--attr NAME`)."""
    if not DIRECTIONS_DIR.is_dir():
        return []
    return sorted({p.stem.removesuffix("_boundary") for p in DIRECTIONS_DIR.iterdir() if p.is_file()})
