"""Landmark detectors: mediapipe's face mesh by default, face-alignment (68 points) as an option."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from vidinvert.config import LANDMARK_BACKENDS, check_choice
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.face.landmarks import FaceLandmarks, from_ibug68, from_mesh
from vidinvert.weights import FACE_ALIGNMENT_FILES, torch_hub_checkpoints

log = logging.getLogger(__name__)

BACKENDS = LANDMARK_BACKENDS


class LandmarkDetector(Protocol):
    """Finds faces in one uint8 RGB image; results sorted by bounding-box area, largest first."""

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]: ...

    def close(self) -> None: ...


def check_image(image: np.ndarray) -> np.ndarray:
    """Return the image as a contiguous uint8 (H, W, 3) array or raise a user error."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise VidinvertError(f"expected a uint8 RGB image of shape (H, W, 3), got {dtype} {shape}")
    return np.ascontiguousarray(image)


def _largest_first(faces: list[FaceLandmarks]) -> list[FaceLandmarks]:
    return sorted(faces, key=lambda f: f.area, reverse=True)


class MeshDetector:
    """mediapipe face mesh (468 points).

    video=True runs the mesh in its tracking mode: frames must then come in order from one stream.
    video=False treats every image on its own (photos, shuffled frames).
    """

    def __init__(self, *, video: bool = False, max_faces: int = 4, min_confidence: float = 0.5) -> None:
        import mediapipe as mp

        self._options = dict(static_image_mode=not video, max_num_faces=max_faces, refine_landmarks=False,
                             min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence)
        self._mesh = mp.solutions.face_mesh.FaceMesh(**self._options)

    def reset(self) -> None:
        """Forget the faces followed so far (at a shot cut: the tracking mode would look for them
        where they were in the last shot)."""
        import mediapipe as mp

        self._mesh.close()
        self._mesh = mp.solutions.face_mesh.FaceMesh(**self._options)

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        """Landmarks of every face found in the image, largest first."""
        image = check_image(image)
        h, w = image.shape[:2]
        result = self._mesh.process(image)
        faces = []
        for face in result.multi_face_landmarks or ():
            # the mesh's normalised coordinates put pixel edges at integers; ours put centres there
            points = np.array([(p.x * w - 0.5, p.y * h - 0.5) for p in face.landmark], dtype=np.float64)
            faces.append(from_mesh(points))
        return _largest_first(faces)

    def close(self) -> None:
        """Release the mediapipe graph."""
        self._mesh.close()

    def __enter__(self) -> MeshDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def face_alignment_weights_dir() -> Path:
    """Where face-alignment keeps its weights (torch's hub cache)."""
    return torch_hub_checkpoints()


class FaceAlignmentDetector:
    """face-alignment's 2D FAN (68 points) with its S3FD face detector.

    Used only when the package is installed and its weights are already in torch's hub cache;
    it never downloads anything.
    """

    def __init__(self, *, device: str = "cpu", min_confidence: float = 0.5) -> None:
        if importlib.util.find_spec("face_alignment") is None:
            raise VidinvertError("the face-alignment backend needs the package: pip install face-alignment")
        folder = face_alignment_weights_dir()
        missing = [name for name in FACE_ALIGNMENT_FILES if not (folder / name).is_file()]
        if missing:
            raise WeightsError(
                f"face-alignment weights not found: {', '.join(missing)} in {folder}; "
                "copy them there (or set TORCH_HOME) to use this backend, or use the mediapipe backend"
            )
        import face_alignment

        kind = getattr(face_alignment.LandmarksType, "TWO_D", None) or face_alignment.LandmarksType._2D
        self._model = face_alignment.FaceAlignment(kind, device=device, flip_input=False)
        self._min_confidence = min_confidence

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        """Landmarks of every face found in the image, largest first."""
        image = check_image(image)
        points, _, boxes = self._model.get_landmarks_from_image(image, return_bboxes=True)
        faces = []
        for pts, box in zip(points or (), boxes or ()):
            score = float(box[4]) if len(box) > 4 else None
            if score is None or score >= self._min_confidence:
                faces.append(from_ibug68(pts, score))
        return _largest_first(faces)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> FaceAlignmentDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_detector(backend: str = "mediapipe", *, video: bool = False, max_faces: int = 4,
                  min_confidence: float = 0.5, device: str = "cpu") -> LandmarkDetector:
    """The detector for a backend name ("mediapipe" or "face-alignment")."""
    if backend == "mediapipe":
        return MeshDetector(video=video, max_faces=max_faces, min_confidence=min_confidence)
    if backend == "face-alignment":
        return FaceAlignmentDetector(device=device, min_confidence=min_confidence)
    check_choice("--landmarks", backend, LANDMARK_BACKENDS)
    raise AssertionError(f"no detector for the backend {backend!r}")


def detect(image: np.ndarray, backend: str = "mediapipe", *, max_faces: int = 4) -> list[FaceLandmarks]:
    """Landmarks of every face in one still image, largest first."""
    detector = make_detector(backend, video=False, max_faces=max_faces)
    try:
        return detector.detect(image)
    finally:
        detector.close()
