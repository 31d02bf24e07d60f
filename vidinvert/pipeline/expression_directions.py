"""Latent directions that make the generator's face perform an expression defined by its motion.

For an expression of `vidinvert.face.expression_targets` the generator is asked, through its own
renders, which latent move makes its face do it. At a few anchor latents (the clip's first face
pulled towards the average face about as far as the warp's renders are), each of `BASIS` SeFa
directions of the coarse and middle layers is stepped both ways; the face mesh on each render
gives how much of the target motion the step makes (the head's rigid motion taken out) and how
much it changes the face's mean colour. The steepest ascent of the target, with the colour's
gradients projected out, is the direction; its length is set so that the anchors' renders make the
target motion at strength 1, or as much of it as they make while staying the same face (the other
points within MAX_DRIFT of the eye distance).

The result is an ordinary W+ direction. It works with any
generator, official files included, and needs no labelled data; it is solved at each clip's first
face (about 2 x BASIS x len(CLIP_PSIS) renders and meshes).
"""

from __future__ import annotations

import numpy as np
import torch

from vidinvert.edit.directions import Direction
from vidinvert.edit.factorisation import sefa
from vidinvert.errors import VidinvertError
from vidinvert.face import mesh_indices as mi
from vidinvert.face.mask import polygon_mask
from vidinvert.face.expression_targets import EXPRESSIONS, face_axes, target_motion
from vidinvert.face.render_motion import RenderMesh, expression_displacement
from vidinvert.images import to_uint8
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec

PSI = 0.7
CLIP_PSIS = (0.6, 0.7, 0.8)
BASIS = 32
LAYERS = tuple(range(8))
STEP = 6.0  # the finite-difference step along each unit SeFa direction
#: Weight of the face's mean colour change (per 100 levels) against its motion (per eye distance).
COLOUR_WEIGHT = 1.0
#: Lengths along the solved direction tried when scaling it so that strength 1 meets the target.
LENGTHS = (2.0, 4.0, 6.0, 9.0, 12.0, 16.0, 22.0, 30.0)
#: The most the points an expression leaves alone may move (mean, over d) before the face is
#: taken as no longer the same.
MAX_DRIFT = 0.06
SOURCE_FORMAT = "expression"

def expression_direction(G: Generator, name: str, anchors: torch.Tensor, noise: NoiseSpec = "stored") -> Direction:
    """The W+ direction along which `G`'s face performs expression `name` (strength 1: its target),
    solved at `anchors` (A, n_latent, style_dim), W+ latents of one face (`pulled`)."""
    if name not in EXPRESSIONS:
        raise VidinvertError(f"unknown expression {name!r}; choose one of {', '.join(EXPRESSIONS)}")
    return _solve(G, name, noise, anchors)


def unsolved(G: Generator, name: str) -> Direction:
    """The place of expression `name` in a run before its first face: a zero W+ direction that the
    editing stage replaces with `expression_direction` at that face."""
    if name not in EXPRESSIONS:
        raise VidinvertError(f"unknown expression {name!r}; choose one of {', '.join(EXPRESSIONS)}")
    layers = tuple(i for i in LAYERS if i < G.n_latent)
    return Direction(torch.zeros(1, G.style_dim), layers, name, SOURCE_FORMAT)


def pulled(G: Generator, wplus: torch.Tensor) -> torch.Tensor:
    """Anchors (len(CLIP_PSIS), n_latent, style_dim) for one face's W+ latents: pulled towards the
    average latent about as far as the warp's renders are (PSI), a little less and a little more,
    so that the mesh's noise on any one render averages out."""
    return torch.stack([G.latent_avg + psi * (wplus - G.latent_avg) for psi in CLIP_PSIS])


def basis(G: Generator) -> torch.Tensor:
    """(BASIS, style_dim) unit SeFa directions of the layers an expression lives in."""
    layers = [i for i in LAYERS if i < G.n_latent]
    return sefa(G.state_dict(), layers=layers, num=BASIS).vectors.to(G.latent_avg.device)


def render(G: Generator, wplus: torch.Tensor, noise: NoiseSpec) -> np.ndarray:
    """uint8 (B, S, S, 3) renders of W+ latents (B, n_latent, style_dim)."""
    with torch.no_grad():
        return to_uint8(G.synthesize(wplus.contiguous(), noise=noise))


