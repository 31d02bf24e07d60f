"""Latent directions that make the generator's face perform an expression defined by its motion.

For an expression of `vidinvert.face.expressions` the generator is asked, through its own renders,
which latent move makes its face do it. At a few anchor latents (the average face and seeded faces
pulled towards it by `PSI`, as the warp's renders are), each of `BASIS` SeFa directions of the
coarse and middle layers is stepped once; the face mesh on each render against the anchor's render
gives the local Jacobian of every mesh point's motion (the head's rigid motion taken out) and of the
face's mean colour. One least-squares solve over all anchors finds the combination whose motion is
the target and whose colour change is zero, with a ridge that keeps the move small (identity).

The result is an ordinary W+ direction of strength 1 = the target motion. It works with any
generator, official files included, and needs no labelled data; it is solved once per generator
and expression in a process (about BASIS x ANCHORS renders and meshes).
"""

from __future__ import annotations

import weakref

import cv2
import numpy as np
import torch

from vidinvert.edit.directions import Direction
from vidinvert.edit.sefa import sefa
from vidinvert.errors import VidinvertError
from vidinvert.face import mesh_indices as mi
from vidinvert.face.expressions import EXPRESSIONS, face_axes, target_motion
from vidinvert.face.render_motion import RenderMesh, expression_displacement
from vidinvert.images import to_uint8
from vidinvert.models import Generator
from vidinvert.models.stylegan2 import NoiseSpec

ANCHORS = 4  # seeded faces besides the average one
PSI = 0.7
BASIS = 48
LAYERS = tuple(range(8))
STEP = 6.0  # the finite-difference step along each unit SeFa direction
#: Weight of the face's mean colour change (per 100 levels) against its motion (per eye distance).
COLOUR_WEIGHT = 1.0
RIDGE = 0.0005
SOURCE_FORMAT = "expression"

_solved: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def expression_direction(G: Generator, name: str, noise: NoiseSpec = "stored",
                         anchors: torch.Tensor | None = None) -> Direction:
    """The W+ direction along which `G`'s face performs expression `name` (strength 1: its target),
    solved at `anchors` (A, n_latent, style_dim) W+ latents (a clip's own faces), or, without them,
    at the average face and seeded faces (`anchor_latents`, solved once per generator)."""
    if name not in EXPRESSIONS:
        raise VidinvertError(f"unknown expression {name!r}; choose one of {', '.join(EXPRESSIONS)}")
    if anchors is not None:
        return _solve(G, name, noise, anchors)
    cache = _solved.setdefault(G, {})
    if name not in cache:
        cache[name] = _solve(G, name, noise, anchor_latents(G))
    return cache[name]


def anchor_latents(G: Generator) -> torch.Tensor:
    """(1 + ANCHORS, n_latent, style_dim): the average latent and seeded faces pulled towards it by PSI."""
    gen = torch.Generator(device="cpu").manual_seed(0)
    z = torch.randn(ANCHORS, G.style_dim, generator=gen).to(G.latent_avg.device)
    with torch.no_grad():
        w = G.mapping(z, truncation=PSI, truncation_latent=G.latent_avg.reshape(1, -1))
    w = torch.cat([G.latent_avg.reshape(1, -1), w])
    return w[:, None].expand(-1, G.n_latent, -1).contiguous()


def pulled(G: Generator, wplus: torch.Tensor) -> torch.Tensor:
    """W+ latents pulled towards the average latent by PSI, where the warp's renders are drawn."""
    return G.latent_avg + PSI * (wplus - G.latent_avg)


def basis(G: Generator) -> torch.Tensor:
    """(BASIS, style_dim) unit SeFa directions of the layers an expression lives in."""
    layers = [i for i in LAYERS if i < G.n_latent]
    return sefa(G.state_dict(), layers=layers, num=BASIS).vectors.to(G.latent_avg.device)


def render(G: Generator, wplus: torch.Tensor, noise: NoiseSpec) -> np.ndarray:
    """uint8 (B, S, S, 3) renders of W+ latents (B, n_latent, style_dim)."""
    with torch.no_grad():
        return to_uint8(G.synthesize(wplus.contiguous(), noise=noise))


def _mean_colour(render_image: np.ndarray, points: np.ndarray) -> np.ndarray:
    mask = np.zeros(render_image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.rint(points[list(mi.FACE_OVAL)] * 16).astype(np.int32)], 1, shift=4)
    return render_image[mask.astype(bool)].astype(np.float64).mean(axis=0) if mask.any() else np.zeros(3)


def _solve(G: Generator, name: str, noise: NoiseSpec, anchors: torch.Tensor) -> Direction:
    directions = basis(G)
    layers = [i for i in LAYERS if i < G.n_latent]
    steps = torch.zeros(len(directions), G.n_latent, G.style_dim, device=directions.device)
    steps[:, layers] = STEP * directions[:, None]
    mesh = RenderMesh()
    rows, targets = [], []
    try:
        for w in anchors.to(directions.device):
            stepped = torch.cat([w[None], w[None] + steps])
            images = [image for image in render(G, stepped, noise)]
            found = [mesh.points(image) for image in images]
            if found[0] is None:
                continue
            base = found[0]
            _, _, d = face_axes(base)
            motion, weight = target_motion(name, base)
            root = np.sqrt(np.repeat(weight, 2))
            colour = _mean_colour(images[0], base)
            columns = []
            for image, points in zip(images[1:], found[1:]):
                if points is None:  # a step that loses the face says nothing: no column weight
                    columns.append(np.zeros(2 * len(base) + 3))
                    continue
                _, moved = expression_displacement(base, points)  # base - stepped: the points' motion is -moved
                response = -moved.reshape(-1) / d * root
                colour_change = (_mean_colour(image, points) - colour) / 100.0 * COLOUR_WEIGHT
                columns.append(np.concatenate([response, colour_change]))
            rows.append(np.stack(columns, axis=1))
            targets.append(np.concatenate([motion.reshape(-1) / d * root, np.zeros(3)]))
    finally:
        mesh.close()
    if not rows:
        raise VidinvertError(f"the face mesh finds no face in this generator's renders: cannot solve {name!r}")
    A, b = np.vstack(rows), np.concatenate(targets)
    k = A.shape[1]
    coefficients = np.linalg.solve(A.T @ A + RIDGE * len(rows) * np.eye(k), A.T @ b)
    vector = STEP * (torch.as_tensor(coefficients, dtype=torch.float32, device=directions.device) @ directions)
    return Direction(vector[None].cpu(), tuple(layers), name, SOURCE_FORMAT)
