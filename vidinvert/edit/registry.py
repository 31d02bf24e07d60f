"""Finding direction files by name and turning ``--attr``/``--direction``/``--layers`` into edits.

A name such as ``smile`` is looked up, first match wins, in:
  0. the folder of directions that belong to the generator in use (the bundled demo model's
     ``vidinvert/data/demo/directions``, searched only while that model is used);
  1. the weights store folders (vidinvert.weights.search_dirs: ``--weights-dir``,
     ``$VIDINVERT_WEIGHTS``, the user cache folder), subfolder ``directions/``;
  2. the user directions folder: ``--directions-dir``, then ``$VIDINVERT_DIRECTIONS``, then the
     user data folder (platformdirs) ``/directions``;
A name with no file that names an expression defined by its motion (`smile`, `mouth_open`,
`eyes_closed`, `brows_raised`: `vidinvert.face.expression_targets`) is solved for the generator in use
(`vidinvert.pipeline.expression_directions`); ``motion:NAME`` asks for that solve even where a file
of that name exists.
In each folder the candidates are ``NAME.npz``, ``NAME.npy``, ``NAME.pt``, ``NAME.pth`` and the same
with ``_boundary`` appended to NAME (InterFaceGAN / FSE naming); NAME may contain a subfolder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Sequence

import platformdirs

from vidinvert.edit.direction_formats import DIRECTION_SUFFIXES
from vidinvert.edit.directions import Direction, load_direction, parse_layers
from vidinvert.edit.keyframes import Strength, parse_strength
from vidinvert.config import MOTION_EXPRESSIONS
from vidinvert.errors import VidinvertError
from vidinvert.weights import search_dirs

APP_NAME = "vidinvert"
#: ``--attr motion:NAME``: the expression's direction solved from its motion, never a file.
MOTION_PREFIX = "motion:"


@dataclass(frozen=True)
class EditRequest:
    """One edit to apply: a direction and its strength (a number or a schedule over time)."""

    direction: Direction
    strength: Strength


def direction_search_dirs(weights_dir: str | Path | None = None, directions_dir: str | Path | None = None,
                          model_dir: Path | None = None) -> list[Path]:
    """The folders searched for named directions, in order of precedence (`model_dir`: the
    directions of the generator in use, first)."""
    user = [directions_dir, os.environ.get("VIDINVERT_DIRECTIONS"),
            Path(platformdirs.user_data_dir(APP_NAME)) / "directions"]
    dirs = [model_dir] if model_dir is not None else []
    dirs += [d / "directions" for d in search_dirs(weights_dir)] + [Path(d) for d in user if d]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_direction(name: str, weights_dir: str | Path | None = None, directions_dir: str | Path | None = None,
                   model_dir: Path | None = None) -> Path:
    """The file a direction name resolves to; a clear error listing the folders searched otherwise."""
    dirs = direction_search_dirs(weights_dir, directions_dir, model_dir)
    stems = [name, f"{name}_boundary"]
    for folder in dirs:
        for stem in stems:
            for suffix in DIRECTION_SUFFIXES:
                candidate = folder / f"{stem}{suffix}"
                if candidate.is_file():
                    return candidate
    hint = known_names_hint(available_directions(weights_dir, directions_dir, model_dir))
    raise VidinvertError(
        f"no direction named {name!r} in {', '.join(str(d) for d in dirs)} ({hint}); "
        "put NAME.npy/.pt/.npz there or pass --direction FILE"
    )


def known_names_hint(known: Collection[str]) -> str:
    """The one wording of the names that resolve, for messages about a name that does not."""
    return f"known names: {', '.join(sorted(known))}" if known else "no direction files found there"


def known_direction_names(weights_dir: str | Path | None = None, directions_dir: str | Path | None = None,
                          model_dir: Path | None = None) -> set[str]:
    """Every name an edit may give: the direction files that resolve and the expressions solved from
    their motion (``motion:NAME`` is checked by :func:`is_known_direction`)."""
    return set(available_directions(weights_dir, directions_dir, model_dir)) | set(MOTION_EXPRESSIONS)


def is_known_direction(name: str, known: Collection[str]) -> bool:
    """Whether `name` resolves among `known` names, ``motion:NAME`` of a motion expression included."""
    if name.startswith(MOTION_PREFIX):
        return name[len(MOTION_PREFIX):] in MOTION_EXPRESSIONS
    return name in known


def available_directions(weights_dir: str | Path | None = None, directions_dir: str | Path | None = None,
                         model_dir: Path | None = None) -> dict[str, Path]:
    """Every direction name that resolves, with the file it resolves to."""
    found: dict[str, Path] = {}
    for folder in direction_search_dirs(weights_dir, directions_dir, model_dir):
        for name, path in directions_in(folder).items():
            found.setdefault(name, path)
    return found


def directions_in(folder: Path) -> dict[str, Path]:
    """The direction names one folder holds (subfolders included), with their files."""
    found: dict[str, Path] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.suffix in DIRECTION_SUFFIXES and path.is_file():
                stem = path.relative_to(folder).with_suffix("").as_posix()
                name = stem[: -len("_boundary")] if stem.endswith("_boundary") else stem
                found.setdefault(name, path)
    return found


def parse_attr(spec: str) -> tuple[str, str | None]:
    """Split ``smile=1.5`` or ``smile=0s:0,2s:1`` into name and strength; ``smile`` gives no strength."""
    name, sep, strength = spec.partition("=")
    name = name.strip()
    if not name or (sep and not strength.strip()):
        raise VidinvertError(f"bad --attr {spec!r}: use NAME or NAME=STRENGTH, e.g. smile=1.5")
    return name, strength.strip() if sep else None


def _named_direction(name: str, weights_dir: str | Path | None, directions_dir: str | Path | None,
                     model_dir: Path | None, expression: Callable[[str], Direction] | None) -> Direction:
    motion = name.startswith(MOTION_PREFIX)
    bare = name[len(MOTION_PREFIX):] if motion else name
    if motion and bare not in MOTION_EXPRESSIONS:
        raise VidinvertError(f"bad --attr {name!r}: motion expressions are {', '.join(MOTION_EXPRESSIONS)}")
    if not motion:
        try:
            return load_direction(find_direction(name, weights_dir, directions_dir, model_dir), name=name)
        except VidinvertError:
            if expression is None or name not in MOTION_EXPRESSIONS:
                raise
    if expression is None:
        raise VidinvertError(f"--attr {name!r} needs the generator to solve the expression's motion")
    return expression(bare)


def resolve_edits(
    attr: Sequence[str] = (),
    direction: Sequence[str | Path | Direction] = (),
    strength: Strength | str | None = None,
    layers: str | None = None,
    direction_format: str | None = None,
    interpolation: str = "linear",
    fps: float | None = None,
    weights_dir: str | Path | None = None,
    directions_dir: str | Path | None = None,
    model_dir: Path | None = None,
    expression: Callable[[str], Direction] | None = None,
) -> list[EditRequest]:
    """Turn the edit options into edits.

    attr: ``NAME[=STRENGTH]`` items resolved through the registry; direction: files of any format or
    Direction objects (their strength is `strength`); strength (a number, keyframes, a keyframe file
    or a callable of time in seconds) also sets the strength of an ``--attr`` given without one.
    Without either, an edit is made at its direction's `default_strength`. layers (``0-7``,
    ``0,2,4``) overrides the layers of every edit; direction_format overrides format detection for
    the ``--direction`` files. expression: solves an expression defined by its motion into a
    direction for the generator in use (names without a file, and ``motion:NAME``).
    """
    layer_override = parse_layers(layers) if layers else None
    requests: list[tuple[Direction, Strength]] = []

    def strength_of(loaded: Direction, value: str | None) -> Strength:
        given = value or strength
        return parse_strength(loaded.default_strength if given is None else given, interpolation, fps)

    for item in attr:
        name, value = parse_attr(item)
        loaded = _named_direction(name, weights_dir, directions_dir, model_dir, expression)
        requests.append((loaded, strength_of(loaded, value)))
    for item in direction:
        loaded = item if isinstance(item, Direction) else load_direction(item, format=direction_format)
        requests.append((loaded, strength_of(loaded, None)))
    if not requests:
        raise VidinvertError("no edit given: pass --attr NAME[=STRENGTH] or --direction FILE")
    return [
        EditRequest(d.with_layers(layer_override) if layer_override else d, s) for d, s in requests
    ]
