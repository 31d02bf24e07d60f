"""What a per-video function gives the evaluation: one record per face frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

Crop = np.ndarray | torch.Tensor


@dataclass
class EvalFrame:
    """One evaluated frame.

    ``input_crop`` is the aligned crop of the source frame, ``output_crop`` the reconstruction
    (or edit) of it, both at the same size: uint8 HWC RGB arrays or float CHW tensors in
    [-1, 1]. ``quad`` is the crop quad in frame pixels (4, 2) for the jitter metric.
    Embeddings (D,) are optional: when absent, the evaluation's identity model embeds the crops.
    """

    index: int
    input_crop: Crop
    output_crop: Crop
    quad: np.ndarray | None = None
    input_embedding: torch.Tensor | None = None
    output_embedding: torch.Tensor | None = None


# video_fn(path, max_frames) -> the frame records of the first max_frames frames (all when None).
# Must be picklable (a module-level function, functools.partial or a small object) for --workers.
# The returned iterable may count the frames that gave no record in a `frames_without_face`
# attribute (read once iteration ends); it is reported per video, and so is a `face_scores` attribute
# (`vidinvert.eval.face_score.FaceScorer.summary()` of the video's full frames) when it is not None.
# A `prepare()` method, when the function has one, runs once before the first video (to fail early
# on bad models or options).
VideoFn = Callable[[Path, int | None], Iterable[EvalFrame]]
