"""Does a direction move real faces the right way? Carry G(w) -> G(w + s*d) onto the real face.

The editing pipeline transfers the generator's change onto the real pixels by optical flow, and
the inversions of real faces by a small model are often too blurred for the face mesh to find a
face in them. So the check follows the real face: the inversion is rendered the way the pipeline
renders it (`feature_edit.render_edited`), the DIS optical flow from G(w) to G(w + s*d) is
computed, and the real aligned crop is warped by it. The face mesh then scores the real crop
before and after. For each attribute a pair (or two) of mesh point groups should move apart: the
mouth corners for smile, the inner lips for mouth_open, the lids for eyes_open, brow middle and eye
centre for brows_raised. Their gap is read from the mesh of the warped crop and, directly, from
the flow at the real crop's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np
import torch

from vidinvert.config import RenderConfig
from vidinvert.face import expression as sc
from vidinvert.edit.change_source import ChangeSource
from vidinvert.edit.directions import Direction
from vidinvert.edit.feature_edit import render_edited
from vidinvert.discover.real_faces import attribute_scores, mesh_landmarks
from vidinvert.images import to_uint8
from vidinvert.errors import VidinvertError
from vidinvert.invert import InversionResult
from vidinvert.models import Generator

#: Per attribute, pairs of mesh point groups (each group stands for the mean of its points) whose
#: distance the edit should increase.
GAP_POINTS: dict[str, tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]] = {
    "smile": (((sc.MOUTH_RIGHT,), (sc.MOUTH_LEFT,)),),
    "mouth_open": (((sc.LIP_UPPER_INNER,), (sc.LIP_LOWER_INNER,)),),
    "eyes_open": (((sc.RIGHT_LID_UP,), (sc.RIGHT_LID_DOWN,)), ((sc.LEFT_LID_UP,), (sc.LEFT_LID_DOWN,))),
    "brows_raised": (((sc.RIGHT_BROW_MIDDLE,), (sc.RIGHT_EYE_OUTER, sc.RIGHT_EYE_INNER)),
                     ((sc.LEFT_BROW_MIDDLE,), (sc.LEFT_EYE_OUTER, sc.LEFT_EYE_INNER))),
}
#: Renders are enlarged to this size for the mesh and the flow (the mesh reads faces at 192 px).
CHECK_SIZE = 256


@dataclass(frozen=True)
class EditMotion:
    """What one strength of a direction did to real faces carried by flow; gaps in pixels of the
    generator's image.

    faces: real crops the mesh scored before and after. score_change / score_rose: mean change of
    the attribute's score and the share of faces where it rose. gap_change / gap_grew: the same for
    the distance between the attribute's points (GAP_POINTS). flow_gap_change / flow_gap_grew: that
    distance's change as the flow moves the real crop's points.
    """

    strength: float
    faces: int
    score_change: float
    score_rose: float
    gap_change: float
    gap_grew: float
    flow_gap_change: float
    flow_gap_grew: float


def _group(points: np.ndarray, group: tuple[int, ...]) -> np.ndarray:
    return points[list(group)].mean(axis=0)


def point_gap(points: np.ndarray, attribute: str) -> float:
    """Mean distance between the attribute's point groups on one face's mesh points (468, 2)."""
    return float(np.mean([np.linalg.norm(_group(points, b) - _group(points, a)) for a, b in GAP_POINTS[attribute]]))


def dis_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """DIS optical flow (H, W, 2) between uint8 RGB images: target(p + flow(p)) ~ source(p)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    gray = [cv2.cvtColor(np.ascontiguousarray(i), cv2.COLOR_RGB2GRAY) for i in (source, target)]
    return dis.calc(gray[0], gray[1], None)


