"""`vidinvert eval --engine ray`: the evaluation's videos on a pool of Ray workers.

Each worker loads the metric models (and, on its first video, the pipeline's models) once, on the
device the engine resolves for it, and writes each video's result files into the report folder
itself, atomically, as the local runner does; the driver builds the report when all are done. A
video whose worker died more than `retries` times stays pending in the report and is run by the
next run of the same command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidinvert.engines import fault
from vidinvert.engines.ray_pool import RayOptions, run_on_cluster
from vidinvert.eval.records import VideoFn
from vidinvert.eval.videos import VideoEntry

log = logging.getLogger(__name__)


class EvalWorker:
    """A Ray actor evaluating one video at a time with its own metric models, on `device`."""

    def __init__(self, suite_options: dict[str, Any], out_dir: str, video_fn: VideoFn, max_frames: int | None,
                 result_config: dict[str, Any], device: str, threads: int | None) -> None:
        import torch

        from vidinvert.eval.suite import MetricSuite

        if threads:
            torch.set_num_threads(threads)
        self.suite = MetricSuite.load(**dict(suite_options, device=device))
        self.out_dir = Path(out_dir)
        on_device = getattr(video_fn, "on_device", None)
        self.video_fn = on_device(device) if on_device is not None else video_fn
        self.max_frames = max_frames
        self.result_config = result_config

    def run(self, entry: VideoEntry) -> str:
        from vidinvert.eval.work import run_video

        fault.die_if_armed(entry.path)
        return run_video(entry, self.out_dir, self.video_fn, self.max_frames, self.result_config, self.suite)


def run_on_ray(options: RayOptions, videos: Sequence[VideoEntry], out_dir: Path, video_fn: VideoFn,
               max_frames: int | None, result_config: dict[str, Any], suite_options: dict[str, Any],
               advance: Callable[[], Any]) -> None:
    """Evaluate `videos` on Ray (see `vidinvert.eval.runner.evaluate`'s `engine`)."""
    if not videos:
        return

    def lost(entry: VideoEntry, reason: str) -> None:
        log.warning("%s left pending: %s", entry.key, reason)
        advance()

    def init_args(device: str, threads: int | None) -> tuple:
        return suite_options, str(Path(out_dir).absolute()), video_fn, max_frames, result_config, device, threads

    run_on_cluster(options, suite_options["device"], EvalWorker, init_args, list(videos),
                   on_result=lambda entry, status: advance(), on_lost=lost)
