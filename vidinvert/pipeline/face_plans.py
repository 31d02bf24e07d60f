"""Which of a clip's face tracks are edited, and with which settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vidinvert.config import RunConfig
from vidinvert.face.tracks import FaceTracks, Track
from vidinvert.models import LoadedModels
from vidinvert.pipeline.build import StageHook, build_face_chain, unobserved
from vidinvert.pipeline.multi_face import TrackPlan

#: A track's settings, or None when it is not edited (a spec that selects no entry for it).
Configure = Callable[[Track, RunConfig], "RunConfig | None"]


@dataclass
class TrackChoice:
    """The tracks to edit, and those left alone (with why)."""

    edited: list[Track] = field(default_factory=list)
    too_small: list[Track] = field(default_factory=list)
    not_chosen: list[Track] = field(default_factory=list)


def matches_photo(track: Track, photos: Sequence[np.ndarray], threshold: float) -> bool:
    """Whether the track's person is one of the photos' (identity distance below the threshold)."""
    embedding = track.embedding
    return embedding is not None and any(float(np.linalg.norm(embedding - p)) < threshold for p in photos)


def choose_tracks(tracks: FaceTracks, config: RunConfig, photos: Sequence[np.ndarray] = ()) -> TrackChoice:
    """The tracks `--track`, `--face-ref` and `--min-face` select (every track without the first two)."""
    track = config.track
    choice = TrackChoice()
    for candidate in tracks.tracks:
        chosen = (not track.track or candidate.id in track.track) and (
            not photos or matches_photo(candidate, photos, track.face_ref_threshold))
        if not chosen:
            choice.not_chosen.append(candidate)
        elif candidate.size < track.min_face:
            choice.too_small.append(candidate)
        else:
            choice.edited.append(candidate)
    return choice


def plan_tracks(models: LoadedModels, config: RunConfig, tracks: Sequence[Track], fps: float, *,
                configure: Configure | None = None, observe: StageHook = unobserved) -> list[TrackPlan]:
    """A chain of stages for each track, with the settings `configure` gives it (default: `config`)."""
    plans = []
    for track in tracks:
        own = config if configure is None else configure(track, config)
        if own is not None:
            plans.append(TrackPlan(track, own, build_face_chain(models, own, fps, observe=observe)))
    return plans
