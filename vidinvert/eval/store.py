"""The report folder's per-video files: results (JSON), per-frame curves (CSV), the run record.

Layout: ``videos/<key>.json`` (written last: its presence with status "ok" marks a finished
video), ``per_frame/<key>.csv``, ``run.json`` (what produced the results and which videos
this run covers).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from vidinvert.errors import VidinvertError
from vidinvert.record_files import (csv_text, decode_float, encode_float, parse_cell, read_json, write_json_atomic,
                                    write_text_atomic)
from vidinvert.eval.video_eval import FRAME_COLUMNS

RUN_FILE = "run.json"
RESULTS_DIR = "videos"
FRAMES_DIR = "per_frame"


def result_path(out_dir: Path, key: str) -> Path:
    """Where a video's result JSON lives."""
    return out_dir / RESULTS_DIR / f"{key}.json"


def frames_path(out_dir: Path, key: str) -> Path:
    """Where a video's per-frame CSV lives."""
    return out_dir / FRAMES_DIR / f"{key}.csv"


def write_video_result(out_dir: Path, result: dict[str, Any], rows: list[dict[str, float]]) -> None:
    """Write a video's per-frame CSV, then its result JSON (the finished mark), each atomically."""
    write_text_atomic(frames_path(out_dir, result["key"]), csv_text(FRAME_COLUMNS, rows))
    encoded = dict(result, metrics={k: encode_float(v) for k, v in result["metrics"].items()})
    write_json_atomic(result_path(out_dir, result["key"]), encoded)


def read_video_result(out_dir: Path, key: str) -> dict[str, Any] | None:
    """A video's result with metric floats decoded, or None when absent."""
    path = result_path(out_dir, key)
    if not path.is_file():
        return None
    result = read_json(path)
    result["metrics"] = {k: decode_float(v) for k, v in result["metrics"].items()}
    return result


def is_finished(
    out_dir: Path, key: str, result_config: dict[str, Any], models_unavailable: dict[str, str]
) -> bool:
    """Whether a video has an "ok" result made under ``result_config`` with the same metric
    models available (a model installed since is a reason to measure again)."""
    result = read_video_result(out_dir, key)
    return (
        result is not None
        and result["status"] == "ok"
        and result["result_config"] == result_config
        and result["models_unavailable"] == models_unavailable
    )


def read_frames(out_dir: Path, key: str) -> list[dict[str, float]]:
    """A video's per-frame rows (numbers decoded); empty when the file is absent."""
    path = frames_path(out_dir, key)
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as stream:
        return [{k: parse_cell(v) for k, v in row.items()} for row in csv.DictReader(stream)]


def read_run(out_dir: Path) -> dict[str, Any] | None:
    """The run record of a report folder, or None."""
    path = out_dir / RUN_FILE
    return read_json(path) if path.is_file() else None


def write_run(out_dir: Path, run: dict[str, Any]) -> None:
    """Record the run, refusing a folder that holds results of a different configuration."""
    previous = read_run(out_dir)
    if previous is not None and previous["result_config"] != run["result_config"]:
        raise VidinvertError(
            f"{out_dir} holds results made with other settings ({previous['result_config']}); "
            "use a new report folder"
        )
    write_json_atomic(out_dir / RUN_FILE, run)


def remove_partial_files(out_dir: Path) -> None:
    """Delete temporary files left by an interrupted write."""
    for folder in (out_dir / RESULTS_DIR, out_dir / FRAMES_DIR, out_dir):
        if folder.is_dir():
            for leftover in folder.glob(".*.tmp.part"):
                leftover.unlink()
