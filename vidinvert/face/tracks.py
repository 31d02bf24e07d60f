"""Every face of a clip as tracks with ids that hold over the whole clip.

Frame to frame, faces are associated with the open tracks by overlap with where each track is
expected (its last box moved by its last motion), one to one (the assignment of least cost);
a face that overlaps none is matched by centre distance within half a face size. A track that
misses its face for at most `max_gap` frames is bridged by interpolation; a longer gap or a shot
cut ends its segment. Segments are then joined into tracks: a segment that starts where an
earlier one ended, with no cut between, continues it; otherwise, when an identity embedding is
given, it is matched to the nearest earlier track it does not overlap in time (same person,
same id). Segments shorter than MIN_SEGMENT frames are dropped as spurious detections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from vidinvert.errors import VidinvertError
from vidinvert.face.landmarks import FaceLandmarks, interpolate
from vidinvert.face.track import iou

#: Segments with fewer frames are taken for false detections and left out of every track.
MIN_SEGMENT = 3
#: Two segments are the same person when their mean embeddings are nearer than this (dlib's
#: 128-D embedding; its same-person line is 0.6, and joining two people is worse than a new id).
SAME_TRACK_DISTANCE = 0.5
#: A segment continues an ended one without a cut between when its first box overlaps the other's
#: last box this much.
RELINK_IOU = 0.3
#: Two faces of one frame overlapping this much are one face found twice.
DUPLICATE_IOU = 0.5
#: Side of a track's thumbnail picture, in pixels.
THUMBNAIL = 128
#: A segment's embedding is taken on its 1st, 2nd, 4th, 8th... frame (at most this many).
EMBEDDINGS_PER_SEGMENT = 6

Embed = Callable[[np.ndarray, FaceLandmarks], np.ndarray]


@dataclass(frozen=True)
class TrackFace:
    """One track's face in one frame."""

    track: int
    landmarks: FaceLandmarks
    interpolated: bool = False
    starts_segment: bool = False  # first frame after a cut, a long gap or the track's start


@dataclass
class Segment:
    """A stretch of frames over which one face was followed without a cut or a long gap."""

    first: int
    faces: dict[int, tuple[FaceLandmarks, bool]] = field(default_factory=dict)  # index -> (landmarks, interpolated)
    embeddings: list[np.ndarray] = field(default_factory=list)
    thumbnail: tuple[float, int] = (0.0, -1)  # (face size, frame index) of the largest detected face
    picture: np.ndarray | None = None  # that face, cut out at THUMBNAIL px

    @property
    def last(self) -> int:
        return max(self.faces)

    def landmarks_at(self, index: int) -> FaceLandmarks:
        return self.faces[index][0]


@dataclass
class Track:
    """A person over the clip: one id, one or more segments."""

    id: int
    segments: list[Segment]

    @property
    def first(self) -> int:
        return self.segments[0].first

    @property
    def last(self) -> int:
        return self.segments[-1].last

    @property
    def frames(self) -> int:
        return sum(len(s.faces) for s in self.segments)

    @property
    def size(self) -> float:
        """Median face size in pixels (the larger side of the landmarks' box)."""
        return float(np.median([lm.size for s in self.segments for lm, _ in s.faces.values()]))

    @property
    def embedding(self) -> np.ndarray | None:
        vectors = [e for s in self.segments for e in s.embeddings]
        return np.mean(vectors, axis=0) if vectors else None

    @property
    def picture(self) -> np.ndarray | None:
        """The track's largest detected face, THUMBNAIL px square (uint8 RGB)."""
        return max(self.segments, key=lambda s: s.thumbnail[0]).picture

    def as_dict(self) -> dict:
        return {"id": self.id, "first": self.first, "last": self.last, "frames": self.frames,
                "size": round(self.size, 1)}


