"""The functions a script calls: load the models, edit or invert a video, probe a video, mix, morph
and swap faces.

A thin facade: settings are a RunConfig (vidinvert.config), the stages come from
vidinvert.pipeline.build, the video pass from vidinvert.video. Every keyword of `edit_video` is
also a CLI option of the same name (`vidinvert edit --next-steps 2` is `edit_video(..., next_steps=2)`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from vidinvert.config import ModelConfig, RunConfig, TrackConfig
from vidinvert.demo.model import load_default_models
from vidinvert.device import resolve_device
from vidinvert.errors import VidinvertError
from vidinvert.images import check_picture_target, read_rgb, write_rgb
from vidinvert.face.detect import make_detector
from vidinvert.face.track import FaceTracker, parse_face
from vidinvert.loading import load_configured_models, load_models, with_init_encoder
from vidinvert.models import Generator, InversionEncoder, LoadedModels
from vidinvert.pipeline.build import StageHook, build_pipeline, make_compositor
from vidinvert.pipeline.face_stages import track_faces
from vidinvert.pipeline.find_tracks import clip_tracks
from vidinvert.face.tracks import FaceTracks
from vidinvert.pipeline.face_plans import TrackChoice, find_and_choose, plan_tracks
from vidinvert.pipeline.multi_face import FrameFaces, MultiFacePipeline
from vidinvert.pipeline.latents_file import LatentsRecorder
from vidinvert.pipeline.execution import model_threads
from vidinvert.pipeline.precision import check_precision
from vidinvert.pipeline.morph import morph_faces, morph_plan
from vidinvert.pipeline.photos import PHOTO_FPS, check_photo_config, invert_photo, run_photo
from vidinvert.pipeline.render_stage import Renderer
from vidinvert.pipeline.style_mix import StyleMix, make_style_mix
from vidinvert.pipeline.face_swap import SWAP_COMMENT, FaceSwap, check_swap_config
from vidinvert.pipeline.swap_source import find_source_face, largest_face
from vidinvert.face.swap_paste import check_region_scale
from vidinvert.stage_timing import StageTime, StageTimes
from vidinvert.video import EncodeSettings, FrameRecord, VideoInfo, open_video, parse_frame_range, probe, transcode
from vidinvert.video.holdout import HoldoutMatte, check_holdout
from vidinvert.video.matte_writer import MatteWriter, open_matte_out
from vidinvert.video.outputs import check_output_path
from vidinvert.video.picture_writer import write_pictures
from vidinvert.video.sequence import parse_fps
from vidinvert.video.sources import check_source, check_target
from vidinvert.video.transcode import check_comment_target

log = logging.getLogger(__name__)

__all__ = ["RunConfig", "RunSummary", "ProbeReport", "edit_video", "invert_video", "load_default_models", "load_models",
           "mix_images", "mix_video", "morph_images", "probe_faces", "probe_video", "resolve_device",
           "restore_image", "restore_video", "swap_image", "swap_video"]


@dataclass
class RunSummary:
    """What a run did: frame counts, cold starts, time spent loading and processing, where the output went."""

    output: Path
    frames: int = 0
    processed: int = 0  # frames through the pipeline (inside --frames); the others are copied
    edited: int = 0
    cold_starts: int = 0
    load_seconds: float = 0.0
    process_seconds: float = 0.0
    latents: Path | None = None
    stage_times: StageTimes | None = None  # busy time of each stage, decode and encode included
    tracks: TrackChoice | None = None  # several faces: which tracks were edited, which were not

    @property
    def seconds(self) -> float:
        """The whole run: loading plus processing."""
        return self.load_seconds + self.process_seconds

    @property
    def slowest_stage(self) -> StageTime | None:
        return None if self.stage_times is None else self.stage_times.slowest()

    @property
    def passed_through(self) -> int:
        return self.frames - self.edited

    @property
    def frames_per_second(self) -> float:
        """Processing rate of the frames through the pipeline, model loading excluded."""
        return self.processed / self.process_seconds if self.process_seconds else 0.0

    def _faces_edited(self) -> str:
        if self.tracks is None:
            return "the face edited"
        choice = self.tracks
        left = [f"{len(choice.too_small)} too small (--min-face)"] if choice.too_small else []
        left += [f"{len(choice.not_chosen)} not chosen"] if choice.not_chosen else []
        return (f"a face edited ({len(choice.edited)} track(s) edited"
                + (", " + ", ".join(left) if left else "") + ")")

    def line(self) -> str:
        return (f"{self.output}: {self.frames} frames, {self.edited} with {self._faces_edited()}, "
                f"{self.passed_through} passed through, {self.cold_starts} cold starts; "
                f"models loaded in {self.load_seconds:.1f} s, processed in {self.process_seconds:.1f} s "
                f"({self.frames_per_second:.2f} frames/s)" + (
                    f"; slowest stage: {self.slowest_stage.name} ({self.slowest_stage.ms_per_item:.1f} ms/frame)"
                    if self.slowest_stage is not None else ""))


def edit_video(input: str | os.PathLike, output: str | os.PathLike, config: RunConfig | None = None, *,
               models: LoadedModels | tuple[Generator, InversionEncoder] | None = None,
               observe: StageHook | None = None, mix: StyleMix | None = None, swap: FaceSwap | None = None,
               **options) -> RunSummary:
    """Edit the tracked face of `input` along directions and write `output` (same frames, timing, audio).

    Settings come from `config` (a RunConfig) with `options` on top, named like the CLI options
    (`edit_video(src, dst, attr=["smile=1.5"], next_steps=2)`). `models` reuses loaded models
    (`load_models`' record, or a plain (G, E) pair, which brings no directions folder of its own);
    `observe` sees every stage's output iterator by name (vidinvert.pipeline.build.STAGES) and
    must yield the same items. `mix` (`style_mix`) gives every edited face a style's latent layers,
    after any direction edits; `swap` (`swap_video`) inverts every face with a source face's region
    pasted on and tags the output. With no edits and no latent smoothing this is `invert_video`.
    Raises VidinvertError (one line) for bad input, options, weights or output paths; the output
    appears only when complete and the input is never modified.

    `spec` (a vidinvert.edit.spec.EditSpec, `--spec`) edits each face track (`probe_faces`' ids) as
    the spec's entries for it say, these settings being the defaults they override; a track no entry
    selects is left as it was (docs/edit-spec.md, docs/faces.md).
    """
    require_edit = options.pop("_require_edit", True)
    spec = options.pop("spec", None)
    config = (config or RunConfig()).with_options(**options)
    return _run(input, output, config, models, observe, require_edit, spec, mix, swap)


def invert_video(input: str | os.PathLike, output: str | os.PathLike, config: RunConfig | None = None,
                 **options) -> RunSummary:
    """Reconstruct the tracked face of `input` through the encoder and generator (no edit), to judge
    fidelity; takes the keywords of `edit_video` except the edit ones. The reconstruction is pasted
    (`render="generated"`) unless `render` says otherwise."""
    options.setdefault("render", "generated")
    return edit_video(input, output, config, _require_edit=False, **options)


def _run(input, output, config: RunConfig, models, observe, require_edit: bool, spec=None,
         mix: StyleMix | None = None, swap: FaceSwap | None = None) -> RunSummary:
    started = time.perf_counter()
    out = config.output
    require_edit = require_edit and mix is None and swap is None
    if swap is not None:
        check_swap_config(config)
        if spec is not None:
            raise VidinvertError("a swap replaces one face; --spec is not taken")
    if require_edit and spec is None:
        config.edit.require_edits()
    if config.render.side_by_side and out.frames:
        raise VidinvertError("--side-by-side writes every frame twice as wide; it cannot be combined with --frames")
    selection = parse_frame_range(out.frames)
    source = check_source(input)
    check_target(source, output, out.overwrite)
    info = probe(source, fps=parse_fps(out.fps))
    if models is None:
        check_precision(config.models.precision, resolve_device(config.models.device))
    summary = RunSummary(Path(output))
    with contextlib.ExitStack() as stack:
        holdout = None
        if config.render.holdout is not None:
            holdout = stack.enter_context(check_holdout(config.render.holdout, source, info))
        mattes = None
        if out.matte_out is not None:
            mattes = stack.enter_context(open_matte_out(out.matte_out, source, output, info, out.overwrite))
        return _run_checked(input, output, config, models, observe, require_edit, spec, started, source, info,
                            selection, summary, holdout, mattes, mix, swap)


def _run_checked(input, output, config: RunConfig, models, observe, require_edit: bool, spec, started: float,
                 source: Path, info: VideoInfo, selection, summary: RunSummary, holdout: HoldoutMatte | None,
                 mattes: MatteWriter | None, mix: StyleMix | None, swap: FaceSwap | None) -> RunSummary:
    out = config.output
    fps = info.frame_rate
    written = None if mattes is None else (lambda record: mattes.write(record, record.matte))
    tracks = None
    if config.track.several or spec is not None:  # every face on a track of its own, chosen before models load
        if out.save_latents:
            raise VidinvertError("--save-latents records one face; it cannot be combined with --face all, --track, "
                                 "--face-ref or --spec")
        tracks, summary.tracks = find_and_choose(source, config, spec, require_edit=require_edit)
        if not summary.tracks.edited:
            log.warning("no face track is chosen for editing in %s: the output is the input re-encoded", input)
            return _copy_unedited(source, output, config, summary, started, written)
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    G, E = models.G, models.E
    recorder = LatentsRecorder(config.render) if out.save_latents else None

    def counted(items: Iterator) -> Iterator:
        for item in items:
            faces = item.faces if isinstance(item, FrameFaces) else (item,)
            if any(frame.has_face for frame in faces):
                summary.edited += 1
            summary.cold_starts += sum(frame.cold for frame in faces)
            if recorder is not None:
                recorder.add(item)
            yield item

    times = StageTimes()

    def timed(name: str, items: Iterator) -> Iterator:
        items = observe(name, items) if observe is not None else items
        return items if name == "decode" else times.observe(name, items)  # the transcode times decoding

    if tracks is None:
        pipeline = build_pipeline(models, config, fps, observe=timed, holdout=holdout, matte=mattes is not None,
                                  mix=mix, swap=swap)
        composite = pipeline.composite
    else:
        plans = plan_tracks(models, summary.tracks, fps, observe=timed, mix=mix)
        pipeline = MultiFacePipeline(tracks, plans, serial=config.execution.serial, observe=timed,
                                     compositor=make_compositor(config, holdout, mattes is not None))

        def composite(items):
            return pipeline.composite(items, config.render.side_by_side)

    with pipeline, model_threads(config.execution), \
            tqdm(total=_frames_selected(info, selection), unit="frame", disable=out.quiet, desc=Path(input).name,
                 leave=False) as bar:
        summary.load_seconds = time.perf_counter() - started
        processing = time.perf_counter()

        def process(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
            faces = pipeline.faces(records)
            with contextlib.closing(faces):  # stops the chain's threads on any error
                for record in composite(counted(faces)):
                    bar.update(1)
                    yield record
            if summary.edited == 0:
                if out.require_face:
                    raise VidinvertError(f"no face found in {input} (--require-face)")
                log.warning("no face found in %s: the output is the input re-encoded", input)

        result = transcode(source, output, process, frames=out.frames, codec=out.codec, crf=out.crf,
                           preset=out.preset, overwrite=out.overwrite, serial=config.execution.serial,
                           stage_times=times, fps=out.fps, written=written,
                           comment=None if swap is None else SWAP_COMMENT)
    summary.output = result.output
    summary.frames = result.frames
    summary.processed = result.processed
    if recorder is not None:
        summary.latents = recorder.save(out.save_latents, G, E, fps)
    summary.process_seconds = time.perf_counter() - processing
    summary.stage_times = times
    return summary


def _copy_unedited(source, output, config: RunConfig, summary: RunSummary, started: float,
                   written=None) -> RunSummary:
    """The input re-encoded as a run with this configuration writes it, no model loaded."""
    out = config.output
    result = transcode(source, output, None, frames=out.frames, codec=out.codec, crf=out.crf, preset=out.preset,
                       overwrite=out.overwrite, serial=config.execution.serial, fps=out.fps, written=written)
    summary.output, summary.frames, summary.processed = result.output, result.frames, result.processed
    summary.process_seconds = time.perf_counter() - started
    return summary


def as_loaded(models: LoadedModels | tuple[Generator, InversionEncoder], settings: ModelConfig | None = None) -> LoadedModels:
    """Loaded models as the record, a bare (G, E) pair given no directions folder; with `settings`,
    the init encoder they name is loaded beside them."""
    loaded = models if isinstance(models, LoadedModels) else LoadedModels(*models)
    return loaded if settings is None else with_init_encoder(loaded, settings)


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
        out += _describe_master(info)
        out.append(f"frames: {self.frames}, with the face: {self.face_frames} "
                   f"({self.interpolated} bridged over detection gaps)")
        if self.segments:
            spans = ", ".join(f"{a}-{b}" for a, b in self.segments)
            out.append(f"face track: {len(self.segments)} segment(s) [{spans}], median face size "
                       f"{self.face_size:.0f} px")
        else:
            out.append("face track: no face found")
        return out


def _describe_master(info: VideoInfo) -> list[str]:
    """What a post-production master keeps: depth, alpha, timecode, reel, colour, creation time, numbering."""
    out = [f"depth: {info.depth.describe()} ({info.video.pix_fmt or 'unknown pixel format'})"]
    if info.start_number is not None:
        out.append(f"first frame number: {info.start_number}")
    out.append(f"timecode: {info.timecode or 'none'}" + (f", reel {info.reel}" if info.reel else ""))
    if info.color:
        out.append("colour: " + ", ".join(f"{key} {value}" for key, value in info.color.items()))
    if info.creation_time:
        out.append(f"created: {info.creation_time}")
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


def probe_video(input: str | os.PathLike, track: TrackConfig | None = None, *, frames: str | None = None,
                quiet: bool = True, **track_options) -> ProbeReport:
    """Streams, duration, frames with a face and the face track of a video (no models needed).
    The face is found and followed as `track` says, with `track_options` (face, max_gap,
    landmarks) on top."""
    track = dataclasses.replace(track or TrackConfig(), **track_options)
    info = probe(input)
    detector = make_detector(track.landmarks, video=True)
    tracker = FaceTracker(detector, face=parse_face(track.face), max_gap=track.max_gap)
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


def probe_faces(input: str | os.PathLike, track: TrackConfig | None = None, *, frames: str | None = None,
                fps: str | None = None, quiet: bool = True, **track_options) -> FaceTracks:
    """Every face track of a video or image sequence (no models needed): the ids `--track` takes,
    with first and last frame, frame count and median face size (`FaceTracks.tracks`)."""
    track = dataclasses.replace(track or TrackConfig(), **track_options)
    source = check_source(input)
    return clip_tracks(source, track, frames=frames, fps=parse_fps(fps), quiet=quiet)


def mix_images(content: str | os.PathLike, style: str | os.PathLike, output: str | os.PathLike,
               config: RunConfig | None = None, *, layers: str | None = None, feature_from: str | None = None,
               crop: bool = False, models: LoadedModels | tuple[Generator, InversionEncoder] | None = None,
               **options) -> Path:
    """The face of the photo `content` with the style of the face in the photo `style`, written to
    the picture `output`; return its path.

    Both faces are found, aligned and inverted as `edit_video` does a frame's; the content's W+ gets
    the style's `layers` ('7-17'; default: E2Style's split, the last 11 of 18 layers scaled to the
    generator), the feature tensor is `feature_from` 'content' (default) or 'style' (encoders with
    one only), and the result reaches the content photo as `render` says, like an edit ('warp' by
    default; docs/mixing.md). `crop` writes the generated face at the aligned crop instead. `options`
    are `edit_video`'s (steps, face, render, mask_feather, overwrite...).
    """
    config = (config or RunConfig()).with_options(**options)
    check_photo_config(config)
    target = check_picture_target(output, config.output.overwrite)
    if crop:  # the face the mix generates, not a render pair for the change
        config = config.with_options(render="generated")
    content_image, style_image = read_rgb(content), read_rgb(style)
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    mix = make_style_mix(invert_photo(models, config, style_image, style), layers, feature_from)
    with build_pipeline(models, config, PHOTO_FPS, mix=mix) as pipeline:
        result = run_photo(pipeline, content_image, content)
    return write_rgb(target, result.frame.face if crop else result.image)


def mix_video(content: str | os.PathLike, style: str | os.PathLike, output: str | os.PathLike,
              config: RunConfig | None = None, *, layers: str | None = None, feature_from: str | None = None,
              models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> RunSummary:
    """Every frame's face of the video `content` with the style of the face in the photo `style`:
    `edit_video` with the mix as its edit (after any direction edits), so tracking, temporal
    smoothing and the render mode act as in any edit. `layers` and `feature_from`: see `mix_images`."""
    config = (config or RunConfig()).with_options(**options)
    check_target(check_source(content), output, config.output.overwrite)
    style_image = read_rgb(style)
    started = time.perf_counter()
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    one_face = config.with_options(face="0", track=(), face_ref=(), frames=None, save_latents=None, matte_out=None,
                                   holdout=None)
    mix = make_style_mix(invert_photo(models, one_face, style_image, style), layers, feature_from)
    loading = time.perf_counter() - started  # the models and the style's inversion
    summary = edit_video(content, output, config, models=models, mix=mix)
    summary.load_seconds += loading
    return summary


def swap_image(source: str | os.PathLike, target: str | os.PathLike, output: str | os.PathLike,
               config: RunConfig | None = None, *, region_scale: float = 1.0, colour: bool = True,
               models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> Path:
    """The face of the photo `target` swapped for the face in the photo `source` (E2Style's semantic
    face swap), written to the picture `output` (.png or .jpg, tagged with SWAP_COMMENT); return its path.

    The source's central face region (eyes, nose, mouth; `region_scale` times the default ellipse),
    its colours matched to the target's skin unless `colour` is False, is pasted onto the target's
    aligned crop; the pasted crop is inverted and the generated face composited into the target as
    an edit is (`render` 'generated', the only mode taken; docs/swapping.md). `options` are
    `edit_video`'s that apply to a photo (steps, face, landmarks, mask_feather, overwrite...).
    """
    options.setdefault("render", "generated")
    config = (config or RunConfig()).with_options(**options)
    check_swap_config(config)
    check_photo_config(config)
    check_region_scale(region_scale)
    written = check_picture_target(output, config.output.overwrite, comment=True)
    target_image = read_rgb(target)
    source_face = find_source_face(source, config.track.landmarks)
    largest_face(target_image, str(target), config.track.landmarks)
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    swap = source_face.swap(models.E.input_size, region_scale, colour)
    with build_pipeline(models, config, PHOTO_FPS, swap=swap) as pipeline:
        result = run_photo(pipeline, target_image, target)
    return write_rgb(written, result.image, comment=SWAP_COMMENT)


def swap_video(source: str | os.PathLike, target: str | os.PathLike, output: str | os.PathLike,
               config: RunConfig | None = None, *, region_scale: float = 1.0, colour: bool = True,
               models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> RunSummary:
    """Every frame's face of the video `target` swapped for the face in the photo `source`:
    `edit_video` with the swap in its inversion stage, so tracking, crop smoothing, warm starts,
    temporal smoothing and compositing act as in any edit, and the output (a video file, not an
    image sequence) carries SWAP_COMMENT as its container comment. `region_scale` and `colour`:
    see `swap_image`."""
    options.setdefault("render", "generated")
    config = (config or RunConfig()).with_options(**options)
    check_swap_config(config)
    check_region_scale(region_scale)
    check_target(check_source(target), output, config.output.overwrite)
    check_comment_target(output)
    source_face = find_source_face(source, config.track.landmarks)
    started = time.perf_counter()
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    swap = source_face.swap(models.E.input_size, region_scale, colour)
    loading = time.perf_counter() - started
    summary = edit_video(target, output, config, models=models, swap=swap)
    summary.load_seconds += loading
    return summary


def morph_images(a: str | os.PathLike, b: str | os.PathLike, output: str | os.PathLike,
                 config: RunConfig | None = None, *, frames: int = 25, ease: str = "linear", fps: int = 25,
                 size: int | None = None, models: LoadedModels | tuple[Generator, InversionEncoder] | None = None,
                 **options) -> Path:
    """A video of `frames` generated faces morphing from the face in photo `a` to the face in photo
    `b` (both included), written to `output` at `fps`; return its path.

    Each frame renders the blend weight * B + (1 - weight) * A of the two inversions: W+, feature
    tensor and generator weight residuals when the encoder gives them; the weight goes from 0 to 1
    linearly or, `ease='smooth'`, slowly at both ends. Frames are `size` px square (default: the
    generator's). `options` are `edit_video`'s that apply (steps, face, codec, crf, overwrite...).
    """
    config = (config or RunConfig()).with_options(**options)
    weights = morph_plan(frames, ease)
    if size is not None and (size < 16 or size % 2):
        raise VidinvertError(f"--size must be an even number of pixels, 16 or more; got {size}")
    out = config.output
    target = check_output_path(None, output, out.overwrite)
    settings = EncodeSettings(out.codec, out.crf, out.preset)
    image_a, image_b = read_rgb(a), read_rgb(b)
    models = load_configured_models(config.models) if models is None else as_loaded(models, config.models)
    start, end = invert_photo(models, config, image_a, a), invert_photo(models, config, image_b, b)
    renderer = Renderer(models.G, models.E.feature_index, batch_size=config.render.batch_size,
                        precision=config.models.precision)
    write_pictures(morph_faces(renderer, start, end, weights, size), target, fps, settings, out.overwrite)
    return target


@dataclass(frozen=True)
class HiddenPicture:
    """What `hide_image` wrote: the stego picture, its PSNR against the carrier (dB), the bits the
    code took of those the carrier holds, whether it is encrypted, and the face `reveal_image` will
    draw (uint8 RGB at the generator's size: the render of exactly the stored code)."""

    path: Path
    psnr: float
    bits: int
    capacity: int
    encrypted: bool
    face: np.ndarray

    def line(self) -> str:
        sealed = "encrypted (AES-256-GCM)" if self.encrypted else "not encrypted (SHA-256 check)"
        return (f"wrote {self.path}: {self.bits} bits hidden in {self.capacity} ({100 * self.bits / self.capacity:.1f}%), "
                f"{sealed}, PSNR {self.psnr:.1f} dB against the carrier")


def hide_image(secret: str | os.PathLike, carrier: str | os.PathLike, output: str | os.PathLike,
               key: str | None = None, config: RunConfig | None = None, *, feature: bool = True,
               preview: str | os.PathLike | None = None,
               models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> HiddenPicture:
    """Hide the face of the photo `secret` in the photo `carrier`, written to the PNG `output`
    (E2Style's secure deep hiding; docs/hiding.md).

    The face is found, aligned and inverted as `edit_video` does a frame's; its W+ latents and,
    with `feature` and an encoder that gives one, its feature tensor are stored as float16 behind
    a header (generator fingerprint, shapes, length), sealed with AES-256-GCM under `key` (scrypt,
    random salt) or a SHA-256 digest without one, in the carrier's least significant bits.
    `preview` also writes the face the code draws, which `reveal_image` gives back. `options` are
    `edit_video`'s that apply (steps, face, landmarks, device, overwrite...).
    """
    from vidinvert.hiding.code import generator_fingerprint, quantise
    from vidinvert.hiding.stego import check_capacity, embed, psnr, needed_bits

    config = (config or RunConfig()).with_options(**options)
    check_photo_config(config)
    target = _check_stego_target(output, config.output.overwrite, (secret, carrier))
    preview_target = None if preview is None else check_picture_target(preview, config.output.overwrite)
    if preview_target is not None and preview_target.resolve() == target.resolve():
        raise VidinvertError(f"--preview {preview} is the stego output itself")
    if key == "":
        raise VidinvertError("the key is empty; give a passphrase")
    secret_image, carrier_image = read_rgb(secret), read_rgb(carrier)
    models = load_configured_models(config.models) if models is None else as_loaded(models)
    latents = invert_photo(models, config, secret_image, secret)
    code = quantise(latents.wplus, latents.feature if feature else None)
    check_capacity(carrier_image.shape, code, key is not None, carrier)
    face = _render_code(models.G, code, models.E.feature_index, config)
    stego = embed(carrier_image, code, generator_fingerprint(models.G), models.E.feature_index, key, carrier)
    if preview_target is not None:
        write_rgb(preview_target, face)
    write_rgb(target, stego)
    return HiddenPicture(target, psnr(stego, carrier_image), needed_bits(code, key is not None), stego.size,
                         key is not None, face)


def reveal_image(stego: str | os.PathLike, output: str | os.PathLike, key: str | None = None,
                 config: RunConfig | None = None, *,
                 models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> Path:
    """The face hidden in the picture `stego` by `hide_image`, drawn by the generator from exactly
    the stored code and written to the picture `output` (the generator's size; PNG keeps it
    exact). One-line errors, nothing written, for a picture with no code, a wrong or missing key,
    a key for a code without one, a changed picture and a code hidden with another generator."""
    from vidinvert.hiding.code import generator_fingerprint
    from vidinvert.hiding.stego import extract, read_header

    config = (config or RunConfig()).with_options(**options)
    target = check_picture_target(output, config.output.overwrite)
    if Path(stego).exists() and target.exists() and target.resolve() == Path(stego).resolve():
        raise VidinvertError(f"output {output} is the stego picture itself")
    picture = read_rgb(stego)
    header = read_header(picture, stego)
    models = load_configured_models(config.models) if models is None else as_loaded(models)
    code = extract(picture, header, key, generator_fingerprint(models.G), stego)
    return write_rgb(target, _render_code(models.G, code, header.feature_index, config))


def _check_stego_target(output: str | os.PathLike, overwrite: bool, inputs: tuple) -> Path:
    """The stego output: a PNG (the hidden bits survive only lossless coding), not one of the inputs."""
    if Path(output).suffix.lower() != ".png":
        raise VidinvertError(f"output {output} must be a .png: the hidden bits survive only lossless PNG")
    target = check_picture_target(output, overwrite)
    for path in inputs:
        if target.exists() and Path(path).exists() and target.resolve() == Path(path).resolve():
            raise VidinvertError(f"output {output} is the input {path}; write the stego picture to a new file")
    return target


def _render_code(G: Generator, code, feature_index: int | None, config: RunConfig) -> np.ndarray:
    """G(code): the face the stored code draws, uint8 RGB at the generator's size."""
    from vidinvert.images import to_uint8
    from vidinvert.pipeline.frames import Latents

    wplus, feature = code.tensors(G.latent_avg.device)
    renderer = Renderer(G, feature_index, precision=config.models.precision)
    return to_uint8(renderer.images([Latents(wplus, feature)]))[0]


def _restore_config(config: RunConfig | None, options: dict) -> RunConfig:
    """The run's settings; restoration always pastes the generated face."""
    if options.get("render", "generated") != "generated":
        raise VidinvertError(f"restoration pastes the generated face; render={options['render']!r} does not apply")
    return (config or RunConfig()).with_options(**{**options, "render": "generated"})


def _restoration(config: RunConfig, models) -> LoadedModels:
    """The restoration models (`loading.restoration_models` unless given), saying what the encoder undoes."""
    from vidinvert.loading import restoration_models

    loaded = restoration_models(config.models) if models is None else as_loaded(models)
    if loaded.E.degrade is None:
        log.warning("the encoder records no degradation (it was not trained with --degrade): the face is "
                    "inverted as `invert` does")
    else:
        log.info("restoration encoder trained on %s inputs", loaded.E.degrade)
    return loaded


def restore_image(input: str | os.PathLike, output: str | os.PathLike, config: RunConfig | None = None, *,
                  models: LoadedModels | tuple[Generator, InversionEncoder] | None = None, **options) -> Path:
    """The photo `input` with its face restored, written to the picture `output`; return its path.

    The face is found, aligned and inverted by the restoration encoder (`encoder`, default the
    bundled sr4 one, docs/restoration.md) and the generated face is composited as an edit's
    (face mask, feathering, occluders); outside the mask the photo's own pixels are kept.
    `options` are `edit_video`'s that apply (steps, face, mask_feather, occluders, overwrite...).
    """
    config = _restore_config(config, options)
    check_photo_config(config)
    target = check_picture_target(output, config.output.overwrite)
    image = read_rgb(input)
    models = _restoration(config, models)
    with build_pipeline(models, config, PHOTO_FPS) as pipeline:
        result = run_photo(pipeline, image, input)
    return write_rgb(target, result.image)


def restore_video(input: str | os.PathLike, output: str | os.PathLike, config: RunConfig | None = None, *,
                  models: LoadedModels | tuple[Generator, InversionEncoder] | None = None,
                  **options) -> RunSummary:
    """Every frame's face of the video `input` restored as `restore_image` does a photo's, through
    `invert_video`: tracking, warm starts, latent smoothing, timing and audio as in any run."""
    config = _restore_config(config, options)
    check_target(check_source(input), output, config.output.overwrite)
    started = time.perf_counter()
    models = _restoration(config, models)
    loading = time.perf_counter() - started
    summary = invert_video(input, output, config, models=models)
    summary.load_seconds += loading
    return summary