def _mean_colour(render_image: np.ndarray, points: np.ndarray) -> np.ndarray:
    mask = polygon_mask(points[list(mi.FACE_OVAL)], render_image.shape).astype(bool)
    return render_image[mask].astype(np.float64).mean(axis=0) if mask.any() else np.zeros(3)


def _solve(G: Generator, name: str, noise: NoiseSpec, anchors: torch.Tensor) -> Direction:
    directions = basis(G)
    layers = [i for i in LAYERS if i < G.n_latent]
    steps = torch.zeros(len(directions), G.n_latent, G.style_dim, device=directions.device)
    steps[:, layers] = STEP * directions[:, None]
    mesh = RenderMesh()
    try:
        gradients = [g for g in (_gradient(G, name, noise, w, steps, mesh) for w in anchors.to(steps.device))
                     if g is not None]
        if not gradients:
            raise VidinvertError(f"the face mesh finds no face in this generator's renders: cannot solve {name!r}")
        motion, colour = (np.mean([g[i] for g in gradients], axis=0) for i in range(2))
        # steepest ascent of the target motion with the colour's gradients projected out
        q, _ = np.linalg.qr(colour)
        ascent = motion - q @ (q.T @ motion)
        unit = torch.as_tensor(ascent / max(np.linalg.norm(ascent), 1e-12), dtype=torch.float32) @ directions.cpu()
        unit = unit / unit.norm().clamp_min(1e-12)
        size = _calibrate(G, name, noise, anchors.to(steps.device), unit.to(steps.device), layers, mesh)
    finally:
        mesh.close()
    return Direction((size * unit)[None].cpu(), tuple(layers), name, SOURCE_FORMAT)


def _progress(name: str, base: np.ndarray, points: np.ndarray) -> tuple[float, float]:
    """(share of the target motion reached, the other points' mean motion over d) from two meshes."""
    target, weight = target_motion(name, base)
    _, moved = expression_displacement(base, points)
    motion = -moved
    chosen = weight == 1
    _, _, d = face_axes(base)
    reached = float((motion[chosen] * target[chosen]).sum() / max((target[chosen] ** 2).sum(), 1e-12))
    return reached, float(np.linalg.norm(motion[~chosen], axis=1).mean() / d)


def _gradient(G: Generator, name: str, noise: NoiseSpec, w: torch.Tensor, steps: torch.Tensor,
              mesh: RenderMesh) -> tuple[np.ndarray, np.ndarray] | None:
    """Central differences at W+ latents w of the share of the target reached (BASIS,) and of the
    face's mean colour per 100 levels (BASIS, 3), per unit step along each basis direction."""
    images = render(G, torch.cat([w[None], w[None] + steps, w[None] - steps]), noise)
    found = [mesh.points(image) for image in images]
    base = found[0]
    if base is None:
        return None
    k = len(steps)
    motion, colour = np.zeros(k), np.zeros((k, 3))
    for i in range(k):
        plus, minus = found[1 + i], found[1 + k + i]
        if plus is None or minus is None:  # a step that loses the face says nothing
            continue
        motion[i] = (_progress(name, base, plus)[0] - _progress(name, base, minus)[0]) / 2
        colour[i] = (_mean_colour(images[1 + i], plus) - _mean_colour(images[1 + k + i], minus)) / 200.0
    return motion, colour * COLOUR_WEIGHT


def _calibrate(G: Generator, name: str, noise: NoiseSpec, anchors: torch.Tensor, unit: torch.Tensor,
               layers: list[int], mesh: RenderMesh) -> float:
    """The length along `unit` at which the anchors' renders reach the target, or the longest that
    keeps the face (found by the mesh, the other points within MAX_DRIFT of d) when none does."""
    offset = torch.zeros(G.n_latent, G.style_dim, device=unit.device)
    offset[layers] = unit
    bases = [mesh.points(image) for image in render(G, anchors, noise)]
    best, best_reached = LENGTHS[0], -np.inf
    previous = (0.0, 0.0)
    for length in LENGTHS:
        reached = []
        for base, image in zip(bases, render(G, anchors + length * offset, noise)):
            points = mesh.points(image)
            if base is None or points is None:
                return best
            share, drift = _progress(name, base, points)
            if drift > MAX_DRIFT:
                return best
            reached.append(share)
        share = float(np.mean(reached))
        if share >= 1.0:  # between the last two lengths, where the target is met
            (l0, s0) = previous
            return float(l0 + (length - l0) * (1.0 - s0) / max(share - s0, 1e-9))
        if share > best_reached:
            best, best_reached = length, share
        previous = (length, share)
    return best
