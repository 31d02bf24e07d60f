"""The tracking pass over a clip: every frame's faces detected, shots cut, faces joined into tracks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from fractions import Fraction

from tqdm import tqdm

from vidinvert.config import TrackConfig
from vidinvert.face.detect import LandmarkDetector, make_detector
from vidinvert.face.tiled_detect import TiledDetector
from vidinvert.face.tracks import FaceTracks, TrackBuilder
from vidinvert.video import FrameRecord
from vidinvert.video.shots import CutDetector
from vidinvert.video.sources import open_video

log = logging.getLogger(__name__)

#: Faces the detector follows at once when every face of the shot is wanted.
MAX_FACES = 8


def find_tracks(records: Iterable[FrameRecord], detector: LandmarkDetector, *, max_gap: int = 5,
                identity: bool | None = None, progress: Callable[[], None] | None = None) -> FaceTracks:
    """The clip's face tracks. `identity` joins segments across cuts and long gaps by dlib's face
    embedding (None: when the identity extra is installed)."""
    if identity is None:
        from vidinvert.face.recognition import recognition_available

        identity = recognition_available()
        if not identity:
            log.warning("the identity extra is not installed: a face found again after a cut gets a new track id "
                        "(pip install -e '.[identity]')")
    recognizer = None
    if identity:
        from vidinvert.face.recognition import FaceRecognizer

        recognizer = FaceRecognizer()
    builder = TrackBuilder(max_gap=max_gap, embed=None if recognizer is None else recognizer.embed)
    cuts = CutDetector()
    for record in records:
        image = record.image
        cut = cuts(image)
        if cut and hasattr(detector, "reset"):
            detector.reset()
        builder.add(record.index, image, detector.detect(image), cut=cut)
        if progress is not None:
            progress()
    return builder.finish()


def clip_tracks(source, track: TrackConfig, *, frames: str | None = None, fps: Fraction | None = None,
                quiet: bool = True, identity: bool | None = None) -> FaceTracks:
    """The face tracks of a video or image sequence (the `frames` range), found as `track` says."""
    detector = TiledDetector(lambda: make_detector(track.landmarks, video=True, max_faces=MAX_FACES))
    try:
        with open_video(source, frames=frames, fps=fps) as video, \
                tqdm(unit="frame", disable=quiet, leave=False, desc="finding faces") as bar:
            return find_tracks(video, detector, max_gap=track.max_gap, identity=identity,
                               progress=lambda: bar.update(1))
    finally:
        detector.close()
