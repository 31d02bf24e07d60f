"""Which run options a face entry of an edit spec may set, and the checks of their values.

A face entry changes how its face is edited and rendered: the options of RunConfig's edit and render
groups, less those that hold for the whole run (where direction names are looked up, the render batch,
the side-by-side layout). Every other option is global: it comes from the command line alone.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from vidinvert.config import INTERPOLATIONS, OPTION_GROUP, RunConfig, check_choice, default
from vidinvert.edit.direction_formats import FORMATS
from vidinvert.edit.directions import parse_layers
from vidinvert.edit.keyframes import parse_keyframes
from vidinvert.errors import VidinvertError
from vidinvert.temporal import parse_filter

#: The edits of a face entry: keys of their own, not options.
EDIT_KEYS = ("attr", "direction")
#: Edit and render options that are the same for every face of a run.
RUN_WIDE = ("directions_dir", "batch_size", "side_by_side", "occluders", "holdout")  # one compositor per run
#: The options a face entry may set, in RunConfig's order.
FACE_OPTIONS = tuple(name for name, group in OPTION_GROUP.items()
                     if group in ("edit", "render") and name not in EDIT_KEYS + RUN_WIDE)
GLOBAL_OPTIONS = frozenset(OPTION_GROUP) - set(FACE_OPTIONS) - set(EDIT_KEYS)


def check_strength(value: Any) -> None:
    """A strength as a spec gives it: a finite number, or text holding one or keyframes (`smile=...`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise VidinvertError(f'a strength is a number or keyframe text such as "0s:0,2s:1", not {json_kind(value)}')
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            parse_keyframes(value)
            return
    if not math.isfinite(value):
        raise VidinvertError(f"a strength must be a finite number, got {value}")


#: Checks beyond the type and RunConfig's own rules, by option.
_VALUE_CHECKS: dict[str, Callable[[Any], object]] = {
    "strength": check_strength,
    "layers": parse_layers,
    "direction_format": lambda value: check_choice("direction format", value, tuple(sorted(FORMATS))),
    "interpolation": lambda value: check_choice("interpolation", value, INTERPOLATIONS),
    "smooth_latents": parse_filter,
    "smooth_offset": parse_filter,
    "smooth_features": lambda value: parse_filter(value, layer_groups=False),
    "smooth_change": lambda value: parse_filter(value, layer_groups=False),
}


def check_face_option(name: str, value: Any) -> None:
    """Raise a one-line VidinvertError for a value face option `name` cannot take."""
    if name != "strength":
        _check_type(name, value)
    if value is None:
        return
    if name in _VALUE_CHECKS:
        _VALUE_CHECKS[name](value)
    RunConfig().with_options(**{name: value})


def _check_type(name: str, value: Any) -> None:
    """The JSON type an option takes follows its default: number, true/false, text (or null where the
    default is null)."""
    expected = default(name)
    if expected is None:
        ok, wanted = value is None or isinstance(value, str), "text or null"
    elif isinstance(expected, bool):
        ok, wanted = isinstance(value, bool), "true or false"
    elif isinstance(expected, (int, float)):
        ok, wanted = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
        ok = ok and math.isfinite(value)
    else:
        ok, wanted = isinstance(value, str), "text"
    if not ok:
        raise VidinvertError(f"takes {wanted}, not {json_kind(value)}")


def json_kind(value: Any) -> str:
    """How a JSON value is called in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return "a list" if isinstance(value, list) else "an object"
