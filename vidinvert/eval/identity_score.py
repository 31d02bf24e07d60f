"""Identity distance of one face between input and output frames: does the edited face stay the same person?

Per frame, the face's landmarks in the INPUT frame place one dlib face rectangle
(`vidinvert.face.recognition.face_box`); the face is embedded in the input frame and in the output
frame from that same rectangle, and the frame's value is the Euclidean distance of the two
embeddings (0 for identical pixels; below `SAME_PERSON` = 0.6 dlib calls them one person).
Summarised by the median over frames and the worst (largest) frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.face.recognition import BACKBONE, SAME_PERSON, FaceRecognizer, distance
from vidinvert.metrics.face_quality import nan_median


def identity_distance(recognizer: FaceRecognizer, source: np.ndarray, output: np.ndarray,
                      face: FaceLandmarks) -> float:
    """Distance between the face's embeddings in the input and output frames (uint8 RGB, one size),
    both taken at the input face's landmarks."""
    return distance(recognizer.embed(source, face), recognizer.embed(output, face))


@dataclass
class IdentityTrack:
    """The identity distance of one face (one track), frame by frame."""

    recognizer: FaceRecognizer
    distances: dict[int, float] = field(default_factory=dict)

    def add(self, index: int, source: np.ndarray, output: np.ndarray, face: FaceLandmarks) -> float:
        """Measure frame `index` of the face at `face` (its landmarks in the input frame)."""
        self.distances[index] = identity_distance(self.recognizer, source, output, face)
        return self.distances[index]

    def summary(self) -> dict[str, float | int | str | None]:
        """Backbone, threshold, frame count, median distance and the worst frame (NaN / None without frames)."""
        worst_frame = max(self.distances, key=self.distances.__getitem__) if self.distances else None
        return {"backbone": BACKBONE, "same_person": SAME_PERSON, "frames": len(self.distances),
                "median": nan_median(list(self.distances.values())),
                "worst": math.nan if worst_frame is None else self.distances[worst_frame],
                "worst_frame": worst_frame}
