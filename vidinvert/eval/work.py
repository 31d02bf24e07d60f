"""One video of an evaluation, as every engine runs it: measured against its frames and written
into the report folder, its failure recorded rather than raised."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from vidinvert.errors import VidinvertError
from vidinvert.eval import store
from vidinvert.eval.records import VideoFn
from vidinvert.eval.suite import MetricSuite
from vidinvert.eval.video_eval import evaluate_video
from vidinvert.eval.videos import VideoEntry

log = logging.getLogger(__name__)


# Worker-process state: the metric models, loaded once per process.
_WORKER_SUITE: MetricSuite | None = None


def init_worker(suite_options: dict[str, Any], threads: int) -> None:
    global _WORKER_SUITE
    # One thread per worker unless --threads says: the workers, not torch's intra-op threads, share the cores.
    torch.set_num_threads(threads or 1)
    _WORKER_SUITE = MetricSuite.load(**suite_options)


def run_video(
    entry: VideoEntry,
    out_dir: Path,
    video_fn: VideoFn,
    max_frames: int | None,
    result_config: dict[str, Any],
    suite: MetricSuite | None = None,
) -> str:
    """Evaluate one video and write its files; returns its status. Worker processes use their own suite."""
    suite = suite if suite is not None else _WORKER_SUITE
    result: dict[str, Any] = {
        "key": entry.key,
        "path": str(entry.path),
        "ravdess": entry.ravdess.as_dict() if entry.ravdess else None,
        "result_config": result_config,
        "models_unavailable": suite.unavailable(),
    }
    try:
        measured = evaluate_video(entry.path, video_fn, suite, max_frames)
    except VidinvertError as exc:
        log.warning("%s failed: %s", entry.key, exc)
        result.update(status="failed", error=str(exc), n_frames=0, frames_without_face=None, seconds=0.0,
                      metrics={}, unavailable={})
        store.write_video_result(out_dir, result, [])
        return "failed"
    if not measured.rows:
        error = f"no face frames in the first {max_frames} frames" if max_frames else "no face frames"
        result.update(status="failed", error=error, n_frames=0, frames_without_face=measured.frames_without_face,
                      seconds=measured.seconds, metrics={}, unavailable={})
    else:
        result.update(
            status="ok",
            error=None,
            n_frames=len(measured.rows),
            frames_without_face=measured.frames_without_face,
            seconds=measured.seconds,
            metrics=measured.values,
            unavailable=measured.unavailable,
        )
    store.write_video_result(out_dir, result, measured.rows)
    return result["status"]
