"""The opened video, its models, and each frame's tracking and inversion, kept so that a slider move
costs the edit, one generator pass, the change and the composite of the one frame shown.

The frames of a face track are tracked, aligned and inverted once, by the stages a run uses
(`track_frames`, `align_crops`, `invert_frames` with the warm-start chain over the whole clip).
A frame is then rendered by a `FaceChain` built for the edits asked for, fed that one frame; what a
run smooths over time (latents, the change field) is left unsmoothed here. A range renders exactly
as `edit` does (vidinvert.preview.range_job).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from vidinvert.config import RunConfig
from vidinvert.edit.keyframes import parse_strength, strength_at
from vidinvert.edit.registry import EditRequest, known_direction_names, parse_attr
from vidinvert.errors import VidinvertError
from vidinvert.face.mask import face_mask
from vidinvert.face.tracks import FaceTracks
from vidinvert.face.transfer import ChangeOptions
from vidinvert.models import LoadedModels
from vidinvert.pipeline.build import FaceChain, build_face_chain, make_compositor
from vidinvert.pipeline.composite_stage import Compositor
from vidinvert.pipeline.execution import model_threads
from vidinvert.pipeline.face_stages import align_crops
from vidinvert.pipeline.find_tracks import clip_tracks
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.invert_stage import invert_frames
from vidinvert.pipeline.multi_face import track_frames
from vidinvert.pipeline.transfer_stages import change_fields
from vidinvert.preview.edits import FILES, MASK_OPTIONS, PreviewEdits
from vidinvert.video import FrameRecord, open_video, probe
from vidinvert.video.sources import check_source

log = logging.getLogger(__name__)

#: The preview holds the clip's decoded frames; longer clips are cut here (with a warning).
MAX_FRAMES = 1500
VIEWS = ("output", "original", "side", "difference", "mask")


class PreviewSession:
    """One video opened for previewing, with the models of the run and the options given to `preview`."""

    def __init__(self, video: str | Path, config: RunConfig, models: LoadedModels) -> None:
        self.source = check_source(video)
        self.info = probe(self.source)
        self.fps = self.info.frame_rate
        self.models = models
        self.config = config.with_options(attr=(), direction=(), strength=None, frames=None, quiet=True)
        self.files = tuple(Path(p) for p in config.edit.direction)
        self.initial = initial_strengths(config)
        self.records = _decode(self.source)
        self.tracks: FaceTracks = clip_tracks(self.source, self.config.track, quiet=True)
        self._faces: dict[int, list[FaceFrame]] = {}
        self._chains: dict[tuple, FaceChain] = {}
        self._compositors: dict[str, Compositor] = {}  # by --occluders: each holds its hand finder
        self.lock = threading.RLock()  # one render at a time uses the models

    @property
    def track_ids(self) -> list[int]:
        return self.tracks.ids()

    def directions(self) -> list[str]:
        """One slider each: the named directions that resolve for these models, the motion expressions,
        and the `--direction` files together."""
        edit = self.config.edit
        names = known_direction_names(self.config.models.weights_dir, edit.directions_dir, self.models.directions_dir)
        return sorted(names | set(self.initial) - {FILES}) + ([FILES] if self.files else [])

    def time_of(self, index: int) -> float:
        return self.records[self.checked_index(index)].time

    def checked_index(self, index: int) -> int:
        if not 0 <= index < len(self.records):
            raise VidinvertError(f"frame {index} is outside the clip (0-{len(self.records) - 1})")
        return index

    def run_config(self, edits: PreviewEdits) -> RunConfig:
        """The configuration a run of these edits uses for their track."""
        return self.config.with_options(**edits.options(self.files, self.time_of))

    def face_frames(self, track_id: int) -> list[FaceFrame]:
        """Every frame of the clip as one track's inverted face frames, computed once."""
        if track_id not in self._faces:
            if track_id not in self.track_ids:
                raise VidinvertError(f"no face track {track_id} in {self.source.name}"
                                     if self.track_ids else f"no face found in {self.source.name}")
            with self.lock, model_threads(self.config.execution):
                self._faces[track_id] = self._invert(track_id)
        return self._faces[track_id]

    def _invert(self, track_id: int) -> list[FaceFrame]:
        chain = build_face_chain(self.models, self.config, self.fps)
        frames = track_frames(self.records, self.tracks, self.tracks.get(track_id), self.config.track.smooth)
        frames = align_crops(frames, self.models.E.input_size)
        return list(invert_frames(frames, chain.inverter, self.config.invert.warm_start, chain.device,
                                  self.config.models.precision))

    def render(self, edits: PreviewEdits, index: int) -> tuple[np.ndarray, FaceFrame | None]:
        """Frame `index` with the edits in place (8-bit RGB) and its face frame (None without the face)."""
        record = self.records[self.checked_index(index)]
        if not self.track_ids:
            return record.image, None
        with self.lock, model_threads(self.config.execution):
            frame = self.face_frames(edits.track)[index]
            if frame.inverted is None:
                return record.image, None
            names = edits.active()
            if not names:
                return record.image, frame
            config = self.run_config(edits)
            chain = self._chain(config, tuple(names))
            stage = chain.edit_stage
            stage.solve_for_clip(self._first_face(edits.track).inverted.wplus)
            stage.edits = [replace(request, strength=strength_at(request.strength, record.time))
                           for request in self._requests(chain, config)]
            frames = chain.renderer(stage([frame]))
            if chain.renderer.with_before:
                frames = change_fields(frames, ChangeOptions(config.render.render), "none", self.fps,
                                       stage.default_offset_size)
            face = next(iter(frames))
            return self._compositor(config).alone(record, [(face, config.render)]).image, face

    def _compositor(self, config: RunConfig) -> Compositor:
        kind = config.render.occluders
        if kind not in self._compositors:
            self._compositors[kind] = make_compositor(config)
        return self._compositors[kind]

    def close(self) -> None:
        """Release the compositors' hand finders."""
        for compositor in self._compositors.values():
            compositor.close()
        self._compositors.clear()

    def view(self, edits: PreviewEdits, index: int, view: str) -> np.ndarray:
        """The picture a view shows: output, original, side by side, difference, or the mask over the frame."""
        if view not in VIEWS:
            raise VidinvertError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
        original = self.records[self.checked_index(index)].image
        if view == "original":
            return original
        if view == "mask":
            frame = self.face_frames(edits.track)[index] if self.track_ids else None
            return mask_overlay(original, frame, self.run_config(edits))
        output, _ = self.render(edits, index)
        if view == "side":
            return np.concatenate([original, output], axis=1)
        if view == "difference":
            diff = np.abs(output.astype(np.int16) - original.astype(np.int16)).max(axis=2)
            return cv2.applyColorMap(np.clip(diff * 8, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
        return output

    def _first_face(self, track_id: int) -> FaceFrame:
        return next(f for f in self.face_frames(track_id) if f.inverted is not None)

    def _chain(self, config: RunConfig, names: tuple[str, ...]) -> FaceChain:
        """The stages for one set of directions and a render mode, built (and their directions checked) once."""
        key = (names, config.render.render)
        if key not in self._chains:
            self._chains[key] = build_face_chain(self.models, config, self.fps)
        return self._chains[key]

    def _requests(self, chain: FaceChain, config: RunConfig) -> list[EditRequest]:
        """The chain's edits with this request's strengths (the chain keeps its solved directions)."""
        edit = config.edit
        texts = [parse_attr(a)[1] for a in edit.attr] + [edit.strength] * len(edit.direction)
        return [EditRequest(request.direction, parse_strength(text, edit.interpolation, self.fps))
                for request, text in zip(chain.edit_stage.edits, texts)]


def mask_overlay(image: np.ndarray, frame: FaceFrame | None, config: RunConfig) -> np.ndarray:
    """The frame with the compositing mask tinted over it."""
    if frame is None or frame.landmarks is None:
        return image
    render = config.render
    mask = face_mask(frame.landmarks, image.shape, forehead=render.mask_forehead, dilate=render.mask_dilate,
                     feather=render.mask_feather)[..., None]
    tint = np.array([255, 60, 160], np.float32)
    return np.clip(image * (1 - 0.5 * mask) + tint * 0.5 * mask, 0, 255).astype(np.uint8)


def initial_strengths(config: RunConfig) -> dict[str, float]:
    """The slider values the command line's `--attr NAME=STRENGTH` (numbers only) and `--direction` give."""
    values: dict[str, float] = {}
    for item in config.edit.attr:
        name, text = parse_attr(item)
        try:
            values[name] = float(text) if text is not None else 1.0
        except ValueError:
            values[name] = 1.0
    if config.edit.direction:
        try:
            values[FILES] = float(config.edit.strength) if config.edit.strength is not None else 1.0
        except ValueError:
            values[FILES] = 1.0
    return values


def mask_defaults(config: RunConfig) -> dict[str, float]:
    return {name: getattr(config.render, name) for name in MASK_OPTIONS}


def _decode(source: Path) -> list[FrameRecord]:
    records = []
    with open_video(source) as video:
        for record in video:
            if len(records) == MAX_FRAMES:
                log.warning("%s is longer than %d frames: the preview shows the first %d", source.name, MAX_FRAMES,
                            MAX_FRAMES)
                break
            records.append(record)
    if not records:
        raise VidinvertError(f"{source} has no video frame to preview")
    return records
