"""Facts about the editing-direction files in circulation: shapes, dtypes, layers, strength scales.

Every published direction is, once normalised, a W+ offset, the latent layers it is added to, and a
factor its strength is multiplied by. This module is the one place those facts live.
"""

from __future__ import annotations

from dataclasses import dataclass

STYLE_DIM = 512
FFHQ_N_LATENT = 18


@dataclass(frozen=True)
class DirectionFormat:
    """How one family of direction files is laid out and applied."""

    name: str
    description: str
    layers: tuple[int, ...] | None  # None: every latent layer of the generator
    scale: float  # user strength is multiplied by this
    first_row_only: bool = False  # an (18,512) file of which only row 0 is meaningful


FORMATS: dict[str, DirectionFormat] = {
    fmt.name: fmt
    for fmt in (
        DirectionFormat("vidinvert", "vidinvert .npz (offset, layers, scale, name)", None, 1.0),
        DirectionFormat("interfacegan", "InterFaceGAN *_boundary.npy, float64 (1,512), all layers", None, 1.0),
        DirectionFormat("e4e", "e4e / ReStyle interfacegan_directions/*.pt, float32 (1,512), all layers", None, 1.0),
        DirectionFormat("e4e-pose", "e4e / ReStyle pose.pt, float32 (1,18,512), all layers", None, 1.0),
        DirectionFormat("e2style", "E2Style editing_directions/*.npy, float64 (18,512), layers 0-7",
                        tuple(range(8)), 1.0),
        DirectionFormat("stit", "STIT w_directions/*.npy, float64 (18,512), row 0 on all layers, factor/2",
                        None, 0.5, first_row_only=True),
        DirectionFormat("fse", "FeatureStyleEncoder boundaries_ours/*_boundary.npy, (1,9216) flattened W+, x15",
                        None, 15.0),
    )
}

# Folder names the official repositories ship each (18,512) family in; used to tell E2Style from STIT.
FOLDER_HINTS: dict[str, str] = {
    "editing_directions": "e2style",
    "w_directions": "stit",
    "interfacegan_directions": "e4e",
    "boundaries_ours": "fse",
}

DIRECTION_SUFFIXES = (".npz", ".npy", ".pt", ".pth")
