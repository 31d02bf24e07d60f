"""Per-video records of a batch, in the output folder: `batch_records/<output>.json`.

A worker writes its video's record (atomically) when it starts ("running": the output is the
batch's to replace) and when it ends ("ok" or "failed", with counts, seconds and the error). A
video is finished when its record says "ok" for the same input and options and its output exists;
a rerun skips it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidinvert.batch.jobs import VideoJob
from vidinvert.record_files import read_json, write_json_atomic

RECORDS_DIR = "batch_records"
#: A record's fields, in report order (`options` is kept in the JSON files only).
FIELDS = ("input", "output", "status", "frames", "edited", "cold_starts", "seconds", "error")


def record_path(outdir: Path, output: str) -> Path:
    return Path(outdir) / RECORDS_DIR / f"{output}.json"


def new_record(job: VideoJob, status: str) -> dict[str, Any]:
    """A record of `job` with no counts yet."""
    return {"input": job.input, "output": job.output, "status": status, "frames": None, "edited": None,
            "cold_starts": None, "seconds": None, "error": None, "options": job.compared_options()}


def failed_record(job: VideoJob, error: str) -> dict[str, Any]:
    return dict(new_record(job, "failed"), error=" ".join(error.split()))


def read_record(outdir: Path, output: str) -> dict[str, Any] | None:
    path = record_path(outdir, output)
    return read_json(path) if path.is_file() else None


def write_record(outdir: Path, record: dict[str, Any]) -> None:
    write_json_atomic(record_path(outdir, record["output"]), record)


def is_finished(outdir: Path, job: VideoJob) -> bool:
    """Whether `job` has an "ok" record for the same input and options, and its output."""
    record = read_record(outdir, job.output)
    return (record is not None and record["status"] == "ok" and record["input"] == job.input
            and record["options"] == job.compared_options() and (Path(outdir) / job.output).is_file())


def remove_partial_records(outdir: Path) -> None:
    """Delete temporary record files left by a process that died while writing one."""
    folder = Path(outdir) / RECORDS_DIR
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp.part"):
            leftover.unlink(missing_ok=True)
