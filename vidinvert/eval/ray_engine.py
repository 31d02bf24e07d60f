"""`vidinvert eval --engine ray`: the evaluation's videos on a pool of Ray workers.

Each worker loads the metric models (and, on its first video, the pipeline's models) once and
writes each video's result files into the report folder itself, atomically, as the local runner
does; the driver builds the report when all are done. A video whose worker died more than
`retries` times stays pending in the report and is run by the next run of the same command.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vidinvert.engines import fault
from vidinvert.engines.ray_pool import RayOptions, ray_cluster, run_pool, uses_gpu
from vidinvert.eval.records import VideoFn
from vidinvert.eval.videos import VideoEntry

log = logging.getLogger(__name__)


class EvalWorker:
    """A Ray actor evaluating one video at a time with its own metric models."""

    def __init__(self, suite_options: dict[str, Any], out_dir: str, video_fn: VideoFn, max_frames: int | None,
                 result_config: dict[str, Any], threads: int | None) -> None:
        import torch

        from vidinvert.eval.suite import MetricSuite

        if threads:
            torch.set_num_threads(threads)
        self.suite = MetricSuite.load(**suite_options)
        self.out_dir = Path(out_dir)
        self.video_fn = video_fn
        self.max_frames = max_frames
        self.result_config = result_config

    def run(self, entry: VideoEntry) -> str:
        from vidinvert.eval.runner import _run_video

        fault.die_if_armed(entry.path)
        return _run_video(entry, self.out_dir, self.video_fn, self.max_frames, self.result_config, self.suite)


@dataclasses.dataclass(frozen=True)
class RayEval:
    """Evaluates a list of videos on Ray (see `vidinvert.eval.runner.evaluate`'s `engine`)."""

    options: RayOptions

    def run(self, videos: Sequence[VideoEntry], out_dir: Path, video_fn: VideoFn, max_frames: int | None,
            result_config: dict[str, Any], suite_options: dict[str, Any], advance: Callable[[], Any]) -> None:
        if not videos:
            return

        def lost(entry: VideoEntry, reason: str) -> None:
            log.warning("%s left pending: %s", entry.key, reason)
            advance()

        with ray_cluster(self.options.address) as ray:
            gpu = uses_gpu(ray, suite_options["device"])
            device = "cuda" if gpu else "cpu"
            threads = None if gpu else max(1, int(self.options.cpus_per_video))
            init = (dict(suite_options, device=device), str(Path(out_dir).absolute()), _on_device(video_fn, device),
                    max_frames, result_config, threads)
            run_pool(EvalWorker, init, list(videos), self.options, gpu=gpu,
                     on_result=lambda entry, status: advance(), on_lost=lost)


def _on_device(video_fn: VideoFn, device: str) -> VideoFn:
    """The per-video function running on the worker's device, when it has a device setting."""
    if dataclasses.is_dataclass(video_fn) and any(f.name == "device" for f in dataclasses.fields(video_fn)):
        return dataclasses.replace(video_fn, device=device)
    return video_fn
