"""Record and report files of batch and eval: JSON written atomically with non-finite floats kept
JSON-safe, and CSV tables whose cells keep floats in full precision."""

from __future__ import annotations

import csv
import io
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


def format_cell(value: Any) -> str:
    """CSV text of a value: NaN empty, infinities as "inf"/"-inf", floats in full precision."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    return "" if value is None else str(value)


def parse_cell(text: str) -> float:
    """Inverse of :func:`format_cell` for numbers."""
    return math.nan if text == "" else float(text)


def csv_text(columns: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> str:
    """CSV of ``rows`` with a header, cells through :func:`format_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