@dataclass
class FaceTracks:
    """The tracks of a clip, and each frame's faces by track."""

    tracks: list[Track]
    identity: bool  # whether segments were joined by an identity embedding

    def __post_init__(self) -> None:
        self._by_frame: dict[int, list[TrackFace]] = {}
        for track in self.tracks:
            for segment in track.segments:
                for index, (landmarks, interpolated) in sorted(segment.faces.items()):
                    self._by_frame.setdefault(index, []).append(
                        TrackFace(track.id, landmarks, interpolated, index == segment.first))

    def at(self, index: int) -> list[TrackFace]:
        """The faces of frame `index`, one per track present there."""
        return self._by_frame.get(index, [])

    def ids(self) -> list[int]:
        return [t.id for t in self.tracks]

    def get(self, track_id: int) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(track_id)

    def check_ids(self, wanted: Iterable[int]) -> None:
        """Refuse track ids the clip does not have, listing the ones it has."""
        missing = sorted(set(wanted) - set(self.ids()))
        if missing:
            have = ", ".join(str(i) for i in self.ids()) or "none"
            raise VidinvertError(f"no track {', '.join(str(i) for i in missing)} in this clip; its tracks: {have}")


@dataclass
class _Open:
    segment: Segment
    last: FaceLandmarks
    last_index: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    missed: list[int] = field(default_factory=list)

    def predicted_box(self, index: int) -> np.ndarray:
        shift = self.velocity * (index - self.last_index)
        return self.last.bbox + np.concatenate([shift, shift])


class TrackBuilder:
    """Builds FaceTracks from each frame's detections, fed in frame order."""

    def __init__(self, *, max_gap: int = 5, min_iou: float = 0.2, embed: Embed | None = None) -> None:
        if max_gap < 0:
            raise VidinvertError(f"max_gap must be >= 0 frames, got {max_gap}")
        self.max_gap = max_gap
        self.min_iou = min_iou
        self.embed = embed
        self._open: list[_Open] = []
        self._ended: list[Segment] = []
        self._cuts: list[int] = []

    def add(self, index: int, image: np.ndarray, faces: list[FaceLandmarks], *, cut: bool = False) -> None:
        """One frame's detected faces (frame pixels); `cut` when a new shot starts at this frame."""
        faces = distinct(faces)
        if cut:
            self._cuts.append(index)
            for track in self._open:
                self._end(track)
            self._open = []
        pairs = self._assign(index, faces)
        matched = set()
        for track_i, face_i in pairs:
            self._extend(self._open[track_i], index, image, faces[face_i])
            matched.add(track_i)
        still_open = []
        for i, track in enumerate(self._open):
            if i not in matched:
                track.missed.append(index)
                if len(track.missed) > self.max_gap:
                    self._end(track)
                    continue
            still_open.append(track)
        taken = {face_i for _, face_i in pairs}
        for i, face in enumerate(faces):
            if i not in taken:
                segment = Segment(index)
                track = _Open(segment, face, index)
                self._record(segment, index, image, face)
                still_open.append(track)
        self._open = still_open

    def finish(self) -> FaceTracks:
        """The tracks, ids numbered 0, 1, ... in order of first appearance."""
        for track in self._open:
            self._end(track)
        self._open = []
        segments = sorted((s for s in self._ended if len(s.faces) >= MIN_SEGMENT), key=lambda s: (s.first, s.last))
        return FaceTracks(_join(segments, self._cuts), identity=self.embed is not None)

    def _assign(self, index: int, faces: list[FaceLandmarks]) -> list[tuple[int, int]]:
        if not self._open or not faces:
            return []
        cost = np.full((len(self._open), len(faces)), np.inf)
        for i, track in enumerate(self._open):
            box = track.predicted_box(index)
            centre, size = (box[:2] + box[2:]) / 2, track.last.size
            for j, face in enumerate(faces):
                overlap = iou(box, face.bbox)
                distance = float(np.hypot(*(face.centre - centre))) / max(size, 1.0)
                if overlap >= self.min_iou:
                    cost[i, j] = 1.0 - overlap
                elif distance <= 0.5:
                    cost[i, j] = 1.0 + distance
        finite = np.where(np.isfinite(cost), cost, 1e6)
        rows, cols = linear_sum_assignment(finite)
        return [(int(r), int(c)) for r, c in zip(rows, cols) if np.isfinite(cost[r, c])]

    def _extend(self, track: _Open, index: int, image: np.ndarray, face: FaceLandmarks) -> None:
        gap = track.missed
        for k, held in enumerate(gap, start=1):
            track.segment.faces[held] = (interpolate(track.last, face, k / (len(gap) + 1)), True)
        track.velocity = (face.centre - track.last.centre) / (index - track.last_index)
        track.last, track.last_index, track.missed = face, index, []
        self._record(track.segment, index, image, face)

    def _record(self, segment: Segment, index: int, image: np.ndarray, face: FaceLandmarks) -> None:
        segment.faces[index] = (face, False)
        count = len(segment.faces)
        if face.size > segment.thumbnail[0]:
            segment.thumbnail = (face.size, index)
            segment.picture = cut_thumbnail(image, face)
        if self.embed is not None and count & (count - 1) == 0 and len(segment.embeddings) < EMBEDDINGS_PER_SEGMENT:
            segment.embeddings.append(np.asarray(self.embed(image, face), np.float64))

    def _end(self, track: _Open) -> None:
        self._ended.append(track.segment)  # frames missed at the end stay without the face


