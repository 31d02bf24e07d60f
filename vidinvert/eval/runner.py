"""Evaluation runs: per-video work (in-process or in worker processes), resume, shards, merge."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from vidinvert.errors import VidinvertError
from vidinvert.eval import store
from vidinvert.eval.jsonio import write_text_atomic
from vidinvert.eval.pipeline_frames import pipeline_video_fn
from vidinvert.eval.ravdess import RavdessFilter
from vidinvert.eval.ray_engine import RayEval
from vidinvert.eval.records import VideoFn
from vidinvert.eval.report import build_report
from vidinvert.device import check_device_name, resolve_device
from vidinvert.eval.suite import MetricSuite
from vidinvert.eval.video_eval import evaluate_video
from vidinvert.eval.videos import VideoEntry, discover_videos, parse_shard, sample_videos, shard_videos
from vidinvert.config import InvertConfig, default

log = logging.getLogger(__name__)


# Worker-process state: the metric models, loaded once per process.
_WORKER_SUITE: MetricSuite | None = None


def _init_worker(suite_options: dict[str, Any]) -> None:
    global _WORKER_SUITE
    # One thread per worker: the workers, not torch's intra-op threads, share the cores.
    torch.set_num_threads(1)
    _WORKER_SUITE = MetricSuite.load(**suite_options)


def _run_video(
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


def evaluate(
    videos: Sequence[VideoEntry],
    out_dir: str | Path,
    video_fn: VideoFn,
    *,
    max_frames: int | None = None,
    workers: int = 1,
    device: str = "cpu",
    identity_weights: str | Path | None = None,
    weights_dir: str | Path | None = None,
    lpips: bool = True,
    batch_size: int = 16,
    result_config: dict[str, Any] | None = None,
    run_info: dict[str, Any] | None = None,
    progress: bool = True,
    plots: bool = True,
    engine: RayEval | None = None,
) -> dict[str, Any]:
    """Evaluate ``videos`` with ``video_fn`` into the report folder ``out_dir``; return the summary.

    Finished videos (same ``result_config``, same metric models available) are not recomputed;
    each video's files are written atomically when it ends, so an interruption loses only the
    videos in flight. ``result_config`` describes everything that changes the numbers (checked on
    resume and merge); ``run_info`` adds layout, root, options, the sampled list and the shard.
    ``engine`` (``RayEval``) runs the videos on Ray instead of ``workers`` local processes.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    suite_options = {
        "device": device,
        "identity_weights": identity_weights,
        "weights_dir": weights_dir,
        "lpips": lpips,
        "batch_size": batch_size,
    }
    suite = MetricSuite.load(**suite_options)
    keys = [v.key for v in videos]
    result_config = dict(result_config or {"video_fn": _describe(video_fn)}, max_frames=max_frames)
    run = {"layout": "folder", "root": None, "config": {}, "skipped": [], "sampled": keys, "shard": None}
    run.update(run_info or {})
    run.update(
        keys=keys, result_config=result_config, models=suite.sources(), models_unavailable=suite.unavailable()
    )
    todo = [v for v in videos if not store.is_finished(out_dir, v.key, result_config, suite.unavailable())]
    log.info("%d of %d videos to evaluate (%d already finished)", len(todo), len(videos), len(videos) - len(todo))
    prepare = getattr(video_fn, "prepare", None)
    if todo and prepare is not None:
        prepare()  # before anything is written: bad models or options leave no report folder
    out_dir.mkdir(parents=True, exist_ok=True)
    store.remove_partial_files(out_dir)
    store.write_run(out_dir, run)
    bar = tqdm(total=len(todo), desc="videos", unit="video", disable=not progress or not todo)
    if engine is not None:
        engine.run(todo, out_dir, video_fn, max_frames, result_config, suite_options, bar.update)
    elif workers <= 1 or len(todo) <= 1:
        for entry in todo:
            _run_video(entry, out_dir, video_fn, max_frames, result_config, suite)
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(suite_options,)) as pool:
            futures = [pool.submit(_run_video, v, out_dir, video_fn, max_frames, result_config) for v in todo]
            try:
                for future in as_completed(futures):
                    future.result()
                    bar.update()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    bar.close()
    return build_report(out_dir, wall_seconds=time.perf_counter() - started, plots=plots)


def _describe(video_fn: VideoFn) -> str:
    target = getattr(video_fn, "func", video_fn)
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__qualname__)}"
    keywords = getattr(video_fn, "keywords", None)
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(keywords.items()))})" if keywords else name


