"""A report folder's tables, summary and plots, built from its per-video result files.

Everything here is a function of ``run.json`` and the files under ``videos/`` and
``per_frame/``, so a merged set of shards gives the report of the unsharded run.
"""

from __future__ import annotations

import importlib.metadata
import math
import platform
from pathlib import Path
from typing import Any

import vidinvert
from vidinvert.eval import plots
from vidinvert.record_files import csv_text, encode_float, write_json_atomic, write_text_atomic
from vidinvert.eval.published import TABLE2_COLUMNS, TABLE2_ROWS
from vidinvert.eval.ravdess import RavdessName
from vidinvert.eval.stats import mean_ci95
from vidinvert.eval.store import read_frames, read_run, read_video_result
from vidinvert.eval.video_eval import FACE_METRICS, FRAME_METRICS, VIDEO_METRICS
from vidinvert.metrics.face_quality import nan_median
from vidinvert.metrics.pixel import MSE_SCALE_TO_MODEL_RANGE

VIDEO_FIELDS = ("key", "path", "status", "error", "n_frames", "frames_without_face", "seconds")
PER_VIDEO_COLUMNS = (
    VIDEO_FIELDS
    + VIDEO_METRICS
    + tuple(RavdessName.__dataclass_fields__)
)
TABLE2_HEADERS = {"ssim": "SSIM ↑", "psnr": "PSNR ↑", "mse": "MSE ↓", "lpips": "LPIPS ↓", "id": "ID ↑"}
TEMPORAL_HEADERS = {"tl_id": "TL-ID (→1)", "tg_id": "TG-ID (→1)", "flicker": "flicker (→1)", "jitter": "jitter ↓"}
_PACKAGES = ("torch", "numpy", "av", "scipy", "lpips", "torchvision", "dlib-bin")


def versions() -> dict[str, str]:
    """Versions of Python, vidinvert and the packages that shape the numbers."""
    found = {"python": platform.python_version(), "vidinvert": vidinvert.__version__}
    for package in _PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _stats(values: list[float]) -> dict[str, Any]:
    stats = mean_ci95(values)
    return {"available": True, **{k: encode_float(v) if isinstance(v, float) else v for k, v in stats.items()}}


