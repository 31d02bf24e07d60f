"""Hands in a frame: mediapipe's palm detector and 21-point hand landmarker (both ship in the wheel).

The landmarker runs in its tracking mode on a copy of the frame scaled down to at most
`WORK_SIDE` pixels on its longer side: hands held near a face are large, and the landmarks come
back in the full frame's pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidinvert.face.detect import check_image

#: Longer side of the picture the landmarker sees.
WORK_SIDE = 640
#: Landmark indices of the wrist and the middle finger's knuckle: their distance is the palm's length.
WRIST, MIDDLE_KNUCKLE = 0, 9


class HandFinder:
    """Fed the frames of one stream in order; `find` gives every hand's 21 landmarks (21, 2) in pixels.

    The palm detector runs on every frame until `max_hands` hands are followed, the landmarker on
    each followed hand: two hands (one person's) cost the landmarker twice and no detection."""

    def __init__(self, *, max_hands: int = 2, min_confidence: float = 0.5) -> None:
        import mediapipe as mp

        self._options = dict(static_image_mode=False, max_num_hands=max_hands, model_complexity=0,
                             min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence)
        self._hands = mp.solutions.hands.Hands(**self._options)

    def find(self, image: np.ndarray) -> list[np.ndarray]:
        image = check_image(image)
        h, w = image.shape[:2]
        scale = min(1.0, WORK_SIDE / max(h, w))
        small = image if scale == 1.0 else cv2.resize(image, (round(w * scale), round(h * scale)),
                                                      interpolation=cv2.INTER_AREA)
        result = self._hands.process(small)
        hands = []
        for hand in result.multi_hand_landmarks or ():
            # normalised coordinates put pixel edges at integers; ours put pixel centres there
            hands.append(np.array([(p.x * w - 0.5, p.y * h - 0.5) for p in hand.landmark], dtype=np.float64))
        return hands

    def reset(self) -> None:
        """Forget the hands followed so far (at a shot cut)."""
        import mediapipe as mp

        self._hands.close()
        self._hands = mp.solutions.hands.Hands(**self._options)

    def close(self) -> None:
        self._hands.close()


def palm_length(hand: np.ndarray) -> float:
    return float(np.hypot(*(hand[MIDDLE_KNUCKLE] - hand[WRIST])))
