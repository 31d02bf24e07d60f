"""What an evaluation is besides its folder, report folder and run configuration: which videos
(and how much of each), and which metrics. The options of `vidinvert eval` that are not `edit`'s
are the fields of these two records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from vidinvert.config import RunConfig

#: Run settings that do not change an evaluation's frames: how the output video would be written
#: (there is none), whether the stages overlap (same results) and the machine they run on.
NOT_FRAME_SHAPING = frozenset({"frames", "codec", "crf", "preset", "overwrite", "save_latents", "require_face",
                               "quiet", "serial", "threads", "device", "side_by_side",
                               "fps",  # fps: the rate of an image-sequence input; eval reads videos
                               # eval follows one face per video (the talking-face protocol)
                               "track", "face_ref", "face_ref_threshold", "min_face",
                               # a compositor's mattes belong to one shot, not to a protocol's videos
                               "holdout", "matte_out"})


@dataclass(frozen=True)
class VideoSelection:
    """Which videos under the folder are evaluated (RAVDESS filters, a seeded sample, one shard),
    and the first `max_frames` frames of each (all when None)."""

    layout: str = "auto"
    modality: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    emotion: tuple[str, ...] = ()
    intensity: tuple[str, ...] = ()
    actor: tuple[str, ...] = ()
    num_videos: int | None = None
    seed: int = 0
    max_frames: int | None = None
    shard: str | None = None

    def __post_init__(self) -> None:
        for name in ("modality", "channel", "emotion", "intensity", "actor"):
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))


@dataclass(frozen=True)
class MetricOptions:
    """Which metrics are measured and reported: face scores of the composited frames, the identity
    network's weights, LPIPS, frames per metric batch, and whether plots are drawn."""

    face_scores: bool = True
    identity_weights: str | None = None
    lpips: bool = True
    metric_batch_size: int = 16
    plots: bool = True


def split_options(options: dict[str, Any]) -> tuple[VideoSelection, MetricOptions, RunConfig]:
    """`vidinvert eval`'s keywords as the video selection, the metrics and the run configuration."""
    def take(kind: type) -> dict[str, Any]:
        return {f.name: options.pop(f.name) for f in fields(kind) if f.name in options}

    selection, metrics = VideoSelection(**take(VideoSelection)), MetricOptions(**take(MetricOptions))
    return selection, metrics, RunConfig.from_options(**options)


def frame_settings(config: RunConfig) -> dict[str, Any]:
    """The settings of `config` that shape the evaluated frames, as JSON values (what a finished
    video must have been made with to be reused)."""
    return {name: plain_value(value) for name, value in config.options().items() if name not in NOT_FRAME_SHAPING}


def plain_value(value: Any) -> Any:
    """A setting as a JSON value: sequences as lists, mappings kept, paths and others as text."""
    if isinstance(value, (tuple, list)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def as_dict(record: VideoSelection | MetricOptions) -> dict[str, Any]:
    return {name: plain_value(value) for name, value in asdict(record).items()}
