"""Batch manifests: one video per row, with its output name and any `edit` option of its own.

CSV with a header, or JSON lines (one object per line). Columns/keys: `input` (required; relative
paths are relative to the manifest's folder), `output` (a name inside the output folder; default
the input's file name) and any option of `vidinvert edit` by its name (`attr`, `--attr`, `next-steps`
and `next_steps` all work). A row's options override the command line's. Repeatable options take a
list in JSON, or `;`-separated values in CSV (`smile=1;age=-2`); flags take true/false. Empty cells
leave the command line's value.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from vidinvert.batch.jobs import VideoJob, check_output_name, plain_options
from vidinvert.errors import VidinvertError

MANIFEST_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


def is_manifest(path: Path) -> bool:
    return Path(path).is_file() and Path(path).suffix.lower() in MANIFEST_SUFFIXES


def manifest_jobs(path: Path, options: dict[str, Any], parameters: dict[str, click.Parameter]) -> list[VideoJob]:
    """The jobs of the manifest at `path`, each with `options` overridden by its row; `parameters`
    are the command's options a row may set, by keyword name (their click types convert the values)."""
    path = Path(path).absolute()
    rows = _read_rows(path)
    if not rows:
        raise VidinvertError(f"manifest {path} lists no videos")
    context = click.Context(click.Command("batch"))
    jobs = []
    for number, row in rows:
        where = f"{path.name} row {number}"
        row = {_key(name): value for name, value in row.items() if name is not None}
        source = row.pop("input", None)
        if source in (None, ""):
            raise VidinvertError(f"{where}: no input")
        source = path.parent / str(source)
        output = row.pop("output", None)
        output = check_output_name(str(output) if output not in (None, "") else source.name, where)
        merged = dict(options)
        for name, raw in row.items():
            if raw is None or raw == "":
                continue
            if name not in parameters:
                raise VidinvertError(f"{where}: unknown option {name!r} (a row takes input, output and the "
                                     "options of `vidinvert edit`)")
            merged[name] = _convert(parameters[name], raw, context, path.parent, where)
        jobs.append(VideoJob(str(source), output, plain_options(merged)))
    return jobs


def _key(name: str) -> str:
    return name.strip().lstrip("-").replace("-", "_")


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VidinvertError(f"cannot read manifest {path}: {exc}") from None
    if MANIFEST_SUFFIXES[path.suffix.lower()] == "csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "input" not in {_key(f) for f in reader.fieldnames}:
            raise VidinvertError(f"manifest {path.name}: the header must have an input column")
        return [(number, row) for number, row in enumerate(reader, start=2)]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise VidinvertError(f"manifest {path.name} line {number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise VidinvertError(f"manifest {path.name} line {number}: expected an object with input, output, options")
        rows.append((number, row))
    return rows


def _convert(parameter: click.Parameter, raw: Any, context: click.Context, folder: Path, where: str) -> Any:
    """A row's value through the option's own click type (ranges, choices, flags, paths)."""
    value = raw
    if parameter.multiple and not isinstance(raw, list):
        value = [item.strip() for item in str(raw).split(";") if item.strip()]
    if isinstance(parameter.type, click.Path):
        relative = value if isinstance(value, list) else [value]
        resolved = [str(folder / str(v)) for v in relative]
        value = resolved if isinstance(value, list) else resolved[0]
    try:
        return parameter.type_cast_value(context, value)
    except click.BadParameter as exc:
        raise VidinvertError(f"{where}: {parameter.name}: {exc.message}") from None
