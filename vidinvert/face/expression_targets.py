"""Expressions defined by what they do to a face: a target motion of face-mesh points.

Each named expression moves some of the mesh's 468 points by a set amount at strength 1, in units
of the eye distance d and along the face's own axes (x along the eye line towards the image's
right, y across it, downwards), so that a target means the same on any face, tilted or not:

- smile: the mouth corners 0.07 d outwards and 0.04 d up, the lips beside them by half that;
- mouth_open: the lower lip 0.08 d down, the chin 0.05 d, the upper lip 0.015 d up;
- eyes_closed: the upper lids 0.05 d down;
- brows_raised: the brows 0.07 d up.

Every other point has the target of staying where it is, with a lower weight (`STILL_WEIGHT`), so
that the expression does not come with a head turn or a change of face shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidinvert.face import mesh_indices as mi

#: Weight of the points an expression leaves where they are, against 1 for the points it moves.
STILL_WEIGHT = 0.3


@dataclass(frozen=True)
class Move:
    """Points moved together: along the face's axes, x in units of d per side (`mirrored`: the image's
    left points move by -x), y in units of d (down is positive)."""

    left: tuple[int, ...]
    right: tuple[int, ...]
    x: float
    y: float


EXPRESSIONS: dict[str, tuple[Move, ...]] = {
    "smile": (
        Move((mi.MOUTH_IMAGE_LEFT,), (mi.MOUTH_IMAGE_RIGHT,), 0.07, -0.04),
        Move((146, 185, 76, 62), (375, 409, 306, 292), 0.035, -0.02),
    ),
    "mouth_open": (
        Move((84, 181, 91, 87, 178, 88), (314, 405, 321, 317, 402, 318), 0.0, 0.08),
        Move((17, 14), (), 0.0, 0.08),
        Move((148, 176, 149), (377, 400, 378), 0.0, 0.05),
        Move((152,), (), 0.0, 0.05),
        Move((37, 39, 82, 81), (267, 269, 312, 311), 0.0, -0.015),
        Move((0, 13), (), 0.0, -0.015),
    ),
    "eyes_closed": (
        Move((159, 158, 160, 157, 161), (386, 385, 387, 384, 388), 0.0, 0.05),
    ),
    "brows_raised": (
        Move(mi.BROW_IMAGE_LEFT + mi.BROW_LOWER_IMAGE_LEFT, mi.BROW_IMAGE_RIGHT + mi.BROW_LOWER_IMAGE_RIGHT, 0.0, -0.07),
    ),
}


def face_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(x axis, y axis, eye distance d) of a face from its mesh points (468, 2) in pixels."""
    p = np.asarray(points, np.float64)
    left = p[list(mi.EYE_IMAGE_LEFT)].mean(axis=0)
    right = p[list(mi.EYE_IMAGE_RIGHT)].mean(axis=0)
    along = right - left
    d = float(np.linalg.norm(along))
    x = along / max(d, 1e-9)
    return x, np.array([-x[1], x[0]]), d


def target_motion(name: str, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(motion (468, 2) in pixels at strength 1, weight (468,)) of expression `name` on this face."""
    x, y, d = face_axes(points)
    motion = np.zeros((len(points), 2))
    weight = np.full(len(points), STILL_WEIGHT)
    for move in EXPRESSIONS[name]:
        for indices, side in ((move.left, -1.0), (move.right, 1.0)):
            for i in indices:
                motion[i] = d * (side * move.x * x + move.y * y)
                weight[i] = 1.0
    return motion, weight
