"""One place where models and a run configuration become the chain of stages.

    decode -> landmarks -> crop smoothing -> align -> inversion -> [edit] -> render -> [change] -> composite

(a face swap pastes the source's face region onto each crop for the inversion alone).

`edit_video`, `invert_video`, the evaluation and the benchmarks all run what `build_pipeline`
returns. An `observe` hook sees each stage's output iterator by name and must yield the same items
(benchmarks time the stages with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import torch

from vidinvert.concurrency import Handoffs
from vidinvert.config import RunConfig
from vidinvert.edit.change_source import ChangeSource
from vidinvert.temporal import parse_filter
from vidinvert.errors import VidinvertError
from vidinvert.face.detect import LandmarkDetector, make_detector
from vidinvert.face.transfer import ChangeOptions
from vidinvert.face.track import FaceTracker, parse_face
from vidinvert.invert import SequenceInverter
from vidinvert.models import Generator, InversionEncoder, LoadedModels
from vidinvert.pipeline.composite_stage import Compositor, composite_frames
from vidinvert.pipeline.edit_stage import EditStage, make_edit_stage
from vidinvert.pipeline.face_swap import FaceSwap, pasted_inversion
from vidinvert.pipeline.face_stages import align_crops, smooth_crops, track_faces
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.invert_stage import invert_frames, make_sequence_inverter
from vidinvert.pipeline.transfer_stages import change_fields
from vidinvert.pipeline.precision import check_precision
from vidinvert.pipeline.render_stage import Renderer
from vidinvert.pipeline.style_mix import StyleMix
from vidinvert.video import DEFAULT_FPS, FrameRecord
from vidinvert.video.holdout import HoldoutMatte

#: The before-and-after pair is drawn with the edit at most this many times its directions' default
#: strengths; a stronger edit carries that pair's change scaled up (see `Renderer.read_limit`). On
#: a real phone clip the mesh read every render at 1, tore some apart at 1.5 and found no face at 2.5.
READ_STRENGTH = 1.25
#: Sees a stage's output by name and returns an iterator yielding the same items.
StageHook = Callable[[str, Iterator], Iterator]

STAGES = ("decode", "landmarks", "crop smoothing", "align", "inversion", "edit", "render", "change", "composite")


def unobserved(name: str, items: Iterator) -> Iterator:
    return items


@dataclass
class FaceChain:
    """One face's stages from the aligned crop on: inversion (its warm-start chain), editing, rendering
    and the change. Each followed face needs its own: every stage keeps state along the face's frames."""

    G: Generator
    E: InversionEncoder
    config: RunConfig
    device: torch.device
    inverter: SequenceInverter
    renderer: Renderer
    edit_stage: EditStage | None
    observe: StageHook = field(default=unobserved)
    fps: float = DEFAULT_FPS
    swap: FaceSwap | None = None

    def __call__(self, frames: Iterable[FaceFrame]) -> Iterator[FaceFrame]:
        """Aligned face frames in, inverted, edited, rendered (and, for warp/delta, changed) ones out."""
        observe = self.observe
        frames = observe("inversion", self._invert(frames) if self.swap is None
                         else pasted_inversion(frames, self.swap, self._invert))
        if self.edit_stage is not None:
            frames = observe("edit", self.edit_stage(frames))
        frames = observe("render", self.renderer(frames))
        if self.renderer.with_before:
            frames = observe("change", change_fields(frames, ChangeOptions(self.config.render.render),
                                                     self.config.render.smooth_change, self.fps,
                                                     self.edit_stage and self.edit_stage.default_offset_size))
        return frames

    def _invert(self, frames: Iterable[FaceFrame]) -> Iterator[FaceFrame]:
        return invert_frames(frames, self.inverter, self.config.invert.warm_start, self.device,
                             self.config.models.precision)


