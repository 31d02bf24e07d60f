"""One video of a batch, as both engines run it: `run_job` through the public `edit_video` /
`invert_video`, with models loaded once per process (`vidinvert.engines.model_cache`);
`BatchWorker` is the Ray actor."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from vidinvert.batch import records
from vidinvert.batch.jobs import VideoJob
from vidinvert.engines import fault
from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)

def run_job(job: VideoJob, outdir: Path, device: str | None = None) -> dict[str, Any]:
    """Edit (or invert) one video into `outdir`; return its record, also written to `outdir`.

    A failure (bad file, no face with --require-face, bad option) is the record's error, never an
    exception. An existing output is replaced only when an earlier batch into `outdir` wrote it or
    --overwrite is given. `device` replaces the job's device (a Ray worker uses the one it was given).
    """
    from vidinvert.api import edit_video, invert_video
    from vidinvert.config import RunConfig
    from vidinvert.engines.model_cache import cached_models

    outdir = Path(outdir)
    target = outdir / job.output
    ours = records.record_path(outdir, job.output).is_file()
    if target.exists() and not ours and not job.overwrite:
        return records.failed_record(job, f"output {target} already exists and no batch into {outdir} wrote "
                                          "it; pass --overwrite to replace it")
    records.write_record(outdir, records.new_record(job, "running"))
    record = records.new_record(job, "ok")
    started = time.perf_counter()
    options = dict(job.options, overwrite=True, quiet=True)
    if device is not None:
        options["device"] = device
    run = invert_video if options.pop("invert", False) else edit_video
    hook = fault.dying_stage_hook(job.input)
    if hook is not None:
        options["observe"] = hook
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        config = RunConfig.from_options(**{k: v for k, v in options.items() if k != "observe"})
        summary = run(job.input, target, models=cached_models(config.models), **options)
    except VidinvertError as exc:
        record = records.failed_record(job, str(exc))
    except Exception as exc:  # one broken video must not end a batch of thousands
        log.debug("%s failed", job.input, exc_info=True)
        record = records.failed_record(job, f"{type(exc).__name__}: {exc}")
    else:
        record.update(frames=summary.frames, edited=summary.edited, cold_starts=summary.cold_starts)
    record["seconds"] = time.perf_counter() - started
    records.write_record(outdir, record)
    return record


class BatchWorker:
    """A Ray actor: loads models on its first video and keeps them for the next ones."""

    def __init__(self, outdir: str, device: str, threads: int | None) -> None:
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.outdir = Path(outdir)
        self.device = device

    def run(self, job: VideoJob) -> dict[str, Any]:
        return run_job(job, self.outdir, self.device)