def evaluate_folder(
    root: str | Path,
    report_dir: str | Path,
    *,
    layout: str = "auto",
    modality: Sequence[str] = (),
    channel: Sequence[str] = (),
    emotion: Sequence[str] = (),
    intensity: Sequence[str] = (),
    actor: Sequence[str] = (),
    num_videos: int | None = None,
    seed: int = 0,
    max_frames: int | None = None,
    generator: str | None = None,
    encoder: str | None = None,
    steps: int = InvertConfig.steps,
    next_steps: int = InvertConfig.next_steps,
    warm_start: bool = True,
    edit: Sequence[str] = (),
    render: str = default("render"),
    change_from: str = default("change_from"),
    face_scores: bool = True,
    device: str = "auto",
    workers: int = 1,
    shard: str | None = None,
    identity_weights: str | None = None,
    weights_dir: str | None = None,
    lpips: bool = True,
    batch_size: int = 16,
    progress: bool = True,
    plots: bool = True,
    video_fn: VideoFn | None = None,
    engine: RayEval | None = None,
) -> dict[str, Any]:
    """``vidinvert eval``: find, filter, sample and shard the videos under ``root``, evaluate them
    into ``report_dir``. ``video_fn`` defaults to the video pipeline built from the model options,
    ``render``, ``change_from`` and ``face_scores``. With ``engine`` the device is picked on each worker ("auto": its
    GPU when Ray gives it one)."""
    filters = RavdessFilter.from_options(modality, channel, emotion, intensity, actor)
    device = str(resolve_device(device)) if engine is None else check_device_name(device)
    found = discover_videos(Path(root), layout, filters)
    sampled = sample_videos(found.videos, num_videos, seed)
    shard_index, shard_count = parse_shard(shard) if shard else (0, 1)
    videos = shard_videos(sampled, shard_index, shard_count)
    model_options = {
        "generator": generator,
        "encoder": encoder,
        "steps": steps,
        "next_steps": next_steps,
        "warm_start": warm_start,
        "edit": list(edit),
        "render": render,
        "change_from": change_from,
        "face_scores": face_scores,
    }
    if video_fn is None:
        video_fn = pipeline_video_fn(generator, encoder, steps, warm_start, edit, device, next_steps=next_steps,
                                     weights_dir=weights_dir, render=render, change_from=change_from,
                                     face_scores=face_scores)
        result_config = dict(model_options, identity_weights=identity_weights, lpips=lpips)
    else:
        result_config = {"video_fn": _describe(video_fn), "identity_weights": identity_weights, "lpips": lpips}
    config = dict(
        model_options,
        layout=layout,
        filters=filters.as_dict(),
        num_videos=num_videos,
        seed=seed,
        max_frames=max_frames,
        device=device,
        workers=workers,
        shard=shard,
        identity_weights=identity_weights,
        weights_dir=weights_dir,
        lpips=lpips,
        batch_size=batch_size,
    )
    run_info = {
        "layout": found.layout,
        "root": str(Path(root).resolve()),
        "config": config,
        "skipped": found.skipped,
        "sampled": [v.key for v in sampled],
        "shard": [shard_index, shard_count] if shard else None,
    }
    return evaluate(
        videos,
        report_dir,
        video_fn,
        max_frames=max_frames,
        workers=workers,
        device=device,
        identity_weights=identity_weights,
        weights_dir=weights_dir,
        lpips=lpips,
        batch_size=batch_size,
        result_config=result_config,
        run_info=run_info,
        progress=progress,
        plots=plots,
        engine=engine,
    )


def merge(shard_dirs: Sequence[str | Path], out_dir: str | Path, plots: bool = True) -> dict[str, Any]:
    """Combine the report folders of shards 0/n .. n-1/n into the report of the unsharded run."""
    if not shard_dirs:
        raise VidinvertError("merge needs at least one shard report folder")
    runs = []
    for folder in map(Path, shard_dirs):
        run = store.read_run(folder)
        if run is None:
            raise VidinvertError(f"not a report folder (no {store.RUN_FILE}): {folder}")
        runs.append((folder, run))
    first = runs[0][1]
    for folder, run in runs:
        for field in ("result_config", "models_unavailable", "sampled", "root", "layout"):
            if run[field] != first[field]:
                raise VidinvertError(f"{folder} comes from a different evaluation ({field} differs from {runs[0][0]})")
    counts = {tuple(run["shard"])[1] if run["shard"] else 1 for _, run in runs}
    indices = sorted(run["shard"][0] if run["shard"] else 0 for _, run in runs)
    if len(counts) != 1 or indices != list(range(counts.pop())):
        raise VidinvertError(f"shards do not form a complete set 0/n..n-1/n: got {[r['shard'] for _, r in runs]}")
    out_dir = Path(out_dir)
    if any(out_dir.resolve() == folder.resolve() for folder, _ in runs):
        raise VidinvertError("the merged report folder must differ from the shard folders")
    merged = dict(first, keys=first["sampled"], shard=None, config=dict(first["config"], shard=None))
    out_dir.mkdir(parents=True, exist_ok=True)
    store.write_run(out_dir, merged)
    for folder, run in runs:
        for key in run["keys"]:
            for path_of in (store.frames_path, store.result_path):
                source = path_of(folder, key)
                if source.is_file():
                    write_text_atomic(path_of(out_dir, key), source.read_text(encoding="utf-8"))
    return build_report(out_dir, plots=plots)
