"""InterFaceGAN-style directions fitted on the inversions of real faces.

The boundary is fitted (`fit.fit_linear_direction`) between the W+ inversions of the real photos
whose face-mesh score is in the top and the bottom quantile, the score taken on the real photo.
Each chosen latent layer gets its own row of the direction (inversions differ from layer to layer,
unlike sampled w codes), the rows together a unit vector.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from vidinvert.config import RenderConfig
from vidinvert.edit.directions import Direction, parse_layers, save_direction
from vidinvert.discover.fit import FitResult, fit_linear_direction
from vidinvert.discover.real_check import GAP_POINTS, edit_motion
from vidinvert.discover.real_faces import SCORE_SIZE, load_real_faces
from vidinvert.face.expression import ATTRIBUTES
from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)


def fit_on_inversions(wplus: torch.Tensor, scores: np.ndarray, layers: Sequence[int] | None = None,
                      quantile: float = 0.3, held_out: float = 0.2, seed: int = 0, name: str = "fitted",
                      std_scale: float | None = None) -> FitResult:
    """Fit a direction on W+ latents (N, n_latent, D) with one row per chosen layer (all by default).

    With `std_scale`, strength 1 moves the latents by that many standard deviations of their
    projections on the direction; otherwise strength 1 is a unit step.
    """
    n, n_latent, dim = wplus.shape
    chosen = list(range(n_latent)) if layers is None else sorted(set(int(i) for i in layers))
    if not chosen or max(chosen) >= n_latent or min(chosen) < 0:
        raise VidinvertError(f"layers {chosen} do not fit latents with {n_latent} layers")
    flat = wplus[:, chosen].reshape(n, -1).float()
    result = fit_linear_direction(flat, scores, quantile, held_out, seed=seed, name=name)
    normal = result.direction.offset[0]
    offset = torch.zeros(n_latent, dim)
    offset[chosen] = normal.reshape(len(chosen), dim)
    scale = 1.0 if std_scale is None else std_scale * float((flat @ normal).std())
    return replace(result, direction=Direction(offset, tuple(chosen), name, "fitted", scale))


def fit_real_directions(data: str | Path, attributes: Sequence[str], output: str | Path,
                        generator: str | Path | None = None, encoder: str | Path | None = None,
                        layers: str | None = None, std_scale: float | None = None,
                        default_strength: float = 1.0, steps: int = 5,
                        quantile: float = 0.3, held_out: float = 0.2, seed: int = 0,
                        test_data: str | Path | None = None, strengths: Sequence[float] = (1.0, 2.0),
                        cache_dir: str | Path | None = None, limit: int | None = None,
                        score_size: int = SCORE_SIZE, device: str = "auto") -> dict[str, FitResult]:
    """Fit one direction per attribute on the real faces of `data`; write OUTPUT/<attribute>.npz and .json.

    `default_strength` is stored with each direction (the strength of an edit that names none).
    With `test_data`, the held-out photos there are inverted and each direction is checked on them
    (`real_check.edit_motion`); the numbers go into the .json report.
    """
    from vidinvert.loading import load_models

    unknown = [a for a in attributes if a not in ATTRIBUTES]
    if unknown or not attributes:
        raise VidinvertError(f"unknown attribute(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(ATTRIBUTES)}")
    G, E = load_models(generator, encoder, device=device)
    chosen = parse_layers(layers) if layers else None
    train = load_real_faces(G, E, data, steps, cache_dir, limit, score_size)
    test = load_real_faces(G, E, test_data, steps, cache_dir, None, score_size) if test_data else None
    out = Path(output)
    results = {}
    for attribute in attributes:
        result = fit_on_inversions(train.inversion.wplus, train.scores[attribute], chosen, quantile, held_out,
                                   seed, attribute, std_scale)
        result = replace(result, direction=replace(result.direction, default_strength=float(default_strength)))
        log.info("%s: held-out accuracy %.3f (train %.3f) on %d real faces", attribute, result.accuracy,
                 result.train_accuracy, result.n_scored)
        report = {"attribute": attribute, "data": str(data), "faces": len(train.images), "scored": result.n_scored,
                  "used": result.n_used, "accuracy": result.accuracy, "train_accuracy": result.train_accuracy,
                  "quantile": quantile, "layers": list(result.direction.layers), "steps": steps,
                  "scale": result.direction.scale}
        if test is not None and attribute in GAP_POINTS:
            motion = edit_motion(G, test.inversion, test.images, result.direction, attribute, strengths,
                                 E.feature_index)
            report["check"] = {"data": str(test_data), "faces": len(test.images), "change_from": RenderConfig.change_from,
                               "motion": [asdict(m) for m in motion]}
        save_direction(result.direction, out / f"{attribute}.npz")
        (out / f"{attribute}.json").write_text(json.dumps(report, indent=1) + "\n")
        results[attribute] = result
    return results

