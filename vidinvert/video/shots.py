"""Shot cuts: a frame whose small grey thumbnail differs from the previous frame's by more than
CUT_LEVELS on average starts a new shot."""

from __future__ import annotations

import cv2
import numpy as np

#: Mean absolute difference (0-255 levels) of two consecutive 64x36 grey thumbnails at a cut.
#: Measured on the shared clips: within a shot at most 4.3 (phone clips with moving hands),
#: between the last and first frames of two different clips at least 11.0.
CUT_LEVELS = 10.0
THUMBNAIL = (64, 36)


class CutDetector:
    """Fed frames in order; says for each whether a new shot starts there."""

    def __init__(self, levels: float = CUT_LEVELS) -> None:
        self.levels = levels
        self._previous: np.ndarray | None = None

    def difference(self, image: np.ndarray) -> float | None:
        """The mean thumbnail difference from the previous frame (None on the first)."""
        grey = cv2.cvtColor(cv2.resize(image, THUMBNAIL, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        grey = grey.astype(np.float32)
        previous, self._previous = self._previous, grey
        return None if previous is None else float(np.abs(grey - previous).mean())

    def __call__(self, image: np.ndarray) -> bool:
        difference = self.difference(image)
        return difference is not None and difference > self.levels
