"""JSON and text files written atomically, with non-finite floats kept JSON-safe."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from vidinvert.files import write_text_atomic

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf}


def encode_float(value: float | None) -> float | str | None:
    """NaN/None -> None, +-inf -> "inf"/"-inf", finite -> float."""
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)


def decode_float(value: float | str | None) -> float:
    """Inverse of :func:`encode_float` (None -> NaN)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        return _NON_FINITE[value]
    return float(value)


def write_json_atomic(path: Path, data: Any) -> None:
    """Strict JSON (no NaN/Infinity literals) written atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
