"""Face quality of an edited video against its input, from full frames and the face mesh alone.

Per frame where the input has a face (the mesh of the INPUT frame defines the face oval O, the
polygon `mesh_indices.FACE_OVAL`, and the eye distance d between the two eye centres):

- psnr: ``10 log10(1 / MSE)`` over the RGB values (in [0, 1]) of the pixels in O; identical
  faces give +inf. Meaningful for a zero-edit output: how much of the real face survives.
- sharpness: variance of the Laplacian (3x3) of the grey output inside O over that of the input.
- expression scores (`vidinvert.face.expression.landmark_scores`: smile, mouth_open, eyes_open,
  brows_raised) of the input's mesh and of the output's own mesh, on the RGB frames and on the
  frames desaturated (grey, the mesh run again): a change of colour alone (redder lips) can move
  the RGB scores, hardly the grey ones.
- skin colour cast and seams (`vidinvert.metrics.edit_artifacts`).
- warp error: the input's optical flow from each frame back to the previous one (DIS), kept where
  the forward-backward check passes (``|b(x) + f(x + b(x))|^2 <= 0.01 (|b|^2 + |f(x + b(x))|^2) + 0.5``);
  the mean absolute RGB difference (in [0, 1]) inside O between a frame and the previous frame
  warped along that flow. Measured on the input and, with the input's flow, on the output.
- displacement: mean distance between the rigid points (eye corners, nose tip, chin) of the output's
  mesh and the input's, over d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from vidinvert.face.expression import (CHIN, LEFT_EYE_INNER, LEFT_EYE_OUTER, NOSE_TIP, RIGHT_EYE_INNER,
                                    RIGHT_EYE_OUTER, landmark_scores)
from vidinvert.face import mesh_indices as mi
from vidinvert.face.mask import polygon_mask
from vidinvert.metrics.edit_artifacts import seam, seam_bands, skin_cast, skin_mask
from vidinvert.metrics.pixel import psnr_from_mse

EXPRESSIONS = ("smile", "mouth_open", "eyes_open", "brows_raised")
RIGID_POINTS = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER, NOSE_TIP, CHIN)
#: The smile rise counted as "the edit shows" in a frame (and the move of a grey expression score).
SMILE_RISE = 0.02
#: The per-frame artefact measures, each summarised by its median over frames.
ARTEFACTS = ("skin_delta_e", "skin_delta_e_p95", "seam_edit", "seam_crop")
#: Margin around the face oval where the flow is computed, as a fraction of the oval's size.
FLOW_MARGIN = 0.25
#: The keys of `FaceQuality.summary`, in its order.
SUMMARY_KEYS = ("face_frames", "output_face_frames", "psnr", "sharpness", "displacement", "warp_error_input",
                "warp_error_output", "warp_error_ratio",
                *(f"{name}_{side}" for name in EXPRESSIONS for side in ("input", "output", "change")),
                "smile_rose_share", *ARTEFACTS,
                *(f"{name}_grey_{side}" for name in EXPRESSIONS for side in ("input", "output", "change")),
                *(f"{name}_grey_{way}_share" for name in EXPRESSIONS for way in ("rose", "fell")))


def nan_median(values: Sequence[float]) -> float:
    """Median of the values that are not NaN (NaN when none is)."""
    kept = np.asarray(values, dtype=np.float64)
    kept = kept[~np.isnan(kept)]
    return float(np.median(kept)) if kept.size else math.nan


def _expressions(points: np.ndarray) -> dict[str, float]:
    """The EXPRESSIONS scores of one mesh (all its scores computed once)."""
    scores = landmark_scores(points)
    return {name: scores[name] for name in EXPRESSIONS}


def oval_mask(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean (H, W) mask of the face oval of mesh points (468, 2) in frame pixels."""
    return polygon_mask(np.asarray(points, np.float64)[list(mi.FACE_OVAL)], shape).astype(bool)


def eye_distance(points: np.ndarray) -> float:
    """Distance between the two eye centres (each the mean of its two corners) in pixels."""
    p = np.asarray(points, np.float64)
    right = (p[RIGHT_EYE_OUTER] + p[RIGHT_EYE_INNER]) / 2
    left = (p[LEFT_EYE_OUTER] + p[LEFT_EYE_INNER]) / 2
    return float(np.linalg.norm(left - right))


