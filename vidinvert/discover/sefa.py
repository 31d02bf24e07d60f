"""`vidinvert directions sefa`: the closed-form factorisation's directions of a generator
(`vidinvert.edit.factorisation`), saved with their eigenvalues and a contact sheet."""

from __future__ import annotations

import json
import logging
from pathlib import Path


from vidinvert.edit.directions import parse_layers, save_direction
from vidinvert.edit.factorisation import SefaResult, modulation_keys, sefa  # noqa: F401 (the names live on here)
from vidinvert.discover.render import contact_sheet, parse_strengths, resolve_generator, save_image
from vidinvert.errors import VidinvertError
from vidinvert.models import Generator

log = logging.getLogger(__name__)


def sefa_directions(generator: str | Path | Generator | None = None, output: str | Path = "sefa",
                    layers: str | None = None, num: int = 10, include_torgb: bool = False,
                    strengths: str = "-6,-3,0,3,6", seed: int = 0, truncation: float = 0.7, tile: int = 128,
                    sheet: bool = True, weights_dir: str | Path | None = None, device: str = "auto") -> SefaResult:
    """Find SeFa directions for a generator; write OUTPUT/sefa_NN.npz, eigenvalues.json and contact_sheet.png."""
    G = resolve_generator(generator, weights_dir, device)
    chosen = parse_layers(layers) if layers else None
    if chosen and max(chosen) >= G.n_latent:
        raise VidinvertError(f"layers {layers} exceed this generator's {G.n_latent} latent layers")
    result = sefa(G.state_dict(), chosen, num, include_torgb)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    directions = result.directions()
    for d in directions:
        save_direction(d, out / f"{d.name}.npz")
    summary = {"layers": list(result.layers), "include_torgb": include_torgb,
               "eigenvalues": [round(float(e), 6) for e in result.eigenvalues]}
    (out / "eigenvalues.json").write_text(json.dumps(summary, indent=1) + "\n")
    if sheet:
        image = contact_sheet(G, directions, parse_strengths(strengths), seed, truncation, tile)
        save_image(image, out / "contact_sheet.png")
    log.info("wrote %d SeFa directions for layers %s to %s", len(directions), result.layers, out)
    return result
