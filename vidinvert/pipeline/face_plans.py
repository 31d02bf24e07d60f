"""Which of a clip's face tracks are edited, and with which settings: `--track`, `--face-ref`,
`--min-face` and an edit spec's selectors, all settled before any model loads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidinvert.config import RunConfig
from vidinvert.edit.spec import EditSpec
from vidinvert.errors import VidinvertError
from vidinvert.pipeline.find_tracks import clip_tracks
from vidinvert.face.tracks import FaceTracks, Track
from vidinvert.models import LoadedModels
from vidinvert.pipeline.build import StageHook, build_face_chain, unobserved
from vidinvert.pipeline.multi_face import TrackPlan
from vidinvert.pipeline.style_mix import StyleMix
from vidinvert.video.sequence import parse_fps


@dataclass
class TrackChoice:
    """The tracks to edit with each one's settings, and those left alone (with why)."""

    edited: list[Track] = field(default_factory=list)
    configs: dict[int, RunConfig] = field(default_factory=dict)  # track id -> its settings
    too_small: list[Track] = field(default_factory=list)
    not_chosen: list[Track] = field(default_factory=list)


def matches_photo(track: Track, photos: Sequence[np.ndarray], threshold: float) -> bool:
    """Whether the track's person is one of the photos' (identity distance below the threshold)."""
    embedding = track.embedding
    return embedding is not None and any(float(np.linalg.norm(embedding - p)) < threshold for p in photos)


def choose_tracks(tracks: FaceTracks, config: RunConfig, photos: Sequence[np.ndarray] = (),
                  configure: Callable[[Track], RunConfig | None] | None = None) -> TrackChoice:
    """The tracks `--track`, `--face-ref` (`photos`' embeddings), `--min-face` and `configure` (an edit
    spec's entries: None for a track it does not select) leave to edit."""
    track = config.track
    choice = TrackChoice()
    for candidate in tracks.tracks:
        chosen = (not track.track or candidate.id in track.track) and (
            not photos or matches_photo(candidate, photos, track.face_ref_threshold))
        own = (config if configure is None else configure(candidate)) if chosen else None
        if own is None:
            choice.not_chosen.append(candidate)
        elif candidate.size < track.min_face:
            choice.too_small.append(candidate)
        else:
            choice.edited.append(candidate)
            choice.configs[candidate.id] = own
    return choice


def find_and_choose(source: Path, config: RunConfig, spec: EditSpec | None = None, *,
                    require_edit: bool = True) -> tuple[FaceTracks, TrackChoice]:
    """The clip's tracks and the choice among them. Photos with no face or several, and track ids the
    clip lacks, are refused before the tracking pass ends in anything heavy."""
    from vidinvert.face.recognition import FaceRecognizer, photo_face, recognition_available, unavailable_reason

    if require_edit:
        check_edits_given(config, spec)
    refs = {str(p): Path(p) for p in config.track.face_ref}
    spec_refs = spec.refs() if spec is not None else {}
    if (refs or spec_refs) and not recognition_available():
        raise VidinvertError(f"faces chosen by photo need the identity extra: {unavailable_reason()}")
    photo_faces = {name: photo_face(photo) for name, photo in {**refs, **spec_refs}.items()}  # refused before tracking
    out = config.output
    tracks = clip_tracks(source, config.track, frames=out.frames, fps=parse_fps(out.fps), quiet=out.quiet,
                         identity=True if refs or spec_refs else None)
    tracks.check_ids([*config.track.track, *(spec.track_ids() if spec is not None else ())])
    recognizer = FaceRecognizer() if photo_faces else None
    embeddings = {name: recognizer.embed(image, face) for name, (image, face) in photo_faces.items()}
    photos = [embeddings[name] for name in refs]
    threshold = config.track.face_ref_threshold

    def configure(track: Track) -> RunConfig | None:
        if spec is None:
            return config
        return spec.config_for(config, track.id, lambda selector: matches_photo(
            track, [embeddings[selector]], threshold))

    return tracks, choose_tracks(tracks, config, photos, configure)


def check_edits_given(config: RunConfig, spec: EditSpec | None) -> None:
    """Refuse a run in which a face the spec (or the command line) selects would get no edit."""
    if spec is None:
        config.edit.require_edits()
        return
    unnamed = max(spec.track_ids(), default=-1) + 1  # a track the spec names only through "all" or a photo
    for track_id in [*spec.track_ids(), unnamed]:
        own = spec.config_for(config, track_id, lambda selector: True)
        if own is not None and not own.edit.edits:
            which = f"track {track_id}" if track_id != unnamed else 'the faces its "all" or photo entries select'
            raise VidinvertError(f"nothing to edit for {which}: give --attr NAME[=STRENGTH] or --direction FILE, "
                                 "or attr in the edit spec's entries for it")


def plan_tracks(models: LoadedModels, choice: TrackChoice, fps: float, *,
                observe: StageHook = unobserved, mix: StyleMix | None = None) -> list[TrackPlan]:
    """A chain of stages for each chosen track, with its own settings (and every one the style `mix`)."""
    return [TrackPlan(track, choice.configs[track.id],
                      build_face_chain(models, choice.configs[track.id], fps, observe=observe, mix=mix))
            for track in choice.edited]