@dataclass
class Pipeline:
    """The stages of one run over one video, built by `build_pipeline`; close it (or use `with`) to
    release the landmark detector."""

    chain: FaceChain
    detector: LandmarkDetector
    tracker: FaceTracker
    compositor: Compositor = field(default_factory=Compositor)

    @property
    def G(self) -> Generator:
        return self.chain.G

    @property
    def E(self) -> InversionEncoder:
        return self.chain.E

    @property
    def config(self) -> RunConfig:
        return self.chain.config

    @property
    def renderer(self) -> Renderer:
        return self.chain.renderer

    @property
    def edit_stage(self) -> EditStage | None:
        return self.chain.edit_stage

    @property
    def observe(self) -> StageHook:
        return self.chain.observe

    def faces(self, records: Iterable[FrameRecord]) -> Iterator[FaceFrame]:
        """Decoded frames in, face frames out, in order: tracked, aligned, inverted, edited, rendered.

        Unless the configuration says `serial`, tracking to alignment runs on one thread and the
        model stages on another, ahead of the caller (same results); close the returned iterator
        (`contextlib.closing`) before closing the pipeline, so that those threads have stopped.
        """
        observe = self.observe
        handoffs = Handoffs(self.config.execution.serial)
        frames = observe("landmarks", track_faces(observe("decode", iter(records)), self.tracker))
        frames = observe("crop smoothing", smooth_crops(frames, self.config.track.smooth))
        frames = handoffs.ahead(observe("align", align_crops(frames, self.E.input_size)), "face")
        return handoffs.output(handoffs.ahead(self.chain(frames), "model"))

    def composite(self, frames: Iterable[FaceFrame]) -> Iterator[FrameRecord]:
        """Face frames in, output frames out: each face pasted back into its frame."""
        return self.observe("composite", composite_frames(frames, self.config.render, self.compositor))

    def close(self) -> None:
        self.detector.close()
        self.compositor.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build_pipeline(models: LoadedModels, config: RunConfig, fps: float, *,
                   observe: StageHook = unobserved, holdout: HoldoutMatte | None = None,
                   matte: bool = False, mix: StyleMix | None = None, swap: FaceSwap | None = None) -> Pipeline:
    """The stages for the loaded models, a run configuration and the video's frame rate (keyframe
    times and filter cut-offs need it). Edits and directions are checked here, before any frame;
    named directions are looked up in the models' own folder first. `holdout` and `matte`: see
    `make_compositor`; `mix`: every face gets this style, `swap`: this source face's region
    (`build_face_chain`)."""
    chain = build_face_chain(models, config, fps, observe=observe, mix=mix, swap=swap)
    detector = make_detector(config.track.landmarks, video=True, device=str(chain.device))
    tracker = FaceTracker(detector, face=parse_face(config.track.face), max_gap=config.track.max_gap)
    return Pipeline(chain, detector, tracker, make_compositor(config, holdout, matte))


def make_compositor(config: RunConfig, holdout: HoldoutMatte | None = None, matte: bool = False) -> Compositor:
    """The compositing stage of a run: the configuration's occluders, the run's holdout matte, and
    (`matte`) each output frame's blend alpha kept for `--matte-out`."""
    return Compositor(config.render.occluders, holdout, matte)


def build_face_chain(models: LoadedModels, config: RunConfig, fps: float, *,
                     observe: StageHook = unobserved, mix: StyleMix | None = None,
                     swap: FaceSwap | None = None) -> FaceChain:
    """One face's stages from the aligned crop on, for the loaded models and a configuration;
    with `mix`, the editing stage gives every face the style's layers after its edits; with `swap`,
    every crop is inverted with the source's face region pasted on."""
    G, E = models.G, models.E
    device = G.latent_avg.device
    check_precision(config.models.precision, device)
    edit_stage = None
    changes = config.edit.changes_latents or mix is not None
    transfer = config.render.render != "generated" and changes
    if transfer:  # a bad filter fails before any frame, naming its option
        try:
            parse_filter(config.render.smooth_change, fps=fps, layer_groups=False)
        except VidinvertError as exc:
            raise VidinvertError(f"--smooth-change: {exc}") from None
    renderer = Renderer(G, E.feature_index, batch_size=config.render.batch_size, precision=config.models.precision,
                        with_before=transfer, change_from=ChangeSource.parse(config.render.change_from))
    if changes:
        edit_stage = make_edit_stage(G, fps, config.edit, feature_index=E.feature_index or 5, noise=renderer.noise,
                                     batch_size=config.render.batch_size, weights_dir=config.models.weights_dir,
                                     model_dir=models.directions_dir, arithmetic=renderer.arithmetic, mix=mix)
        renderer.read_limit = lambda: READ_STRENGTH * edit_stage.default_offset_size
    if config.models.init_encoder is not None and models.init_encoder is None:
        raise VidinvertError("--init-encoder is set but the models given hold no init encoder "
                             "(load them with vidinvert.loading.load_configured_models)")
    inverter = make_sequence_inverter(G, E, config.invert, models.init_encoder)
    return FaceChain(G, E, config, device, inverter, renderer, edit_stage, observe, fps, swap)