def _metric_summary(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for metric in VIDEO_METRICS:
        measured = [r for r in results if metric not in r["unavailable"]]
        if results and not measured:
            reasons = sorted({r["unavailable"][metric] for r in results})
            summary[metric] = {"available": False, "reason": "; ".join(reasons)}
            continue
        summary[metric] = _stats([r["metrics"][metric] for r in measured])
    return summary


def _face_summary(scored: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean, 95% interval and median over the videos of each face score (their per-video values
    are themselves medians over frames)."""
    summary = {}
    for metric in FACE_METRICS:
        values = [r["metrics"][metric] for r in scored]
        summary[metric] = dict(_stats(values), median=encode_float(nan_median(values)))
    return summary


TABLE2_DIGITS = {"ssim": 3, "psnr": 2, "mse": 3, "lpips": 3, "id": 3}
TEMPORAL_DIGITS = {"tl_id": 3, "tg_id": 3, "flicker": 3, "jitter": 5}
FACE_DIGITS = {"face_frames": 1, "face_output_face_frames": 1, "face_psnr": 2}


def _number(value: float | str | None, scale: float = 1.0, digits: int = 3) -> str:
    if value is None or isinstance(value, str):
        return "—" if value is None else value
    return f"{value * scale:.{digits}f}"


def _format(entry: dict[str, Any], scale: float = 1.0, digits: int = 3) -> str:
    if not entry["available"]:
        return "n/a"
    text = _number(entry["mean"], scale, digits)
    if isinstance(entry["mean"], float) and entry["ci95_low"] is not None:
        text += f" ± {(entry['ci95_high'] - entry['mean']) * scale:.{digits}f}"
    return text


def _face_markdown(face: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "## Face scores of the output frames (as `vidinvert score` measures them)",
        "",
        "| measure | mean ± 95% CI | median | videos |",
        "|---|---|---|---|",
    ]
    for metric, entry in face.items():
        digits = FACE_DIGITS.get(metric, 4)
        lines.append(f"| {metric} | {_format(entry, digits=digits)} | {_number(entry['median'], digits=digits)} "
                     f"| {entry['n']} |")
    return lines + [
        "",
        "Per video: medians over the frames where the input has a face (docs/scoring.md); over videos: "
        "mean, half-width of the 95% confidence interval and median.",
        "",
    ]


def _markdown(summary: dict[str, Any]) -> str:
    metrics = summary["metrics"]
    videos = summary["videos"]
    config = summary["config"]
    lines = [
        "# vidinvert evaluation",
        "",
        f"{videos['evaluated']} of {videos['planned']} videos evaluated ({summary['layout']} layout, "
        f"first {config.get('max_frames') or 'all'} frames each); {len(videos['failed'])} failed, "
        f"{len(videos['pending'])} pending, {len(videos['skipped'])} files skipped.",
        "",
        "Metric models: "
        + "; ".join(f"{name}: {source or 'unavailable'}" for name, source in summary["models"].items())
        + ".",
        "",
        "## Inversion quality (laid out like FeatureStyleEncoder's Table 2)",
        "",
        "| method | " + " | ".join(TABLE2_HEADERS[c] for c in TABLE2_COLUMNS) + " |",
        "|---|" + "---|" * len(TABLE2_COLUMNS),
    ]
    for method, row in TABLE2_ROWS.items():
        lines.append(f"| {method} (published) | " + " | ".join(f"{v:.{TABLE2_DIGITS[c]}f}" for c, v in zip(TABLE2_COLUMNS, row)) + " |")
    ours = [
        _format(metrics[c], MSE_SCALE_TO_MODEL_RANGE if c == "mse" else 1.0, TABLE2_DIGITS[c] + (1 if c == "mse" else 0))
        for c in TABLE2_COLUMNS
    ]
    lines += [
        "| **this run** | " + " | ".join(ours) + " |",
        "",
        "Ours: mean ± half-width of the 95% confidence interval over videos (per-video means over frames). "
        f"Pixel metrics on [0, 1] RGB crops; the MSE column is shown ×{MSE_SCALE_TO_MODEL_RANGE:g} "
        "([-1, 1] scale) because the published MSE and PSNR columns agree only on that scale; "
        "per_video.csv and summary.json keep the [0, 1] value.",
        "",
        "## Temporal consistency",
        "",
        "| " + " | ".join(TEMPORAL_HEADERS.values()) + " |",
        "|" + "---|" * len(TEMPORAL_HEADERS),
        "| " + " | ".join(_format(metrics[m], digits=TEMPORAL_DIGITS[m]) for m in TEMPORAL_HEADERS) + " |",
        "",
    ]
    temporal_identity = summary["models"].get("tl_id/tg_id identity")
    if temporal_identity:
        lines += [f"TL-ID and TG-ID identity: {temporal_identity}.", ""]
    if "face_scores" in summary:
        lines += _face_markdown(summary["face_scores"])
    unavailable = {m: e["reason"] for m, e in metrics.items() if not e["available"]}
    if unavailable:
        lines += ["## Unavailable metrics", ""] + [f"- {m}: {reason}" for m, reason in unavailable.items()] + [""]
    if videos["failed"]:
        lines += ["## Failed videos", ""] + [f"- {f['key']}: {f['error']}" for f in videos["failed"]] + [""]
    if videos["skipped"]:
        lines += ["## Skipped files", ""] + [f"- {s['file']}: {s['reason']}" for s in videos["skipped"]] + [""]
    if summary["plots"]:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in summary["plots"]] + [""]
    return "\n".join(lines)


def build_report(out_dir: Path, wall_seconds: float | None = None, plots: bool = True) -> dict[str, Any]:
    """Write per_video.csv, summary.json, summary.md and (unless ``plots`` is False) plots/
    for the videos ``run.json`` lists."""
    run = read_run(out_dir)
    results, failed, pending = [], [], []
    for key in run["keys"]:
        result = read_video_result(out_dir, key)
        if result is None or (result["result_config"], result["models_unavailable"]) != (
            run["result_config"],
            run["models_unavailable"],
        ):
            pending.append(key)
        elif result["status"] == "ok":
            results.append(result)
        else:
            failed.append({"key": key, "error": result["error"]})
    rows = []
    for key in run["keys"]:
        result = read_video_result(out_dir, key)
        if result is not None and key not in pending:
            row = {k: result.get(k) for k in VIDEO_FIELDS}
            row.update({m: v for m, v in result["metrics"].items() if m not in result["unavailable"]})
            row.update(result.get("ravdess") or {})
            rows.append(row)
    face_scored = [r for r in results if set(FACE_METRICS) <= r["metrics"].keys()]
    columns = PER_VIDEO_COLUMNS + (FACE_METRICS if face_scored else ())
    write_text_atomic(out_dir / "per_video.csv", csv_text(columns, rows))

    metrics = _metric_summary(results)
    plot_paths = _plots(out_dir, results, metrics) if plots else []
    frames_total = sum(r["n_frames"] for r in results)
    seconds_total = sum(r["seconds"] for r in results)
    summary = {
        "layout": run["layout"],
        "root": run["root"],
        "config": run["config"],
        "result_config": run["result_config"],
        "models": run["models"],
        "videos": {
            "planned": len(run["keys"]),
            "evaluated": len(results),
            "failed": failed,
            "pending": pending,
            "skipped": [{"file": f, "reason": r} for f, r in run["skipped"]],
        },
        "metrics": metrics,
        **({"face_scores": _face_summary(face_scored)} if face_scored else {}),
        "versions": versions(),
        "timing": {
            "video_seconds_total": seconds_total,
            "frames_total": frames_total,
            "frames_without_face_total": sum(r.get("frames_without_face") or 0 for r in results),
            "seconds_per_frame": encode_float(seconds_total / frames_total if frames_total else math.nan),
            "wall_seconds": encode_float(wall_seconds),
        },
        "plots": plot_paths,
    }
    write_json_atomic(out_dir / "summary.json", summary)
    write_text_atomic(out_dir / "summary.md", _markdown(summary))
    return summary


def _plots(out_dir: Path, results: list[dict[str, Any]], metrics: dict[str, dict[str, Any]]) -> list[str]:
    written = []
    frames = {r["key"]: read_frames(out_dir, r["key"]) for r in results}
    for metric in VIDEO_METRICS:
        if not metrics[metric]["available"]:
            continue
        if metric in FRAME_METRICS or metric == "jitter":
            curves = {key: [(row["frame"], row[metric]) for row in rows] for key, rows in frames.items()}
            name = f"plots/per_frame_{metric}.png"
            if plots.plot_per_frame(metric, curves, out_dir / name):
                written.append(name)
        name = f"plots/distribution_{metric}.png"
        values = [r["metrics"][metric] for r in results if metric not in r["unavailable"]]
        if plots.plot_distribution(metric, values, out_dir / name):
            written.append(name)
    return written
