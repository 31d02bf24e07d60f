"""dlib's face-recognition embedding of aligned crops, the identity of TL-ID / TG-ID when no official
identity backbone (IR-SE50 / CurricularFace) is on disk.

The 128-D vectors are L2-normalised, as the official model's are: TL-ID and TG-ID compare frames by
the cosine similarity of unit vectors. dlib's raw vectors have nearly one norm (about 1.37 on the
shared photos), so their cosine orders pairs as their Euclidean distance does. The frame metric ID
is not filled from them: its published values come from the official backbone, on another scale.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from vidinvert.face.recognition import BACKBONE, FaceRecognizer, recognition_available, unavailable_reason
from vidinvert.metrics.unavailable import Unavailable


class RecognitionIdentity:
    """Unit-norm dlib embeddings (N, 128) of FFHQ-aligned crops."""

    name = "recognition"
    source = BACKBONE

    def __init__(self, recognizer: FaceRecognizer | None = None) -> None:
        self.recognizer = recognizer or FaceRecognizer()

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Unit-norm embeddings (N, 128) float32 (as the official model's) of crops (N, 3, S, S) in [0, 1]."""
        crops = (images.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        vectors = np.stack([self.recognizer.embed_aligned(crop) for crop in crops])
        return F.normalize(torch.from_numpy(vectors), dim=1).float()


def load_recognition_identity() -> RecognitionIdentity | Unavailable:
    """dlib's embedding, or Unavailable with what to install."""
    if not recognition_available():
        return Unavailable("recognition", unavailable_reason())
    return RecognitionIdentity()