def masked_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB) of two uint8 RGB images over the pixels in mask, on the [0, 1] scale."""
    diff = a[mask].astype(np.float64) - b[mask].astype(np.float64)
    error = float(np.mean((diff / 255.0) ** 2)) if diff.size else math.nan
    return float(psnr_from_mse(torch.tensor([error], dtype=torch.float64))[0])


def laplacian_variance(image: np.ndarray, mask: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image over the pixels in mask."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.var(cv2.Laplacian(grey, cv2.CV_32F, ksize=1)[mask]))


def rigid_displacement(input_points: np.ndarray, output_points: np.ndarray) -> float:
    """Mean distance of the rigid points between two meshes, over the input's eye distance."""
    a = np.asarray(input_points, np.float64)[list(RIGID_POINTS), :2]
    b = np.asarray(output_points, np.float64)[list(RIGID_POINTS), :2]
    return float(np.linalg.norm(a - b, axis=1).mean() / eye_distance(input_points))


def _box(points: np.ndarray, shape: tuple[int, ...], margin: float) -> tuple[slice, slice]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = margin * float(np.max(hi - lo))
    x0, y0 = np.maximum(np.floor(lo - pad).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(hi + pad).astype(int) + 1, (shape[1], shape[0]))
    return slice(y0, y1), slice(x0, x1)


class FlowWarp:
    """The input's flow from a frame back to the previous one, with its occlusion mask."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def between(self, previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(map (H, W, 2) of where each current pixel lies in the previous frame, valid (H, W) bool)."""
        prev_grey = cv2.cvtColor(previous, cv2.COLOR_RGB2GRAY)
        cur_grey = cv2.cvtColor(current, cv2.COLOR_RGB2GRAY)
        backward = self._dis.calc(cur_grey, prev_grey, None)
        forward = self._dis.calc(prev_grey, cur_grey, None)
        h, w = cur_grey.shape
        grid = np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), axis=-1)
        where = grid + backward
        forward_there = cv2.remap(forward, where[..., 0], where[..., 1], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
        mismatch = np.sum((backward + forward_there) ** 2, axis=-1)
        valid = mismatch <= 0.01 * (np.sum(backward**2, axis=-1) + np.sum(forward_there**2, axis=-1)) + 0.5
        inside = (where[..., 0] >= 0) & (where[..., 0] <= w - 1) & (where[..., 1] >= 0) & (where[..., 1] <= h - 1)
        return where, valid & inside

    @staticmethod
    def error(previous: np.ndarray, current: np.ndarray, where: np.ndarray, mask: np.ndarray) -> float:
        """Mean absolute RGB difference ([0, 1]) over mask between current and previous warped by `where`."""
        warped = cv2.remap(previous, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if not mask.any():
            return math.nan
        return float(np.abs(current[mask].astype(np.float32) - warped[mask].astype(np.float32)).mean() / 255.0)


@dataclass
class FrameScore:
    """The measurements of one frame with a face (NaN where they cannot be taken)."""

    frame: int
    psnr: float
    sharpness: float
    input_scores: dict[str, float]
    output_scores: dict[str, float]
    displacement: float
    warp_error_input: float = math.nan
    warp_error_output: float = math.nan
    artefacts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ARTEFACTS, math.nan))
    input_grey: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXPRESSIONS, math.nan))
    output_grey: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXPRESSIONS, math.nan))

    def row(self) -> dict[str, float]:
        row: dict[str, float] = {"frame": self.frame, "psnr": self.psnr, "sharpness": self.sharpness,
                                 "displacement": self.displacement, "warp_error_input": self.warp_error_input,
                                 "warp_error_output": self.warp_error_output, **self.artefacts}
        for name in EXPRESSIONS:
            for suffix, before, after in (("", self.input_scores, self.output_scores),
                                          ("_grey", self.input_grey, self.output_grey)):
                row[f"{name}{suffix}_input"] = before[name]
                row[f"{name}{suffix}_output"] = after[name]
                row[f"{name}{suffix}_change"] = after[name] - before[name]
        return row


