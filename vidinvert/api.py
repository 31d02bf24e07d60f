"""The functions a script calls: load the models, edit or invert a video, probe a video.

Every keyword here is also a CLI option of the same name (`vidinvert edit --next-steps 2` is
`edit_video(..., next_steps=2)`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from tqdm import tqdm

from vidinvert.checkpoint import load_checkpoint
from vidinvert.demo.model import demo_model_present, load_default_models
from vidinvert.edit.stage import EditStage, make_edit_stage
from vidinvert.edit.temporal import parse_filter
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.face.detect import make_detector
from vidinvert.face.track import FaceTracker, parse_face
from vidinvert.invert import SequenceInverter
from vidinvert.models import Generator, InversionEncoder, load_encoder, load_generator
from vidinvert.face.transfer import ChangeOptions
from vidinvert.pipeline.chain import StageHook, face_render_pairs, generated_faces
from vidinvert.pipeline.face_stages import parse_smooth, track_faces
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.latents_file import LatentsRecorder
from vidinvert.pipeline.model_stages import (DEFAULT_NEXT_STEPS, DEFAULT_STEPS, MaskOptions, composite_frames,
                                             make_sequence_inverter)
from vidinvert.pipeline.transfer_stages import DEFAULT_SMOOTH_CHANGE, change_fields, transfer_composite
from vidinvert.video import FrameRecord, VideoInfo, open_video, parse_frame_range, probe, transcode
from vidinvert.weights import find_weights, require_weights, search_dirs

log = logging.getLogger(__name__)

DEFAULT_GENERATOR = "stylegan2-ffhq-config-f.pt"
#: Encoders looked for in the weights store when none is given, best first.
DEFAULT_ENCODERS = ("vidinvert_encoder.pt", "143_enc.pth", "restyle_psp_ffhq_encode.pt",
                    "restyle_e4e_ffhq_encode.pt")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when available, else the CPU; asking for CUDA without it is an error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise VidinvertError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise VidinvertError("--device cuda was asked for but no CUDA device is available; use --device cpu")
    return resolved


def _has_decoder(ckpt: object) -> bool:
    return isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict) and any(
        k.startswith("decoder.") for k in ckpt["state_dict"])


def load_models(generator: str | os.PathLike | None = None, encoder: str | os.PathLike | None = None,
                weights_dir: str | os.PathLike | None = None,
                device: str | torch.device = "auto") -> tuple[Generator, InversionEncoder]:
    """(G, E) from explicit paths, the weights store, or the bundled demo model.

    Without `encoder`, the first of DEFAULT_ENCODERS found in the store is used. Without
    `generator`, an encoder checkpoint that carries its decoder (ReStyle, pSp, e4e) provides it;
    otherwise the store's stylegan2-ffhq-config-f.pt. With neither given nor found in the store,
    the bundled demo model (`load_default_models`).
    """
    device = resolve_device(device)
    if encoder is None:
        found = [p for p in (find_weights(name, weights_dir) for name in DEFAULT_ENCODERS) if p is not None]
        if not found and generator is None and demo_model_present():
            return load_default_models(device)
        if not found:
            where = ", ".join(str(d) for d in search_dirs(weights_dir))
            raise WeightsError(f"no encoder given and none of {', '.join(DEFAULT_ENCODERS)} found in {where}; "
                               "pass --encoder PATH or place one there")
        encoder = found[0]
    encoder = Path(encoder)
    encoder_file = load_checkpoint(encoder, what="encoder")
    E = load_encoder(encoder, device=device, checkpoint=encoder_file)
    if generator is None and _has_decoder(encoder_file):
        generator = encoder
        G = load_generator(encoder, device=device, checkpoint=encoder_file)
    else:
        if generator is None:
            generator = require_weights(DEFAULT_GENERATOR, weights_dir, flag="--generator")
        G = load_generator(generator, device=device)
    log.info("generator %s (%d px), encoder %s (%s)", generator, G.size, encoder, E.kind)
    return G, E


@dataclass
class RunSummary:
    """What a run did: frame counts, cold starts, time, and where the output went."""

    output: Path
    frames: int = 0
    edited: int = 0
    cold_starts: int = 0
    seconds: float = 0.0
    latents: Path | None = None

    @property
    def passed_through(self) -> int:
        return self.frames - self.edited

    def line(self) -> str:
        fps = self.frames / self.seconds if self.seconds else 0.0
        return (f"{self.output}: {self.frames} frames, {self.edited} with the face edited, "
                f"{self.passed_through} passed through, {self.cold_starts} cold starts, "
                f"{self.seconds:.1f} s ({fps:.2f} frames/s)")


@dataclass
class _Run:
    """The pieces of one pipeline run, wired into a transcode `process` function."""

    G: Generator
    E: InversionEncoder
    device: torch.device
    tracker: FaceTracker
    inverter: SequenceInverter
    edit_stage: EditStage | None
    smooth: float | str
    warm_start: bool
    batch_size: int
    mask: MaskOptions
    seamless: bool
    side_by_side: bool
    require_face: bool
    progress: tqdm
    summary: RunSummary
    recorder: LatentsRecorder | None = None
    source: str = ""
    stage_hook: StageHook | None = None
    change: ChangeOptions = ChangeOptions("generated")
    smooth_change: str = DEFAULT_SMOOTH_CHANGE
    fps: float = 25.0

    def observed(self, name: str, items: Iterator) -> Iterator:
        """A stage's output, passed through the stage hook when there is one."""
        return items if self.stage_hook is None else self.stage_hook(name, items)

    def counted(self, faces: Iterator[tuple[FaceFrame, np.ndarray | None]]) -> Iterator:
        for frame, face in faces:
            if frame.has_face:
                self.summary.edited += 1
                self.summary.cold_starts += frame.cold
            if self.recorder is not None:
                self.recorder.add(frame)
            yield frame, face

    def transferred(self, records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        """The `warp` and `delta` render modes: the edit's change carried onto the real face."""
        pairs = face_render_pairs(self.observed("decode", records), self.tracker, self.inverter, self.G,
                                  self.E.input_size, self.E.feature_index, self.edit_stage, smooth=self.smooth,
                                  warm_start=self.warm_start, device=self.device, batch_size=self.batch_size,
                                  observe=self.observed)
        fields = self.observed("change", change_fields(self.counted(pairs), self.change, self.smooth_change, self.fps))
        return transfer_composite(fields, self.mask, self.side_by_side)

    def generated(self, records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        """The `generated` render mode: the generated face pasted over the real one."""
        faces = generated_faces(self.observed("decode", records), self.tracker, self.inverter, self.G,
                                self.E.input_size, self.E.feature_index, smooth=self.smooth,
                                warm_start=self.warm_start, device=self.device, edit_stage=self.edit_stage,
                                batch_size=self.batch_size, observe=self.observed)
        return composite_frames(self.counted(faces), self.mask, self.seamless, self.side_by_side)

    def process(self, records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        transfer = self.edit_stage is not None and self.change.mode != "generated"
        composited = self.transferred(records) if transfer else self.generated(records)
        for record in self.observed("composite", composited):
            self.progress.update(1)
            yield record
        if self.summary.edited == 0:
            if self.require_face:
                raise VidinvertError(f"no face found in {self.source} (--require-face)")
            log.warning("no face found in %s: the output is the input re-encoded", self.source)


def edit_video(input: str | os.PathLike, output: str | os.PathLike, *,
               attr: Sequence[str] = (), direction: Sequence[str | os.PathLike] = (),
               strength: str | float | None = None, layers: str | None = None,
               direction_format: str | None = None, interpolation: str = "linear",
               smooth_latents: str = "none", smooth_features: str = "none", smooth_offset: str = "none",
               directions_dir: str | os.PathLike | None = None,
               generator: str | os.PathLike | None = None, encoder: str | os.PathLike | None = None,
               weights_dir: str | os.PathLike | None = None, device: str = "auto",
               models: tuple[Generator, InversionEncoder] | None = None,
               steps: int = DEFAULT_STEPS, next_steps: int = DEFAULT_NEXT_STEPS, warm_start: bool = True,
               batch_size: int = 4,
               smooth: float | str = 3.0, face: str = "0", max_gap: int = 5, landmarks: str = "mediapipe",
               frames: str | None = None, codec: str = "h264", crf: int = 18, preset: str = "medium",
               overwrite: bool = False, side_by_side: bool = False, save_latents: str | os.PathLike | None = None,
               require_face: bool = False, mask_forehead: float = 0.15, mask_dilate: float = 0.03,
               mask_feather: float = 0.04, seamless: bool = False, quiet: bool = False,
               render: str = "warp", smooth_change: str = DEFAULT_SMOOTH_CHANGE,
               _require_edit: bool = True, _stage_hook: StageHook | None = None) -> RunSummary:
    """Edit the tracked face of `input` along directions and write `output` (same frames, timing, audio).

    With no edits and no latent smoothing this is `invert_video`: the reconstruction is pasted back.
    `render` is how the edit reaches the frame (`vidinvert.face.transfer`, docs/rendering.md): "warp"
    moves the real face by the generator's change, "delta" adds its colour change, "generated" pastes
    the generated face; `smooth_change` is the temporal filter of the warp/delta change fields.
    Raises VidinvertError (one line) for bad input, options, weights or output paths; the output
    appears only when complete and the input is never modified. `_stage_hook` (no CLI option) sees
    every stage's output iterator by name (decode, landmarks, crop smoothing, align, inversion,
    edit, render, change (warp and delta only), composite) and must yield the same items.
    """
    started = time.perf_counter()
    if _require_edit and not attr and not direction:
        raise VidinvertError("nothing to edit: give --attr NAME[=STRENGTH] or --direction FILE")
    if side_by_side and frames:
        raise VidinvertError("--side-by-side writes every frame twice as wide; it cannot be combined with --frames")
    if batch_size < 1:
        raise VidinvertError(f"--batch-size must be 1 or more, got {batch_size}")
    parse_smooth(smooth)
    change = ChangeOptions(render)
    parse_filter(smooth_change, layer_groups=False)
    selection = parse_frame_range(frames)
    info = probe(input)
    fps = float(info.fps) if info.fps else 25.0
    G, E = models if models is not None else load_models(generator, encoder, weights_dir, device)
    run_device = G.latent_avg.device
    stage = None
    if attr or direction or any(f != "none" for f in (smooth_latents, smooth_features, smooth_offset)):
        stage = make_edit_stage(G, fps, attr=attr, direction=direction, strength=strength, layers=layers,
                                direction_format=direction_format, interpolation=interpolation,
                                smooth_latents=smooth_latents, smooth_features=smooth_features,
                                smooth_offset=smooth_offset, weights_dir=weights_dir,
                                directions_dir=directions_dir, feature_index=E.feature_index or 5,
                                batch_size=batch_size)
    inverter = make_sequence_inverter(G, E, steps, next_steps)
    detector = make_detector(landmarks, video=True, device=str(run_device))
    total = _frames_selected(info, selection)
    summary = RunSummary(Path(output))
    recorder = LatentsRecorder(render if stage is not None else "generated") if save_latents else None
    with tqdm(total=total, unit="frame", disable=quiet, desc=Path(input).name, leave=False) as bar:
        try:
            run = _Run(G, E, run_device, FaceTracker(detector, face=parse_face(face), max_gap=max_gap), inverter,
                       stage, smooth, warm_start, batch_size,
                       MaskOptions(mask_forehead, mask_dilate, mask_feather), seamless, side_by_side,
                       require_face, bar, summary, recorder, source=str(input), stage_hook=_stage_hook,
                       change=change, smooth_change=smooth_change, fps=fps)
            result = transcode(input, output, run.process, frames=frames, codec=codec, crf=crf, preset=preset,
                               overwrite=overwrite)
        finally:
            detector.close()
    summary.output = result.output
    summary.frames = result.frames
    if recorder is not None:
        summary.latents = recorder.save(save_latents, G, E, fps)
    summary.seconds = time.perf_counter() - started
    return summary


def invert_video(input: str | os.PathLike, output: str | os.PathLike, **options) -> RunSummary:
    """Reconstruct the tracked face of `input` through the encoder and generator (no edit), to judge
    fidelity; takes the keywords of `edit_video` except the edit ones."""
    options.setdefault("render", "generated")
    return edit_video(input, output, _require_edit=False, **options)


def _frames_selected(info: VideoInfo, selection) -> int | None:
    total = info.frames
    if total is None:
        return None
    stop = total if selection.stop is None else min(selection.stop, total)
    return max(stop - selection.start, 0)


@dataclass
class ProbeReport:
    """A video's streams plus where the tracked face is."""

    info: VideoInfo
    frames: int
    face_frames: int
    interpolated: int
    segments: list[tuple[int, int]]
    face_size: float | None

    def lines(self) -> list[str]:
        info = self.info
        duration = f"{info.duration:.3f} s" if info.duration else "unknown duration"
        out = [f"{info.path}: {info.format}, {duration}, rotation {info.rotation}"]
        out += [f"  stream {s.index}: {_describe_stream(s)}" for s in info.streams]
        out.append(f"frames: {self.frames}, with the face: {self.face_frames} "
                   f"({self.interpolated} bridged over detection gaps)")
        if self.segments:
            spans = ", ".join(f"{a}-{b}" for a, b in self.segments)
            out.append(f"face track: {len(self.segments)} segment(s) [{spans}], median face size "
                       f"{self.face_size:.0f} px")
        else:
            out.append("face track: no face found")
        return out


def _describe_stream(s) -> str:
    parts = [s.type, s.codec or "unknown codec"]
    if s.width:
        parts.append(f"{s.width}x{s.height}")
    if s.fps:
        parts.append(f"{float(s.fps):.3f} fps")
    if s.sample_rate:
        parts.append(f"{s.sample_rate} Hz, {s.channels} ch")
    if s.frames:
        parts.append(f"{s.frames} frames")
    if s.duration:
        parts.append(f"{s.duration:.3f} s")
    return ", ".join(parts)


def probe_video(input: str | os.PathLike, *, face: str = "0", max_gap: int = 5, landmarks: str = "mediapipe",
                frames: str | None = None, quiet: bool = True) -> ProbeReport:
    """Streams, duration, frames with a face and the face track of a video (no models needed)."""
    info = probe(input)
    detector = make_detector(landmarks, video=True)
    tracker = FaceTracker(detector, face=parse_face(face), max_gap=max_gap)
    count = face_frames = interpolated = 0
    segments: list[tuple[int, int]] = []
    sizes: list[float] = []
    try:
        with open_video(input, frames=frames) as video, \
                tqdm(total=_frames_selected(info, parse_frame_range(frames)), unit="frame", disable=quiet,
                     leave=False) as bar:
            for frame in track_faces(video, tracker):
                count += 1
                bar.update(1)
                if frame.landmarks is None:
                    continue
                face_frames += 1
                interpolated += frame.interpolated
                sizes.append(frame.landmarks.size)
                index = frame.record.index
                if segments and segments[-1][1] == index - 1:
                    segments[-1] = (segments[-1][0], index)
                else:
                    segments.append((index, index))
    finally:
        detector.close()
    return ProbeReport(info, count, face_frames, interpolated, segments,
                       float(np.median(sizes)) if sizes else None)
