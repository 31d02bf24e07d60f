"""Attribute scores of face images from mediapipe's face mesh, for fitting directions without labels.

A scorer is any callable ``images (B,H,W,3) uint8 RGB -> scores (B,) float`` with NaN where it cannot
tell (no face found); `FaceMeshScorer` is the built-in one. All distances are divided by the
inter-ocular distance (between the eye centres), so scores do not depend on face size.

- smile: mouth width plus the lift of the mouth corners above the mouth centre
- mouth_open: gap between the inner lips
- eyes_open: mean lid opening of both eyes
- brows_raised: mean height of the two brow middles above their eye centres
- yaw: where the nose tip lies between the two cheek edges, -1..1 (sign flips with a mirror image)
- pitch: nose tip height between the eye line and the chin, 0..1 (higher: face tilted down)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face import mesh_indices as mi
from vidinvert.face.mesh_indices import ATTRIBUTES
from vidinvert.face.detect import MeshDetector

Scorer = Callable[[np.ndarray], np.ndarray]
# face mesh (468 points) indices; "right"/"left" are the subject's (the subject's right is the image's left)
MOUTH_RIGHT, MOUTH_LEFT = mi.MOUTH_IMAGE_LEFT, mi.MOUTH_IMAGE_RIGHT
NOSE_TIP = mi.NOSE_TIP
LIP_UPPER_OUTER, LIP_LOWER_OUTER = 0, 17
LIP_UPPER_INNER, LIP_LOWER_INNER = 13, 14
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, RIGHT_LID_UP, RIGHT_LID_DOWN = 33, 133, 159, 145
LEFT_EYE_OUTER, LEFT_EYE_INNER, LEFT_LID_UP, LEFT_LID_DOWN = 263, 362, 386, 374
CHIN, RIGHT_CHEEK, LEFT_CHEEK = 152, 234, 454
RIGHT_BROW_MIDDLE, LEFT_BROW_MIDDLE = 105, 334



def landmark_scores(points: np.ndarray) -> dict[str, float]:
    """Every attribute score from one face's mesh points (468, 2+) in pixels (x right, y down)."""
    p = np.asarray(points, dtype=np.float64)[:, :2]
    right_eye = (p[RIGHT_EYE_OUTER] + p[RIGHT_EYE_INNER]) / 2
    left_eye = (p[LEFT_EYE_OUTER] + p[LEFT_EYE_INNER]) / 2
    iod = np.linalg.norm(left_eye - right_eye)
    if iod < 1e-6:
        return {a: float("nan") for a in ATTRIBUTES}
    corners = (p[MOUTH_RIGHT] + p[MOUTH_LEFT]) / 2
    mouth_centre = (p[LIP_UPPER_OUTER] + p[LIP_LOWER_OUTER]) / 2
    width = np.linalg.norm(p[MOUTH_LEFT] - p[MOUTH_RIGHT])
    lift = mouth_centre[1] - corners[1]
    lids = (np.linalg.norm(p[RIGHT_LID_UP] - p[RIGHT_LID_DOWN]) + np.linalg.norm(p[LEFT_LID_UP] - p[LEFT_LID_DOWN])) / 2
    brows = (np.linalg.norm(p[RIGHT_BROW_MIDDLE] - right_eye) + np.linalg.norm(p[LEFT_BROW_MIDDLE] - left_eye)) / 2
    nose, chin = p[NOSE_TIP], p[CHIN]
    span = p[LEFT_CHEEK][0] - p[RIGHT_CHEEK][0]
    eye_line = (right_eye[1] + left_eye[1]) / 2
    return {
        "smile": float((width + lift) / iod),
        "mouth_open": float(np.linalg.norm(p[LIP_UPPER_INNER] - p[LIP_LOWER_INNER]) / iod),
        "eyes_open": float(lids / iod),
        "brows_raised": float(brows / iod),
        "yaw": float(((nose[0] - p[RIGHT_CHEEK][0]) - (p[LEFT_CHEEK][0] - nose[0])) / span) if abs(span) > 1e-6
        else float("nan"),
        "pitch": float((nose[1] - eye_line) / (chin[1] - eye_line)) if chin[1] - eye_line > 1e-6 else float("nan"),
    }


class FaceMeshScorer:
    """Scores one attribute of face images with mediapipe's face mesh (the largest face of each image)."""

    def __init__(self, attribute: str = "smile", min_confidence: float = 0.5) -> None:
        if attribute not in ATTRIBUTES:
            raise VidinvertError(f"unknown attribute {attribute!r}; choose one of {', '.join(ATTRIBUTES)}")
        self.attribute = attribute
        self.min_confidence = min_confidence
        self._mesh: MeshDetector | None = None

    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        """Mesh points (468, 2) in pixels of one uint8 RGB image, or None when no face is found."""
        if self._mesh is None:
            self._mesh = MeshDetector(video=False, max_faces=1, min_confidence=self.min_confidence)
        faces = self._mesh.detect(image)
        return faces[0].points if faces else None

    def __call__(self, images: np.ndarray) -> np.ndarray:
        scores = np.full(len(images), np.nan)
        for i, image in enumerate(images):
            points = self.landmarks(image)
            if points is not None:
                scores[i] = landmark_scores(points)[self.attribute]
        return scores

    def close(self) -> None:
        """Release the mediapipe graph."""
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None
