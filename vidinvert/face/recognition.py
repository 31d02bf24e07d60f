"""Who a face is: dlib's 128-D face-recognition embedding of one face in a frame, a photo or an FFHQ crop.

dlib's ResNet (from the `identity` extra: dlib-bin and face_recognition_models, which ships the
model files) embeds a face given its 5 landmarks, which dlib's 5-point shape predictor finds inside
a face rectangle. The rectangle is built from our own landmarks to stand where dlib's frontal
detector would put it: centred RECT_DROP of the FFHQ quad's half side below the quad's centre
(along the face's own down axis), RECT_HALF_SIDE of that half side on each side (docs/scoring.md
says how these were measured). An FFHQ crop is its own quad, so its rectangle is fixed.

Two embeddings closer than SAME_PERSON (Euclidean) are one person by dlib's convention.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.face.align import ffhq_quad, quad_params
from vidinvert.face.detect import check_image, detect
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.images import read_rgb

SAME_PERSON = 0.6
BACKBONE = "dlib ResNet (128-D)"
EMBEDDING_SIZE = 128
RECT_DROP = 0.2
RECT_HALF_SIDE = 0.6
#: How many faces a photo is searched for (more are reported as "at least" this many).
PHOTO_MAX_FACES = 8
PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
INSTALL_HINT = "pip install -e '.[identity]' (or pip install dlib-bin face_recognition_models)"


def _models_dir() -> Path | None:
    # Found without importing the package: its __init__ needs pkg_resources, gone from recent setuptools.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def missing_parts() -> list[str]:
    """What face recognition lacks here (package or model file names); empty when it is available."""
    missing = [] if importlib.util.find_spec("dlib") is not None else ["dlib (dlib-bin)"]
    folder = _models_dir()
    if folder is None:
        missing.append("face_recognition_models")
    else:
        missing += [f"face_recognition_models' {name}" for name in (PREDICTOR_FILE, RESNET_FILE)
                    if not (folder / name).is_file()]
    return missing


def recognition_available() -> bool:
    """Whether dlib and the model files are installed (nothing is imported or loaded)."""
    return not missing_parts()


def unavailable_reason() -> str:
    """One line on what is missing and how to install it ("" when nothing is)."""
    missing = missing_parts()
    return f"face recognition needs {', '.join(missing)}: {INSTALL_HINT}" if missing else ""


def _box(centre: np.ndarray, down: np.ndarray, half_side: float) -> np.ndarray:
    middle = centre + RECT_DROP * down
    reach = RECT_HALF_SIDE * half_side
    return np.rint(np.concatenate([middle - reach, middle + reach])).astype(np.int64)


def face_box(face: FaceLandmarks) -> np.ndarray:
    """dlib's face rectangle (4,) int left, top, right, bottom in frame pixels for one of our faces."""
    centre, across, down = quad_params(ffhq_quad(face))
    return _box(centre, down, float(np.hypot(*across)))


def aligned_box(size: int) -> np.ndarray:
    """dlib's face rectangle (4,) int left, top, right, bottom in an FFHQ crop of side `size`."""
    half = size / 2
    return _box(np.full(2, half - 0.5), np.array([0.0, half]), half)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance of two embeddings (below SAME_PERSON: the same person)."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


class FaceRecognizer:
    """dlib's 5-point shape predictor and face-recognition ResNet, loaded once; embeddings are
    float64 (128,) and deterministic (the same pixels give the same bits)."""

    def __init__(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise VidinvertError(reason)
        try:
            import dlib
        except ImportError as error:
            raise VidinvertError(f"face recognition cannot import dlib ({error}): {INSTALL_HINT}") from None
        folder = _models_dir()
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(str(folder / PREDICTOR_FILE))
        self._resnet = dlib.face_recognition_model_v1(str(folder / RESNET_FILE))

    def _shapes(self, image: np.ndarray, boxes: list[np.ndarray]):
        shapes = self._dlib.full_object_detections()
        for left, top, right, bottom in boxes:
            shapes.append(self._predictor(image, self._dlib.rectangle(int(left), int(top), int(right), int(bottom))))
        return shapes

    def _embed_boxes(self, image: np.ndarray, boxes: list[np.ndarray]) -> np.ndarray:
        image = check_image(image)
        if not boxes:
            return np.empty((0, EMBEDDING_SIZE), np.float64)
        vectors = self._resnet.compute_face_descriptor(image, self._shapes(image, boxes))
        return np.array([np.array(v, np.float64) for v in vectors]).reshape(len(boxes), EMBEDDING_SIZE)

    def embed(self, image: np.ndarray, face: FaceLandmarks) -> np.ndarray:
        """The embedding (128,) float64 of one face of a uint8 RGB (H, W, 3) frame."""
        return self._embed_boxes(image, [face_box(face)])[0]

    def embed_many(self, image: np.ndarray, faces: list[FaceLandmarks]) -> np.ndarray:
        """The embeddings (k, 128) float64 of k faces of one frame, in their order."""
        return self._embed_boxes(image, [face_box(face) for face in faces])

    def embed_aligned(self, crop: np.ndarray) -> np.ndarray:
        """The embedding (128,) float64 of the face of a uint8 RGB FFHQ-aligned crop (S, S, 3)."""
        if crop.ndim != 3 or crop.shape[0] != crop.shape[1]:
            raise VidinvertError(f"expected a square FFHQ crop (S, S, 3), got {getattr(crop, 'shape', None)}")
        return self._embed_boxes(crop, [aligned_box(crop.shape[0])])[0]


def photo_face(path: str | os.PathLike) -> tuple[np.ndarray, FaceLandmarks]:
    """The photo (uint8 RGB) and its one face; the errors of `check_photo`."""
    image = read_rgb(path)
    faces = detect(image, max_faces=PHOTO_MAX_FACES)
    if not faces:
        raise VidinvertError(f"no face found in {path}; --face-ref needs a photo of one person")
    if len(faces) > 1:
        count = f"at least {len(faces)}" if len(faces) == PHOTO_MAX_FACES else str(len(faces))
        raise VidinvertError(f"{path} has {count} faces; --face-ref needs a photo of one person")
    return image, faces[0]


def check_photo(path: str | os.PathLike) -> FaceLandmarks:
    """The one face of a photo (mediapipe, still-image mode), without loading dlib; a VidinvertError
    when the photo cannot be read, shows no face or several."""
    return photo_face(path)[1]


def photo_embedding(path: str | os.PathLike, recognizer: FaceRecognizer | None = None) -> np.ndarray:
    """The embedding (128,) of the one face of a photo (the errors of `check_photo`, then of loading)."""
    image, face = photo_face(path)
    return (recognizer or FaceRecognizer()).embed(image, face)
