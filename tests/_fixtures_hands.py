"""Real hands cut out of the shared phone clips and laid over the face of another shared clip: a
talking face with a hand at the mouth, written losslessly, for the occluder tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests._fixtures_face import clip_frames
from vidinvert.face.detect import MeshDetector
from vidinvert.face.hands import HandFinder
from vidinvert.face.landmarks import MOUTH_LEFT, MOUTH_RIGHT
from vidinvert.face.occluders import hand_matte


def cut_hand(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """One real hand from phone_s20.mp4: (RGB patch, its matte in [0, 1]), the patch cropped to the
    hand's grown hull."""
    frame = clip_frames(shared_data / "hands" / "phone_s20.mp4", 1, step=30)[0]
    finder = HandFinder()
    try:
        hand = max(finder.find(frame), key=lambda h: h[:, 0].mean())  # the right-hand one of the two
    finally:
        finder.close()
    matte = hand_matte(hand, frame.shape)
    ys, xs = np.nonzero(matte)
    box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    return frame[box], matte[box]


def hand_over_face(shared_data: Path, target: Path, frames: int = 12) -> Path:
    """talk_audio.mp4's first `frames` frames with the cut hand over the mouth and chin, moving a
    little from frame to frame; written losslessly (FFV1) to `target` (.mkv)."""
    patch, alpha = cut_hand(shared_data)
    faces = clip_frames(shared_data / "videos" / "talk_audio.mp4", frames)
    detector = MeshDetector(video=False)
    try:
        face = detector.detect(faces[0])[0]
    finally:
        detector.close()
    scale = 0.55 * face.size / max(patch.shape[:2])
    patch = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(alpha, (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_LINEAR)[..., None]
    mouth = face.anchors[[MOUTH_LEFT, MOUTH_RIGHT]].mean(axis=0)
    with av.open(str(target), "w") as container:
        stream = container.add_stream("ffv1", rate=Fraction(25))
        stream.width, stream.height = faces[0].shape[1], faces[0].shape[0]
        stream.pix_fmt = "bgr0"
        for i, image in enumerate(faces):
            x = int(mouth[0] - patch.shape[1] * 0.3 + 2 * i)
            y = int(mouth[1] - patch.shape[0] * 0.2)
            region = image[y:y + patch.shape[0], x:x + patch.shape[1]]
            mixed = region * (1 - alpha) + patch * alpha
            image = image.copy()
            image[y:y + patch.shape[0], x:x + patch.shape[1]] = np.rint(mixed).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return target


def detected_hands(path: Path) -> list[np.ndarray]:
    """Per frame of a clip, the (H, W) bool region inside the hulls of the hands found in it."""
    finder = HandFinder()
    try:
        regions = []
        for image in clip_frames(path):
            region = np.zeros(image.shape[:2], np.uint8)
            for hand in finder.find(image):
                cv2.fillConvexPoly(region, cv2.convexHull(np.rint(hand).astype(np.int32)), 1)
            regions.append(region.astype(bool))
        return regions
    finally:
        finder.close()
