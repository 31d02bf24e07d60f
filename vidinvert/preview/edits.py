"""What the page asks for: the face track, each direction's strength or keyframes, the render mode,
mask and occluder options; and the same as the edit spec and the `vidinvert edit` command line
(occluders hold for the whole run: they go on the command line, not in the spec's face entry)."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from vidinvert.config import OCCLUDERS, RENDER_MODES
from vidinvert.edit.spec import EditSpec, FaceEdits
from vidinvert.errors import VidinvertError

#: The slider of the `--direction` files: the spec gives them one strength together.
FILES = "direction files"
MASK_OPTIONS = ("mask_forehead", "mask_dilate", "mask_feather")


@dataclass(frozen=True)
class PreviewEdits:
    """One request's edits. `keyframes` (direction -> {frame: strength}) win over `strengths`."""

    track: int
    strengths: dict[str, float] = field(default_factory=dict)
    keyframes: dict[str, dict[int, float]] = field(default_factory=dict)
    render: str = "warp"
    masks: dict[str, float] = field(default_factory=dict)
    occluders: str = "hands"

    def active(self) -> list[str]:
        """The directions that edit: a strength other than 0, or keyframes; in a fixed order."""
        names = {n for n, v in self.strengths.items() if v} | {n for n, keys in self.keyframes.items() if keys}
        return sorted(names, key=lambda n: (n == FILES, n))

    def strength_text(self, name: str, time_of: Callable[[int], float]) -> float | str:
        """The strength as the spec and `--attr` write it: a number, or keyframes in seconds."""
        keys = self.keyframes.get(name)
        if not keys:
            return self.strengths.get(name, 0.0)
        return ",".join(f"{_seconds(time_of(frame))}:{_number(value)}" for frame, value in sorted(keys.items()))

    def options(self, files: tuple[Path, ...], time_of: Callable[[int], float]) -> dict[str, Any]:
        """The run options of these edits (`RunConfig.with_options` names)."""
        names = self.active()
        attr = [f"{n}={self.strength_text(n, time_of)}" for n in names if n != FILES]
        options: dict[str, Any] = {"attr": attr, "direction": files if FILES in names else (),
                                   "render": self.render, "occluders": self.occluders, **self.masks}
        if FILES in names:
            options["strength"] = str(self.strength_text(FILES, time_of))
        return options

    def spec(self, files: tuple[Path, ...], time_of: Callable[[int], float], root: Path) -> EditSpec:
        """The edit spec of these edits: one entry, for the chosen track."""
        names = self.active()
        if not names:
            raise VidinvertError("nothing to edit: move a slider or set a keyframe first")
        attr = {n: self.strength_text(n, time_of) for n in names if n != FILES}
        options: dict[str, Any] = {"render": self.render, **self.masks}
        direction = None
        if FILES in names:
            direction = tuple(str(f) for f in files)
            options["strength"] = str(self.strength_text(FILES, time_of))
        entry = FaceEdits(str(self.track), attr=attr, direction=direction, options=options)
        return EditSpec({entry.selector: entry}, root)


def parse_edits(data: Any, directions: list[str], tracks: list[int]) -> PreviewEdits:
    """The page's JSON edits, checked: one-line errors naming what is wrong."""
    if not isinstance(data, dict):
        raise VidinvertError("the request's edits must be a JSON object")
    track = data.get("track", tracks[0] if tracks else 0)
    if not isinstance(track, int) or isinstance(track, bool) or (tracks and track not in tracks):
        raise VidinvertError(f"unknown face track {track!r}; the clip has {', '.join(map(str, tracks)) or 'none'}")
    strengths = {name: _finite(value, name) for name, value in _mapping(data, "strengths").items()}
    keyframes = {}
    for name, keys in _mapping(data, "keyframes").items():
        if not isinstance(keys, dict):
            raise VidinvertError(f"keyframes of {name!r} must map frame numbers to strengths")
        keyframes[name] = {_frame(k, name): _finite(v, name) for k, v in keys.items()}
    unknown = sorted((set(strengths) | set(keyframes)) - set(directions))
    if unknown:
        raise VidinvertError(f"unknown direction(s) {', '.join(unknown)}; the loaded models offer "
                             f"{', '.join(directions) or 'none'}")
    render = data.get("render", "warp")
    if render not in RENDER_MODES:
        raise VidinvertError(f"unknown render mode {render!r}; choose one of {', '.join(RENDER_MODES)}")
    masks = {name: _finite(value, name) for name, value in _mapping(data, "masks").items()}
    bad = sorted(set(masks) - set(MASK_OPTIONS))
    if bad or any(v < 0 for v in masks.values()):
        raise VidinvertError(f"mask options are {', '.join(MASK_OPTIONS)}, each 0 or more")
    occluders = data.get("occluders", "hands")
    if occluders not in OCCLUDERS:
        raise VidinvertError(f"unknown occluders {occluders!r}; choose one of {', '.join(OCCLUDERS)}")
    return PreviewEdits(track, strengths, keyframes, render, masks, occluders)


def command_line(video: Path, spec_path: Path, model_args: list[str], occluders: str = "hands") -> str:
    """The `vidinvert edit` command that renders the exported spec."""
    output = video.with_name(video.stem + "_edited.mp4")
    run = [] if occluders == "hands" else ["--occluders", occluders]
    words = ["vidinvert", "edit", str(video), "--spec", str(spec_path), *model_args, *run, "-o", str(output)]
    return " ".join(shlex.quote(w) for w in words)


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise VidinvertError(f"{key} must be a JSON object")
    return value


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise VidinvertError(f"{name}: a strength or mask option must be a finite number, got {value!r}")
    return float(value)


def _frame(key: Any, name: str) -> int:
    try:
        frame = int(key)
    except (TypeError, ValueError):
        raise VidinvertError(f"keyframes of {name!r}: {key!r} is not a frame number") from None
    if frame < 0:
        raise VidinvertError(f"keyframes of {name!r}: frame numbers start at 0")
    return frame


def _seconds(t: float) -> str:
    return f"{round(t, 6):.6f}".rstrip("0").rstrip(".") + "s"


def _number(value: float) -> str:
    return f"{value:g}" if value == round(value, 6) else repr(value)
