"""A generator and encoder loaded together, with the facts that belong to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.stylegan2 import Generator


@dataclass(frozen=True)
class LoadedModels:
    """`G` and `E` of one run. `directions_dir`: the folder of directions made for this generator
    (searched first for `--attr NAME`; the bundled demo model's), None when it has none;
    `source`: where the models came from, in words; `init_encoder`: the encoder whose inversion starts
    E's at cold starts (`--init-encoder`), None without. Unpacks as `G, E = models`."""

    G: Generator
    E: InversionEncoder
    directions_dir: Path | None = None
    source: str = "given"
    init_encoder: InversionEncoder | None = None

    def __iter__(self) -> Iterator[Generator | InversionEncoder]:
        return iter((self.G, self.E))