def carry(image: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """`image` moved the way `before` moves into `after` (all uint8 RGB of one size)."""
    back = dis_flow(after, before)
    h, w = back.shape[:2]
    grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), axis=-1)
    where = grid + back
    return cv2.remap(image, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def flow_gap_change(flow: np.ndarray, points: np.ndarray, attribute: str) -> float:
    """How much the flow moves the attribute's point groups apart (mean over pairs), in flow pixels."""
    h, w = flow.shape[:2]

    def at(p: np.ndarray) -> np.ndarray:
        x, y = int(np.clip(round(p[0]), 0, w - 1)), int(np.clip(round(p[1]), 0, h - 1))
        return flow[y, x].astype(np.float64)

    changes = []
    for a, b in GAP_POINTS[attribute]:
        pa, pb = _group(points, a), _group(points, b)
        unit = (pb - pa) / max(np.linalg.norm(pb - pa), 1e-6)
        changes.append(float((at(pb) - at(pa)) @ unit))
    return float(np.mean(changes))


@torch.no_grad()
def change_latents(G: Generator, inversion: InversionResult, source: ChangeSource, batch: int = 32) -> InversionResult:
    """The inversions as the change source sees them: its W+ alone (no feature tensor, no weight
    residuals), rendered by the plain generator."""
    device = G.latent_avg.device
    wplus = source.wplus(inversion.wplus, G.latent_avg.cpu())
    images = torch.cat([G.synthesize(part.to(device), noise="stored").cpu() for part in wplus.split(batch)])
    return InversionResult(wplus, None, images)


@torch.no_grad()
def edited_renders(G: Generator, inversion: InversionResult, direction: Direction, strength: float,
                   feature_index: int | None, batch: int = 32) -> torch.Tensor:
    """The inversions rendered after the edit, as the editing pipeline renders them."""
    if inversion.feature is not None and feature_index is None:
        raise VidinvertError("the inversion carries a feature tensor: give the encoder's feature_index")
    device = G.latent_avg.device
    parts = []
    for start in range(0, len(inversion), batch):
        part = inversion.select(torch.arange(start, min(start + batch, len(inversion))))
        feature = None if part.feature is None else part.feature.to(device)
        image, _, _ = render_edited(G, part.wplus.to(device), [(direction, strength)], feature, feature_index or 0)
        parts.append(image.cpu())
    return torch.cat(parts)


def edit_motion(G: Generator, inversion: InversionResult, real: torch.Tensor, direction: Direction,
                attribute: str, strengths: Sequence[float] = (1.0, 2.0),
                feature_index: int | None = None, change_from: ChangeSource | None = None) -> list[EditMotion]:
    """Carry each strength's edit onto the real crops (N, 3, S, S) in [-1, 1] that `inversion`
    inverts and measure the motion (see EditMotion). `feature_index` is the encoder's;
    `change_from` says which latents the change is drawn from, as in the pipeline (default: its
    default)."""
    if attribute not in GAP_POINTS:
        raise VidinvertError(f"no mesh points to follow for {attribute!r}; choose one of {', '.join(GAP_POINTS)}")
    if len(real) != len(inversion):
        raise VidinvertError(f"{len(real)} real crops for {len(inversion)} inversions")
    source = change_from or ChangeSource.parse(RenderConfig.change_from)
    if not source.uses_inversion:
        inversion = change_latents(G, inversion, source)
    scale = G.size / CHECK_SIZE
    photos = to_uint8(real, CHECK_SIZE)
    points = mesh_landmarks(photos)
    scores = attribute_scores(points)[attribute]
    base = to_uint8(inversion.image, CHECK_SIZE)
    rows = []
    for strength in strengths:
        after = to_uint8(edited_renders(G, inversion, direction, strength, feature_index), CHECK_SIZE)
        found = [i for i, p in enumerate(points) if p is not None]
        moved = mesh_landmarks(np.stack([carry(photos[i], base[i], after[i]) for i in found]))
        both = [(i, q) for i, q in zip(found, moved) if q is not None]
        score = attribute_scores([q for _, q in both])[attribute] - scores[[i for i, _ in both]]
        gap = np.array([point_gap(q, attribute) - point_gap(points[i], attribute) for i, q in both])
        flow = np.array([flow_gap_change(dis_flow(base[i], after[i]), points[i], attribute) for i in found])
        rows.append(EditMotion(float(strength), len(both), float(np.mean(score)), float(np.mean(score > 0)),
                               float(np.mean(gap) * scale), float(np.mean(gap > 0)), float(np.mean(flow) * scale),
                               float(np.mean(flow > 0))))
    return rows