@dataclass
class FaceQuality:
    """Streams (input frame, output frame, input mesh, output mesh) and collects FrameScores."""

    flow: FlowWarp = field(default_factory=FlowWarp)
    scores: list[FrameScore] = field(default_factory=list)
    _previous: tuple[int, np.ndarray, np.ndarray] | None = None

    def add(self, index: int, source: np.ndarray, output: np.ndarray, source_points: np.ndarray | None,
            output_points: np.ndarray | None, *, grey_points: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
            quad: np.ndarray | None = None) -> None:
        """Score one frame pair; frames without an input face only break the temporal chain.

        `grey_points`: the meshes of the desaturated input and output frames; `quad`: the input
        face's FFHQ crop quad (4, 2) in frame pixels, where a crop-edge seam is looked for."""
        if source_points is None:
            self._previous = None
            return
        source_points = np.asarray(source_points, np.float64)[:, :2]
        oval = oval_mask(source_points, source.shape)
        nan_scores = {name: math.nan for name in EXPRESSIONS}
        input_scores = _expressions(source_points)
        output_scores = nan_scores
        displacement = math.nan
        if output_points is not None:
            output_scores = _expressions(output_points)
            displacement = rigid_displacement(source_points, output_points)
        sharp_in = laplacian_variance(source, oval)
        score = FrameScore(index, masked_psnr(source, output, oval),
                           laplacian_variance(output, oval) / sharp_in if sharp_in > 0 else math.nan,
                           input_scores, output_scores, displacement)
        d = eye_distance(source_points)
        score.artefacts["skin_delta_e"], score.artefacts["skin_delta_e_p95"] = skin_cast(
            source, output, skin_mask(source_points, source.shape, d), d)
        edit_band, crop_band = seam_bands(source_points, quad, source.shape, d)
        score.artefacts["seam_edit"] = seam(source, output, edit_band, d)
        score.artefacts["seam_crop"] = seam(source, output, crop_band, d)
        for points, scores in zip(grey_points, (score.input_grey, score.output_grey)):
            if points is not None:
                scores.update(_expressions(points))
        if self._previous is not None and self._previous[0] == index - 1:
            rows, cols = _box(source_points, source.shape, FLOW_MARGIN)
            _, prev_source, prev_output = self._previous
            where, valid = self.flow.between(prev_source[rows, cols], source[rows, cols])
            mask = oval[rows, cols] & valid
            score.warp_error_input = self.flow.error(prev_source[rows, cols], source[rows, cols], where, mask)
            score.warp_error_output = self.flow.error(prev_output[rows, cols], output[rows, cols], where, mask)
        self._previous = (index, source, output)
        self.scores.append(score)

    def summary(self) -> dict[str, float]:
        """Medians over the frames with a face, the smile-rise share and the warp-error ratio."""
        rows = [s.row() for s in self.scores]

        def median(key: str) -> float:
            return nan_median([r[key] for r in rows])

        out = {"face_frames": float(len(rows)),
               "output_face_frames": float(sum(not math.isnan(r["displacement"]) for r in rows)), "psnr": median("psnr"), "sharpness": median("sharpness"),
               "displacement": median("displacement"), "warp_error_input": median("warp_error_input"),
               "warp_error_output": median("warp_error_output")}
        out["warp_error_ratio"] = (out["warp_error_output"] / out["warp_error_input"]
                                   if out["warp_error_input"] > 0 else math.nan)
        for name in EXPRESSIONS:
            out[f"{name}_input"] = median(f"{name}_input")
            out[f"{name}_output"] = median(f"{name}_output")
            out[f"{name}_change"] = median(f"{name}_change")
        rose = [r["smile_change"] >= SMILE_RISE for r in rows]  # a frame whose output has no face did not rise
        out["smile_rose_share"] = float(np.mean(rose)) if rose else math.nan
        for key in ARTEFACTS:
            out[key] = median(key)
        for name in EXPRESSIONS:
            for side in ("input", "output", "change"):
                out[f"{name}_grey_{side}"] = median(f"{name}_grey_{side}")
        for name in EXPRESSIONS:
            changes = np.array([r[f"{name}_grey_change"] for r in rows], np.float64)
            # NaN (no face found on a grey frame) compares False: it neither rose nor fell
            out[f"{name}_grey_rose_share"] = float(np.mean(changes >= SMILE_RISE)) if rows else math.nan
            out[f"{name}_grey_fell_share"] = float(np.mean(changes <= -SMILE_RISE)) if rows else math.nan
        return out
