"""InterFaceGAN-style directions: sample latents, render, score, fit a linear boundary in W.

The faces scoring in the top and bottom quantiles become two classes; a linear SVM separates their
w codes and the unit normal of its boundary is the direction (pointing to higher scores). A held-out
part of the labelled samples measures how well the boundary separates them. Conditioning projects
other directions out of the normal (InterFaceGAN's conditional manipulation), so moving along the
result leaves those attributes (to first order) alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.svm import LinearSVC

from vidinvert.edit.directions import Direction, load_direction, parse_layers, save_direction
from vidinvert.discover.render import contact_sheet, parse_strengths, resolve_generator, save_image
from vidinvert.images import to_uint8
from vidinvert.face.expression import FaceMeshScorer, Scorer
from vidinvert.errors import VidinvertError
from vidinvert.models import Generator

log = logging.getLogger(__name__)

MIN_PER_CLASS = 10
#: Margin softness values tried for the separating boundary.
SVM_C_GRID = (1.0, 0.1, 0.01, 0.001)


@dataclass(frozen=True)
class FitResult:
    """A fitted direction and how well its boundary separates the held-out samples."""

    direction: Direction
    accuracy: float  # on held-out samples
    train_accuracy: float
    n_scored: int  # samples with a valid score
    n_used: int  # samples in the two quantile classes


def project_out(normal: torch.Tensor, others: Sequence[torch.Tensor]) -> torch.Tensor:
    """The unit vector of `normal` with the span of `others` removed."""
    if not others:
        return normal / normal.norm()
    basis, _ = torch.linalg.qr(torch.stack([o.double() for o in others], dim=1))
    n = normal.double()
    n = n - basis @ (basis.T @ n)
    norm = n.norm()
    if norm < 1e-8:
        raise VidinvertError("the fitted direction lies in the span of the conditioning directions")
    return (n / norm).to(normal.dtype)


def fit_linear_direction(latents: torch.Tensor | np.ndarray, scores: np.ndarray, quantile: float = 0.3,
                         held_out: float = 0.2, condition: Sequence[torch.Tensor] = (), seed: int = 0,
                         name: str = "fitted", layers: Sequence[int] | None = None) -> FitResult:
    """Fit the boundary between the top and bottom `quantile` of scores among w codes (N, D)."""
    if not 0 < quantile <= 0.5 or not 0 < held_out < 1:
        raise VidinvertError("quantile must be in (0, 0.5] and held_out in (0, 1)")
    w = np.asarray(latents.detach().cpu() if isinstance(latents, torch.Tensor) else latents, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    valid = np.isfinite(scores)
    w, scores = w[valid], scores[valid]
    lo, hi = np.quantile(scores, [quantile, 1 - quantile]) if len(scores) else (0.0, 0.0)
    negative, positive = scores <= lo, scores >= hi
    if positive.sum() < MIN_PER_CLASS or negative.sum() < MIN_PER_CLASS or lo >= hi:
        raise VidinvertError(f"too few distinct scores to fit ({int(valid.sum())} scored samples, "
                             f"{int(positive.sum())} high / {int(negative.sum())} low); sample more")
    X = np.concatenate([w[positive], w[negative]])
    y = np.r_[np.ones(positive.sum()), np.zeros(negative.sum())]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=held_out, random_state=seed, stratify=y)
    mean = X_train.mean(axis=0)
    # Few samples in 512 dimensions separate perfectly at C=1, with a normal made of noise: the
    # margin's softness is chosen by cross-validation on the training part.
    search = GridSearchCV(LinearSVC(max_iter=20_000, random_state=seed), {"C": SVM_C_GRID}, cv=3)
    svm = search.fit(X_train - mean, y_train).best_estimator_
    normal = torch.from_numpy(svm.coef_[0]).float()
    normal = project_out(normal, [c.flatten().float() for c in condition])
    direction = Direction(normal[None], None if layers is None else tuple(layers), name, "fitted")
    return FitResult(direction, float(svm.score(X_test - mean, y_test)), float(svm.score(X_train - mean, y_train)),
                     int(valid.sum()), len(y))


@torch.no_grad()
def sample_and_score(G: Generator, scorer: Scorer, samples: int, batch_size: int = 16, truncation: float = 1.0,
                     seed: int = 0, score_size: int | None = 256) -> tuple[torch.Tensor, np.ndarray]:
    """Sample `samples` w codes, render them (stored noise) and score the images."""
    w = G.sample_w(samples, seed=seed, truncation=truncation)
    scores = []
    for start in range(0, samples, batch_size):
        images = G.synthesize(w[start:start + batch_size], noise="stored")
        size = min(score_size, G.size) if score_size else None
        batch_scores = np.asarray(scorer(to_uint8(images, size)), dtype=np.float64)
        if batch_scores.shape != (len(images),):
            raise ValueError(f"scorer returned shape {batch_scores.shape} for {len(images)} images")
        scores.append(batch_scores)
    return w, np.concatenate(scores)


def direction_vector(direction: Direction) -> torch.Tensor:
    """The W vector of a single-row direction (used for conditioning)."""
    if direction.offset.shape[0] != 1:
        raise VidinvertError(f"conditioning needs a W direction (1, D); {direction.name!r} has one row per layer")
    return direction.offset[0]


def fit_direction(generator: str | Path | Generator | None = None, attribute: str = "smile",
                  output: str | Path | None = None, scorer: Scorer | None = None, samples: int = 2000,
                  batch_size: int = 16, quantile: float = 0.3, held_out: float = 0.2,
                  condition: Sequence[str | Path] = (), layers: str | None = None, truncation: float = 1.0,
                  seed: int = 0, strengths: str = "-3,-1.5,0,1.5,3", sheet: bool = True,
                  std_scale: float | None = None, default_strength: float = 1.0,
                  weights_dir: str | Path | None = None, device: str = "auto") -> FitResult:
    """Fit an attribute direction for a generator; write OUTPUT (.npz) and OUTPUT's .png/.json beside it.

    scorer defaults to the face-mesh scorer of `attribute`; any callable images -> scores works.
    The direction is a unit vector (strength 1 moves w by 1) unless `std_scale` is given: then
    strength 1 moves w by `std_scale` standard deviations of the sampled latents along it, a step
    that means the same for generators whose W spaces have different spreads. `default_strength` is
    stored with it: the strength of an edit that names none.
    """
    G = resolve_generator(generator, weights_dir, device)
    chosen = parse_layers(layers) if layers else None
    conditions = [direction_vector(load_direction(p)) for p in condition]
    own_scorer = scorer is None
    scorer = FaceMeshScorer(attribute) if own_scorer else scorer
    try:
        w, scores = sample_and_score(G, scorer, samples, batch_size, truncation, seed)
    finally:
        if own_scorer:
            scorer.close()
    result = fit_linear_direction(w, scores, quantile, held_out, conditions, seed, attribute, chosen)
    if std_scale is not None:
        spread = float((w.float() @ direction_vector(result.direction).to(w.device)).std())
        result = replace(result, direction=replace(result.direction, scale=std_scale * spread))
    result = replace(result, direction=replace(result.direction, default_strength=float(default_strength)))
    log.info("%s: held-out accuracy %.3f (train %.3f), %d of %d samples scored", attribute, result.accuracy,
             result.train_accuracy, result.n_scored, samples)
    if output is not None:
        out = Path(output).with_suffix(".npz")
        save_direction(result.direction, out)
        report = {"attribute": attribute, "accuracy": result.accuracy, "train_accuracy": result.train_accuracy,
                  "samples": samples, "scored": result.n_scored, "used": result.n_used, "quantile": quantile,
                  "conditioned_on": [str(p) for p in condition], "scale": result.direction.scale}
        out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        if sheet:
            image = contact_sheet(G, [result.direction], parse_strengths(strengths), seed, 0.7)
            save_image(image, out.with_suffix(".png"))
    return result
