"""The motion of the generator's face between two renders, read from the face mesh on each.

An edit's renders, before and after, are soft low-resolution faces: optical flow between them is
weak and takes colour changes for motion. The face mesh reads the expression itself: its 468 points
on the "after" render against the same points on the "before" render say where each part of the
face went. The head's own rigid motion (a similarity fitted on points an expression leaves alone)
is taken out, the rest is spread over the crop by a thin-plate spline anchored to zero around the
face, and tapered smoothly to exactly zero at the face's hull, so the motion has no edge anywhere.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidinvert.face import mesh_indices as mi
from vidinvert.face.detect import MeshDetector
from vidinvert.face.mask import grow, polygon_mask

#: Renders are upscaled to this side before the mesh reads them (its input is 192 px).
MESH_SIDE = 256
#: The spline is evaluated on a grid this many times coarser than the work grid, then upsampled
#: (the motion is smooth at that scale).
SPLINE_STEP = 4
#: Smoothing of the spline (the mesh's point noise on a low-resolution render), in work-grid pixels
#: squared per point.
SPLINE_SMOOTHING = 4.0
#: The mesh points the spline goes through: every feature contour and every other point besides
#: (half the points give the same field at a quarter of the cost).
SPLINE_POINTS = np.array(sorted(set(range(0, mi.MESH_POINT_COUNT, 2)) | set(
    mi.LIPS_INNER + mi.LIPS_OUTER + mi.EYE_IMAGE_LEFT + mi.EYE_IMAGE_RIGHT + mi.BROW_IMAGE_LEFT + mi.BROW_IMAGE_RIGHT
    + mi.BROW_LOWER_IMAGE_LEFT + mi.BROW_LOWER_IMAGE_RIGHT + mi.FACE_OVAL)))
#: Anchors of zero motion on a ring around the face, this many times the hull's radius.
ANCHOR_RING = 1.25
ANCHOR_COUNT = 40
#: The most any mesh point may move between two renders, over the eye distance, for the reading to
#: be taken as one face moving (the strongest expressions measured move the mouth corners by 12%).
MAX_MOTION = 0.25
#: The taper rises from 0 at the hull's edge to 1 at this fraction of the work grid inside it.
TAPER_WIDTH = 0.1


class RenderMesh:
    """Face-mesh points of renders (S, S, 3) uint8, in render pixels, each render read on its own."""

    def __init__(self) -> None:
        self._mesh = MeshDetector(video=False, max_faces=1)

    def points(self, render: np.ndarray) -> np.ndarray | None:
        """(468, 2) points in render pixels, or None when the mesh finds no face."""
        side = render.shape[0]
        large = cv2.resize(render, (MESH_SIDE, MESH_SIDE), interpolation=cv2.INTER_CUBIC)
        faces = self._mesh.detect(large)
        if not faces:
            return None
        return (faces[0].points[:, :2] + 0.5) * (side / MESH_SIDE) - 0.5

    def close(self) -> None:
        self._mesh.close()


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity (rotation, uniform scale, shift) taking source onto target."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mu_s, target - mu_t
    a = np.sum(s[:, 0] * t[:, 0] + s[:, 1] * t[:, 1])
    b = np.sum(s[:, 0] * t[:, 1] - s[:, 1] * t[:, 0])
    norm = np.sum(s**2)
    if norm <= 0:
        return np.array([[1.0, 0.0, mu_t[0] - mu_s[0]], [0.0, 1.0, mu_t[1] - mu_s[1]]])
    c, d = a / norm, b / norm
    linear = np.array([[c, -d], [d, c]])
    return np.hstack([linear, (mu_t - linear @ mu_s)[:, None]])


def expression_displacement(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, motion): each point's place on the "after" face with the head's rigid motion
    taken out, and where it came from on the "before" face relative to it (before - after)."""
    stable = list(mi.STABLE)
    rigid = similarity(after[stable], before[stable])
    placed = after @ rigid[:, :2].T + rigid[:, 2]
    return placed, before - placed


