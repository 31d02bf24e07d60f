"""The batch report: `batch_report.csv` (one row per video) and `batch_report.json` (the same rows with
each video's options, and the counts), written atomically in the output folder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from vidinvert.batch.records import FIELDS
from vidinvert.record_files import csv_text, write_json_atomic, write_text_atomic

REPORT_CSV = "batch_report.csv"
REPORT_JSON = "batch_report.json"


def write_report(outdir: Path, records: list[dict[str, Any]]) -> Path:
    """Write both report files for `records` (in job order); return the CSV's path."""
    outdir = Path(outdir)
    counts = Counter(record["status"] for record in records)
    write_json_atomic(outdir / REPORT_JSON, {"videos": len(records), "counts": dict(sorted(counts.items())),
                                             "records": records})
    write_text_atomic(outdir / REPORT_CSV, csv_text(FIELDS, records))
    return outdir / REPORT_CSV
