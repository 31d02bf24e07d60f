"""Evaluation runs: per-video work (in-process or in worker processes), resume, shards, merge."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from tqdm import tqdm

from vidinvert.config import ExecutionConfig, RunConfig
from vidinvert.device import check_device_name, resolve_device
from vidinvert.engines.local import LocalEngine
from vidinvert.engines.ray_pool import RayOptions
from vidinvert.errors import VidinvertError
from vidinvert.eval import store
from vidinvert.eval.evaluation import MetricOptions, VideoSelection, plain_value, as_dict, frame_settings
from vidinvert.record_files import write_text_atomic
from vidinvert.eval.pipeline_frames import PipelineVideoFn
from vidinvert.eval.ravdess import RavdessFilter
from vidinvert.eval.records import VideoFn
from vidinvert.eval.report import build_report
from vidinvert.eval.suite import MetricSuite
from vidinvert.eval.work import init_worker, run_video
from vidinvert.eval.videos import VideoEntry, discover_videos, parse_shard, sample_videos, shard_videos
from vidinvert.pipeline.execution import model_threads

log = logging.getLogger(__name__)


def evaluate(
    videos: Sequence[VideoEntry],
    out_dir: str | Path,
    video_fn: VideoFn,
    metrics: MetricOptions = MetricOptions(),
    *,
    max_frames: int | None = None,
    device: str = "cpu",
    weights_dir: str | Path | None = None,
    execution: ExecutionConfig = ExecutionConfig(),
    result_config: dict[str, Any] | None = None,
    run_info: dict[str, Any] | None = None,
    progress: bool = True,
    engine: LocalEngine | RayOptions = LocalEngine(),
) -> dict[str, Any]:
    """Evaluate ``videos`` with ``video_fn`` into the report folder ``out_dir``; return the summary.

    Finished videos (same ``result_config``, same metric models available) are not recomputed;
    each video's files are written atomically when it ends, so an interruption loses only the
    videos in flight. ``result_config`` describes everything that changes the numbers (checked on
    resume and merge); ``run_info`` adds layout, root, options, the sampled list and the shard.
    ``engine``: this process (the models on ``execution``'s threads, as `edit` runs them), local
    worker processes, or Ray (`RayOptions`).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    suite_options = {
        "device": device,
        "identity_weights": metrics.identity_weights,
        "weights_dir": weights_dir,
        "lpips": metrics.lpips,
        "batch_size": metrics.metric_batch_size,
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
    if isinstance(engine, RayOptions):
        from vidinvert.eval.ray_engine import run_on_ray

        run_on_ray(engine, todo, out_dir, video_fn, max_frames, result_config, suite_options, bar.update)
    elif engine.workers <= 1 or len(todo) <= 1:
        with model_threads(execution):
            for entry in todo:
                run_video(entry, out_dir, video_fn, max_frames, result_config, suite)
                bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(engine.workers, mp_context=context, initializer=init_worker,
                                 initargs=(suite_options, execution.threads)) as pool:
            futures = [pool.submit(run_video, v, out_dir, video_fn, max_frames, result_config) for v in todo]
            try:
                for future in as_completed(futures):
                    future.result()
                    bar.update()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    bar.close()
    return build_report(out_dir, wall_seconds=time.perf_counter() - started, plots=metrics.plots)


def _describe(video_fn: VideoFn) -> str:
    target = getattr(video_fn, "func", video_fn)
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__qualname__)}"
    keywords = getattr(video_fn, "keywords", None)
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(keywords.items()))})" if keywords else name


def evaluate_folder(
    root: str | Path,
    report_dir: str | Path,
    config: RunConfig = RunConfig(),
    videos: VideoSelection = VideoSelection(),
    metrics: MetricOptions = MetricOptions(),
    engine: LocalEngine | RayOptions = LocalEngine(),
    *,
    video_fn: VideoFn | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """``vidinvert eval``: find, filter, sample and shard the ``videos`` under ``root``, run each
    through the pipeline ``config`` describes (as `vidinvert edit` would), measure ``metrics`` into
    ``report_dir``. ``video_fn`` replaces the pipeline (tests). On Ray the device is picked on each
    worker ("auto": its GPU when Ray gives it one)."""
    filters = RavdessFilter.from_options(videos.modality, videos.channel, videos.emotion, videos.intensity,
                                         videos.actor)
    asked = config.models.device
    device = str(resolve_device(asked)) if isinstance(engine, LocalEngine) else check_device_name(asked)
    found = discover_videos(Path(root), videos.layout, filters)
    sampled = sample_videos(found.videos, videos.num_videos, videos.seed)
    shard_index, shard_count = parse_shard(videos.shard) if videos.shard else (0, 1)
    chosen = shard_videos(sampled, shard_index, shard_count)
    measured = {"identity_weights": metrics.identity_weights, "lpips": metrics.lpips}
    if video_fn is None:
        video_fn = PipelineVideoFn(config.with_options(device=device), metrics.face_scores)
        result_config = dict(frame_settings(config), face_scores=metrics.face_scores, **measured)
    else:
        result_config = {"video_fn": _describe(video_fn), **measured}
    run_info = {
        "layout": found.layout,
        "root": str(Path(root).resolve()),
        "config": dict(config.options(), **as_dict(videos), **as_dict(metrics), filters=filters.as_dict(),
                       device=device, workers=getattr(engine, "workers", None)),
        "skipped": found.skipped,
        "sampled": [v.key for v in sampled],
        "shard": [shard_index, shard_count] if videos.shard else None,
    }
    run_info["config"] = {name: plain_value(value) for name, value in run_info["config"].items()}
    return evaluate(chosen, report_dir, video_fn, metrics, max_frames=videos.max_frames, device=device,
                    weights_dir=config.models.weights_dir, execution=config.execution, result_config=result_config,
                    run_info=run_info, progress=progress, engine=engine)


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