def plausible(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether two renders' meshes read one face moving: no point's motion (the head's own taken
    out) beyond MAX_MOTION of the eye distance. A mesh that lost its hold on a strongly edited
    render gives points far off, and that reading must not move the real face."""
    from vidinvert.face.expression_targets import face_axes

    _, motion = expression_displacement(before, after)
    return float(np.linalg.norm(motion, axis=1).max()) <= MAX_MOTION * face_axes(before)[2]


def taper(hull: np.ndarray) -> np.ndarray:
    """A smooth window on the hull's grid: 0 on and outside the hull's edge, rising with the distance
    inside it to 1 at TAPER_WIDTH of the grid (smoothstep), so a motion fades out before the edge."""
    inside = cv2.distanceTransform((hull > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    t = np.clip(inside / (TAPER_WIDTH * hull.shape[0]), 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def _tps_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r2 = np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1)
    return 0.5 * r2 * np.log(np.maximum(r2, 1e-12))  # r^2 log r


def thin_plate_spline(centres: np.ndarray, values: np.ndarray, at: np.ndarray, smoothing: float) -> np.ndarray:
    """The smoothing thin-plate spline through `values` (N, k) at `centres` (N, 2), evaluated at `at`
    (M, 2): kernel r^2 log r plus an affine part, `smoothing` added to the kernel's diagonal."""
    n = len(centres)
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = _tps_kernel(centres, centres) + smoothing * np.eye(n)
    affine = np.hstack([np.ones((n, 1)), centres])
    system[:n, n:] = affine
    system[n:, :n] = affine.T
    rhs = np.vstack([values, np.zeros((3, values.shape[1]))])
    coefficients = np.linalg.solve(system, rhs)
    return _tps_kernel(at, centres) @ coefficients[:n] + np.hstack([np.ones((len(at), 1)), at]) @ coefficients[n:]


def motion_field(before: np.ndarray, after: np.ndarray, hull: np.ndarray, render_size: int,
                 real: np.ndarray | None = None) -> np.ndarray:
    """Motion u (n, n, 2) on the hull's work grid, in work-grid pixels, with after(x) ~ before(x + u(x)),
    from mesh points (468, 2) in render pixels of the two renders.

    With `real`, the real face's own mesh points in the same pixels, each point's motion is placed
    where that point is on the real face: the renders' face never sits exactly on the real one (a
    mouth corner a pixel off), and the motion must move the real corner, not the render's."""
    size = hull.shape[0]
    scale = size / render_size
    positions, motion = expression_displacement(before, after)
    if real is not None:
        positions = positions - before + np.asarray(real, np.float64)[:, :2]
    positions, motion = positions[SPLINE_POINTS], motion[SPLINE_POINTS]
    positions = (positions + 0.5) * scale - 0.5
    motion = motion * scale
    centre = positions.mean(axis=0)
    radius = np.max(np.linalg.norm(positions - centre, axis=1))
    angles = np.linspace(0, 2 * np.pi, ANCHOR_COUNT, endpoint=False)
    anchors = centre + ANCHOR_RING * radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    coarse = -(-size // SPLINE_STEP)
    axis = (np.arange(coarse) + 0.5) * SPLINE_STEP - 0.5
    gx, gy = np.meshgrid(axis, axis)
    values = thin_plate_spline(np.vstack([positions, anchors]), np.vstack([motion, np.zeros_like(anchors)]),
                               np.stack([gx.ravel(), gy.ravel()], axis=1), SPLINE_SMOOTHING)
    values = values.reshape(coarse, coarse, 2).astype(np.float32)
    dense = cv2.resize(values, (size, size), interpolation=cv2.INTER_LINEAR)
    return dense * taper(hull)[..., None]


def mouth_opening(points: np.ndarray, size: int, render_size: int, grow_by: float,
                  contour: tuple[int, ...] = mi.LIPS_INNER) -> np.ndarray:
    """Float32 (size, size) 0/1 mask of the lips' inner contour (or another closed `contour`) on a
    work grid, grown by `grow_by` pixels."""
    grid = (np.asarray(points, np.float64)[list(contour)] + 0.5) * (size / render_size) - 0.5
    return grow(polygon_mask(grid, (size, size), antialiased=True), grow_by).astype(np.float32)