def distinct(faces: list[FaceLandmarks]) -> list[FaceLandmarks]:
    """The faces without those overlapping a larger one by more than DUPLICATE_IOU (one face found twice)."""
    kept: list[FaceLandmarks] = []
    for face in sorted(faces, key=lambda f: f.area, reverse=True):
        if all(iou(face.bbox, other.bbox) <= DUPLICATE_IOU for other in kept):
            kept.append(face)
    return kept


def cut_thumbnail(image: np.ndarray, face: FaceLandmarks) -> np.ndarray:
    """A square around the face (1.4 times its size), THUMBNAIL px on a side."""
    half = 0.7 * face.size
    cx, cy = face.centre
    scale = THUMBNAIL / (2 * half)
    matrix = np.array([[scale, 0, THUMBNAIL / 2 - scale * cx], [0, scale, THUMBNAIL / 2 - scale * cy]])
    return cv2.warpAffine(image, matrix, (THUMBNAIL, THUMBNAIL), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT)


def _join(segments: list[Segment], cuts: list[int]) -> list[Track]:
    """Segments (sorted by first frame) joined into tracks: continued in place, else by identity."""
    tracks: list[Track] = []
    for segment in segments:
        choice = _continued(tracks, segment, cuts) or _same_person(tracks, segment)
        if choice is None:
            tracks.append(Track(len(tracks), [segment]))
        else:
            choice.segments.append(segment)
    return tracks


def _free(track: Track, segment: Segment) -> bool:
    """Whether the track has no face during the segment (one person is never two faces at once)."""
    return track.last < segment.first


def _continued(tracks: list[Track], segment: Segment, cuts: list[int]) -> Track | None:
    """The track that ended where the segment starts, in the same shot."""
    start = segment.landmarks_at(segment.first).bbox
    best, best_overlap = None, RELINK_IOU
    for track in tracks:
        if not _free(track, segment) or any(track.last < cut <= segment.first for cut in cuts):
            continue
        overlap = iou(track.segments[-1].landmarks_at(track.last).bbox, start)
        if overlap >= best_overlap:
            best, best_overlap = track, overlap
    return best


def _same_person(tracks: list[Track], segment: Segment) -> Track | None:
    if not segment.embeddings:
        return None
    mine = np.mean(segment.embeddings, axis=0)
    best, best_distance = None, SAME_TRACK_DISTANCE
    for track in tracks:
        theirs = track.embedding
        if theirs is not None and _free(track, segment):
            distance = float(np.linalg.norm(mine - theirs))
            if distance < best_distance:
                best, best_distance = track, distance
    return best
