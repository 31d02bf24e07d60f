"""Edit strength along the timeline: keyframes such as ``0s:0,1s:1.5,4s:1.5,5s:0``.

Key positions are seconds (``1.5s``), milliseconds (``250ms``) or bare frame numbers (``30``, which
need the video's frame rate). Between keys the strength is interpolated linearly, with smoothstep
easing, or with a monotone cubic (no overshoot); before the first key and after the last it is
constant. A schedule is a callable ``t_seconds -> strength``; so is any function a script passes.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import numpy as np
from scipy.interpolate import PchipInterpolator

from vidinvert.config import INTERPOLATIONS
from vidinvert.errors import VidinvertError


Strength = Union[float, Callable[[float], float]]

_POSITION = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*(s|ms)?\s*$")


@dataclass(frozen=True)
class Key:
    """One keyframe: a position (seconds, or a frame number when unit is 'frame') and a strength."""

    position: float
    unit: str  # "s" or "frame"
    value: float

    def seconds(self, fps: float | None) -> float:
        if self.unit == "s":
            return self.position
        if not fps:
            raise VidinvertError("keyframes given as frame numbers need the video's frame rate")
        return self.position / fps


@dataclass(frozen=True)
class Keyframes:
    """A strength schedule; call it with a time in seconds."""

    keys: tuple[Key, ...]
    interpolation: str = "linear"
    fps: float | None = None

    def __post_init__(self) -> None:
        if not self.keys:
            raise VidinvertError("a keyframe schedule needs at least one key")
        if self.interpolation not in INTERPOLATIONS:
            raise VidinvertError(
                f"unknown interpolation {self.interpolation!r}; choose one of {', '.join(INTERPOLATIONS)}"
            )
        if self.fps is not None or all(k.unit == "s" for k in self.keys):
            times = [k.seconds(self.fps) for k in self.keys]
            if len(set(times)) != len(times):
                raise VidinvertError("two keyframes fall on the same time")

    def at_fps(self, fps: float) -> "Keyframes":
        """The same schedule with frame-numbered keys converted using the video's frame rate."""
        return Keyframes(self.keys, self.interpolation, float(fps))

    def __call__(self, t_seconds: float) -> float:
        return float(self.evaluate(np.asarray([t_seconds], dtype=np.float64))[0])

    def evaluate(self, t_seconds: np.ndarray) -> np.ndarray:
        """Strengths at many times (seconds) at once."""
        pairs = sorted((k.seconds(self.fps), k.value) for k in self.keys)
        times = np.array([p[0] for p in pairs])
        values = np.array([p[1] for p in pairs])
        t = np.asarray(t_seconds, dtype=np.float64)
        if len(times) == 1:
            return np.full_like(t, values[0])
        clipped = np.clip(t, times[0], times[-1])
        if self.interpolation == "cubic":
            return PchipInterpolator(times, values)(clipped)
        seg = np.clip(np.searchsorted(times, clipped, side="right") - 1, 0, len(times) - 2)
        u = (clipped - times[seg]) / (times[seg + 1] - times[seg])
        if self.interpolation == "smooth":
            u = u * u * (3.0 - 2.0 * u)
        return values[seg] + (values[seg + 1] - values[seg]) * u


def parse_keyframes(spec: str, interpolation: str = "linear", fps: float | None = None) -> Keyframes:
    """Parse ``'0s:0,1s:1.5,4s:1.5,5s:0'`` (seconds, ms or frame numbers) into a schedule."""
    keys = []
    for item in spec.split(","):
        if not item.strip():
            continue
        if ":" not in item:
            raise _bad_strength(item, spec)
        position, value = item.rsplit(":", 1)
        keys.append(_make_key(position, value, spec))
    return Keyframes(tuple(keys), interpolation, fps)


def load_keyframes(path: str | Path, interpolation: str | None = None, fps: float | None = None) -> Keyframes:
    """Read keyframes from a JSON or CSV file.

    JSON: ``{"interpolation": "smooth", "keys": [["0s", 0], ["1s", 1.5], ...]}``, or just the list;
    each key may also be ``{"time": "1s", "strength": 1.5}``. CSV: rows ``time,strength`` (a header
    row is allowed). An explicit `interpolation` overrides the file's.
    """
    path = Path(path)
    if not path.is_file():
        raise VidinvertError(f"keyframe file not found: {path}")
    file_interp = "linear"
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text())
            if isinstance(data, dict):
                file_interp = data.get("interpolation", file_interp)
                data = data.get("keys")
            if not isinstance(data, list):
                raise VidinvertError(f"{path}: expected a list of keys or {{'keys': [...]}}")
            rows = [(k.get("time"), k.get("strength", k.get("value"))) if isinstance(k, dict) else tuple(k)
                    for k in data]
        elif path.suffix.lower() == ".csv":
            with open(path, newline="") as fh:
                rows = [tuple(r) for r in csv.reader(fh) if r and any(c.strip() for c in r)]
            if rows and not _POSITION.match(str(rows[0][0])):
                rows = rows[1:]  # header
        else:
            raise VidinvertError(f"{path}: keyframes are read from .json or .csv files")
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, AttributeError) as exc:
        raise VidinvertError(f"cannot read keyframe file {path}: {exc}".splitlines()[0]) from None
    keys = []
    for row in rows:
        if len(row) != 2:
            raise VidinvertError(f"{path}: each key needs a time and a strength, got {row!r}")
        keys.append(_make_key(str(row[0]), str(row[1]), str(path)))
    return Keyframes(tuple(keys), interpolation or file_interp, fps)


def parse_strength(spec: str | float | Callable[[float], float], interpolation: str = "linear",
                   fps: float | None = None) -> Strength:
    """A strength option: a number, a keyframe list, a path to a .json/.csv keyframe file, or (from
    Python) any callable ``t_seconds -> strength``, returned as it is."""
    if callable(spec):
        return spec
    if isinstance(spec, (int, float)):
        return float(spec)
    text = spec.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if text.lower().endswith((".json", ".csv")):
        return load_keyframes(text, interpolation if interpolation != "linear" else None, fps)
    return parse_keyframes(text, interpolation, fps)


def strength_at(strength: Strength, t_seconds: float) -> float:
    """Evaluate a constant or a schedule at a time in seconds."""
    return float(strength(t_seconds)) if callable(strength) else float(strength)


def _bad_strength(item: str, spec: str) -> VidinvertError:
    """The one message for a strength that is neither a number nor keyframes."""
    where = "" if item.strip() == spec.strip() else f" in {spec.strip()!r}"
    return VidinvertError(f"bad strength {item.strip()!r}{where}: give a number (e.g. 1.5) or keyframes "
                          "TIME:STRENGTH,... (e.g. 0s:0,1s:1.5) with TIME like 1.5s, 250ms or a frame number")


def _make_key(position: str, value: str, context: str) -> Key:
    match = _POSITION.match(position)
    try:
        strength = float(value)
    except ValueError:
        match = None
    if match is None or not np.isfinite(strength):
        raise _bad_strength(f"{position}:{value}", context)
    number, unit = float(match.group(1)), match.group(2)
    if number < 0:
        raise VidinvertError(f"keyframe time {position.strip()} is negative")
    if unit is None:
        if number != int(number):
            raise VidinvertError(f"keyframe position {position.strip()} is not a frame number (add s or ms for times)")
        return Key(number, "frame", strength)
    return Key(number / 1000.0 if unit == "ms" else number, "s", strength)
