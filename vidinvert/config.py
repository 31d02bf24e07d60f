"""Every setting of a run, each default written once.

A run's configuration is a frozen `RunConfig` made of one group per stage. Its fields are named
like the CLI options (`steps` is `--steps`), so `RunConfig.from_options(steps=3, attr=["smile"])`
takes the keywords of `edit_video` and the click commands take their defaults from here.
This module imports nothing heavy: the CLI reads it before any model code loads.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from vidinvert.errors import VidinvertError

PathLike = str | os.PathLike

#: Output codecs and H.264 presets (the encoders themselves live in vidinvert.video.encoding).
CODEC_NAMES = ("dnxhr", "ffv1", "h264", "lossless", "prores", "prores4444", "same")
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                "placebo")
LANDMARK_BACKENDS = ("mediapipe", "face-alignment")
#: The expressions defined by their motion (`vidinvert.face.expression_targets.EXPRESSIONS`).
MOTION_EXPRESSIONS = ("smile", "mouth_open", "eyes_closed", "brows_raised")
#: Arithmetic of the generator and encoders on CUDA (the CPU always computes in float32).
PRECISIONS = ("fp32", "fp16", "bf16")
#: How an edit reaches the frame (vidinvert.face.transfer, docs/rendering.md).
RENDER_MODES = ("warp", "delta", "generated")
#: What `--occluders` keeps out of the edit (vidinvert.face.occluders).
OCCLUDERS = ("hands", "auto", "none")
#: File extensions `batch` and `eval` take for videos when they search a folder.
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})
#: Interpolations between strength keyframes.
INTERPOLATIONS = ("linear", "smooth", "cubic")
#: Whose feature tensor a style mix renders (`--feature-from`, vidinvert.pipeline.style_mix).
FEATURE_SOURCES = ("content", "style")
#: How a morph's blend weight moves from A to B (`--ease`, vidinvert.edit.mixing).
EASES = ("linear", "smooth")


#: Which latents the warp/delta change is drawn from (`--change-from`, vidinvert.edit.change_source).
CHANGE_SOURCE_KINDS = ("inversion", "latents")


def split_change_source(spec: str) -> tuple[str, float]:
    """'inversion', 'latents' or 'latents:PSI' as (kind, truncation); the values are checked by
    :func:`check_change_source`."""
    kind, _, value = spec.strip().partition(":")
    if not value:
        return kind, 1.0
    try:
        return kind, float(value)
    except ValueError:
        raise VidinvertError(f"bad change source {spec!r}: the truncation must be a number, e.g. latents:0.7") from None


def check_change_source(kind: str, truncation: float) -> None:
    """The rules of a change source, one message each."""
    if kind not in CHANGE_SOURCE_KINDS:
        raise VidinvertError(f"unknown change source {kind!r}; choose one of {', '.join(CHANGE_SOURCE_KINDS)}")
    if not 0 < truncation <= 1:
        raise VidinvertError(f"the change source's truncation must be in (0, 1], got {truncation}")
    if kind == "inversion" and truncation != 1:
        raise VidinvertError("'inversion' takes no truncation (use latents:PSI)")


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    """The one message for a value outside its list (codec, preset, landmark backend, ...)."""
    if value not in choices:
        raise VidinvertError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def check_crf(crf: int) -> None:
    if not 0 <= crf <= 51:
        raise VidinvertError(f"--crf must be 0-51, got {crf}")


def parse_smooth(smooth: float | str) -> float | str:
    """`--smooth` as a sigma in frames (0 turns smoothing off) or "causal"."""
    if isinstance(smooth, str) and smooth.strip().lower() == "causal":
        return "causal"
    try:
        sigma = float(smooth)
    except (TypeError, ValueError):
        raise VidinvertError(f"--smooth takes a sigma in frames (e.g. 3, 0 for none) or 'causal', got {smooth!r}") from None
    if sigma < 0:
        raise VidinvertError(f"--smooth must be >= 0 frames, got {sigma}")
    return sigma


@dataclass(frozen=True)
class ModelConfig:
    """Which generator and encoder (and the encoder whose inversion starts it at cold starts, `init_encoder`),
    where weights are searched, the device and its arithmetic."""

    generator: PathLike | None = None
    encoder: PathLike | None = None
    init_encoder: PathLike | None = None
    weights_dir: PathLike | None = None
    device: str = "auto"
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise VidinvertError(f"unknown --precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")


@dataclass(frozen=True)
class TrackConfig:
    """Finding the faces, choosing which are edited, and smoothing their crops over time.

    `face` "all", any `track` id or any `face_ref` photo edits every chosen face on its own track;
    otherwise one face is followed (`face` as a size rank, position or point)."""

    face: str = "0"
    max_gap: int = 5
    landmarks: str = "mediapipe"
    smooth: float | str = 3.0
    min_face: float = 48.0  # several faces: tracks whose median face size is smaller pass through
    track: tuple[int, ...] = ()
    face_ref: tuple[PathLike, ...] = ()
    face_ref_threshold: float = 0.6

    def __post_init__(self) -> None:
        check_choice("--landmarks", self.landmarks, LANDMARK_BACKENDS)
        if self.max_gap < 0:
            raise VidinvertError(f"--max-gap must be 0 or more, got {self.max_gap}")
        object.__setattr__(self, "smooth", parse_smooth(self.smooth))
        if self.min_face < 0:
            raise VidinvertError(f"--min-face must be 0 or more pixels, got {self.min_face}")
        if not 0 < self.face_ref_threshold <= 2:
            raise VidinvertError(f"--face-ref-threshold must be in (0, 2], got {self.face_ref_threshold}")
        track = (self.track,) if isinstance(self.track, int) else tuple(self.track)
        if any(not isinstance(t, int) or t < 0 for t in track):
            raise VidinvertError(f"--track takes track ids (0, 1, ...; see `vidinvert probe IN --faces`), got {track}")
        object.__setattr__(self, "track", track)
        refs = self.face_ref
        object.__setattr__(self, "face_ref", (refs,) if isinstance(refs, (str, os.PathLike)) else tuple(refs))

    @property
    def several(self) -> bool:
        """Whether faces are followed on tracks of their own (every face, or the chosen ones)."""
        return self.face.strip().lower() == "all" or bool(self.track) or bool(self.face_ref)


@dataclass(frozen=True)
class InvertConfig:
    """Refinement steps of a face's first frame and of each following (warm-started) frame; with an
    init encoder, `init_steps` of its own start each cold start that `steps` then refine."""

    steps: int = 5
    next_steps: int = 2
    warm_start: bool = True
    init_steps: int = 5

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise VidinvertError(f"--steps must be 1 or more, got {self.steps}")
        if self.init_steps < 1:
            raise VidinvertError(f"--init-steps must be 1 or more, got {self.init_steps}")
        if self.next_steps < 0:
            raise VidinvertError(f"--next-steps must be 0 or more, got {self.next_steps}")


@dataclass(frozen=True)
class EditConfig:
    """Edits (named or from files), their strengths over time, and temporal filters of the latents."""

    attr: tuple[str, ...] = ()
    direction: tuple[PathLike, ...] = ()
    strength: str | float | None = None
    layers: str | None = None
    direction_format: str | None = None
    interpolation: str = "linear"
    smooth_latents: str = "none"
    smooth_features: str = "none"
    smooth_offset: str = "none"
    directions_dir: PathLike | None = None

    def __post_init__(self) -> None:
        for name in ("attr", "direction"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, (str, os.PathLike)) else tuple(value))

    @property
    def edits(self) -> bool:
        """Whether any direction is asked for."""
        return bool(self.attr or self.direction)

    def require_edits(self) -> None:
        """Refuse a run that must edit but is asked for no direction."""
        if not self.edits:
            raise VidinvertError("nothing to edit: give --attr NAME[=STRENGTH] or --direction FILE")

    @property
    def changes_latents(self) -> bool:
        """Whether anything happens between inversion and rendering (an edit or a latent filter)."""
        return self.edits or any(f != "none" for f in (self.smooth_latents, self.smooth_features, self.smooth_offset))


@dataclass(frozen=True)
class RenderConfig:
    """Rendering faces and carrying the edit into the frame."""

    render: str = "warp"
    smooth_change: str = "gaussian:12"  # temporal filter of the warp/delta change, in crop coordinates
    change_from: str = "latents:0.7"  # warp/delta: the latents the change is drawn from (edit/change_source.py)
    batch_size: int = 4
    mask_forehead: float = 0.15
    mask_dilate: float = 0.03
    mask_feather: float = 0.04
    seamless: bool = False
    side_by_side: bool = False
    occluders: str = "hands"  # what is kept out of the edit in front of faces: hands, auto (+ objects), none
    holdout: PathLike | None = None  # the compositor's holdout matte (vidinvert.video.holdout)

    def __post_init__(self) -> None:
        check_choice("--occluders", self.occluders, OCCLUDERS)
        if self.render not in RENDER_MODES:
            raise VidinvertError(f"unknown --render {self.render!r}; choose one of {', '.join(RENDER_MODES)}")
        if self.batch_size < 1:
            raise VidinvertError(f"--batch-size must be 1 or more, got {self.batch_size}")
        check_change_source(*split_change_source(self.change_from))
        for name in ("mask_forehead", "mask_dilate", "mask_feather"):
            if getattr(self, name) < 0:
                raise VidinvertError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}")


@dataclass(frozen=True)
class OutputConfig:
    """Which frames, how the output is encoded, and what else a run writes or reports."""

    frames: str | None = None
    fps: str | None = None  # an image sequence's frame rate (a video carries its own)
    codec: str = "h264"
    crf: int = 18
    preset: str = "medium"
    overwrite: bool = False
    save_latents: PathLike | None = None
    matte_out: PathLike | None = None  # the alpha of every output frame (vidinvert.video.matte_writer)
    require_face: bool = False
    quiet: bool = False

    def __post_init__(self) -> None:
        check_choice("--codec", self.codec, CODEC_NAMES)
        check_choice("--preset", self.preset, X264_PRESETS)
        check_crf(self.crf)


@dataclass(frozen=True)
class ExecutionConfig:
    """How a run uses the machine: overlapped stages or one thread, and CPU threads for the models."""

    serial: bool = False
    threads: int = 0  # CPU threads for the models; 0: all cores but one

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise VidinvertError(f"--threads must be 0 or more, got {self.threads}")


GROUPS = {"models": ModelConfig, "track": TrackConfig, "invert": InvertConfig, "edit": EditConfig,
          "render": RenderConfig, "output": OutputConfig, "execution": ExecutionConfig}


@dataclass(frozen=True)
class RunConfig:
    """The whole configuration of an `edit` or `invert` run, one group per stage."""

    models: ModelConfig = field(default_factory=ModelConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    invert: InvertConfig = field(default_factory=InvertConfig)
    edit: EditConfig = field(default_factory=EditConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)

    @classmethod
    def from_options(cls, **options: Any) -> RunConfig:
        """A configuration from flat option names (the CLI's, with underscores); unknown names are an error."""
        return cls().with_options(**options)

    def with_options(self, **options: Any) -> RunConfig:
        """A copy with the named options changed."""
        unknown = sorted(set(options) - set(OPTION_GROUP))
        if unknown:
            raise VidinvertError(f"unknown option(s): {', '.join(unknown)}")
        changes: dict[str, dict[str, Any]] = {}
        for name, value in options.items():
            changes.setdefault(OPTION_GROUP[name], {})[name] = value
        return replace(self, **{group: replace(getattr(self, group), **values) for group, values in changes.items()})

    def options(self) -> dict[str, Any]:
        """Every setting by its flat option name."""
        flat: dict[str, Any] = {}
        for group in GROUPS:
            flat.update(asdict(getattr(self, group)))
        return flat


#: Flat option name -> the group that holds it.
OPTION_GROUP = {f.name: group for group, kind in GROUPS.items() for f in fields(kind)}
DEFAULTS = RunConfig()


def default(name: str) -> Any:
    """The default of one option, for the CLI's declarations."""
    return getattr(getattr(DEFAULTS, OPTION_GROUP[name]), name)
