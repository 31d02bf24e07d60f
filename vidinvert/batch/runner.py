"""`run_batch`: many videos into one output folder, in this process or on Ray, with resume and a report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tqdm import tqdm

from vidinvert.batch import records
from vidinvert.batch.jobs import VideoJob, check_jobs
from vidinvert.batch.report import write_report
from vidinvert.batch.work import BatchWorker, run_job
from vidinvert.engines.ray_pool import RayOptions, run_on_cluster
from vidinvert.files import partial_files

log = logging.getLogger(__name__)


def run_batch(jobs: list[VideoJob], outdir: str | Path, *, ray: RayOptions | None = None,
              progress: bool = True) -> list[dict[str, Any]]:
    """Run `jobs` into `outdir` (locally, or on Ray with `ray`); return one record per job, in order.

    Finished videos (same input and options, output present) are skipped. Every output and record
    is written atomically; temporary files of processes that died are removed. The report
    (batch_report.csv, .json) is written at the end, also when interrupted (unrun videos "pending").
    """
    jobs = check_jobs(list(jobs))
    outdir = Path(outdir).absolute()
    outdir.mkdir(parents=True, exist_ok=True)
    _remove_partials(outdir, jobs)
    done: dict[str, dict[str, Any]] = {}
    todo = []
    for job in jobs:
        if records.is_finished(outdir, job):
            done[job.output] = records.read_record(outdir, job.output)
        else:
            todo.append(job)
    log.info("%d of %d videos to run (%d already finished)", len(todo), len(jobs), len(jobs) - len(todo))
    bar = tqdm(total=len(todo), desc="videos", unit="video", disable=not progress or not todo)

    def finished(job: VideoJob, record: dict[str, Any]) -> None:
        done[job.output] = record
        bar.update()

    def lost(job: VideoJob, reason: str) -> None:
        record = records.failed_record(job, f"not finished: {reason}")
        records.write_record(outdir, record)
        finished(job, record)

    try:
        if ray is None:
            for job in todo:
                finished(job, run_job(job, outdir))
        elif todo:
            _run_on_ray(todo, outdir, ray, finished, lost)
    finally:
        bar.close()
        _remove_partials(outdir, jobs)
        write_report(outdir, [done.get(job.output) or records.new_record(job, "pending") for job in jobs])
    return [done[job.output] for job in jobs]


def _run_on_ray(todo: list[VideoJob], outdir: Path, options: RayOptions, finished, lost) -> None:
    asked = {job.options.get("device", "auto") for job in todo}
    device = "cuda" if any(d.startswith("cuda") for d in asked) else "cpu" if asked == {"cpu"} else "auto"
    run_on_cluster(options, device, BatchWorker, lambda worker, threads: (str(outdir), worker, threads), todo,
                   on_result=finished, on_lost=lost)


def _remove_partials(outdir: Path, jobs: list[VideoJob]) -> None:
    for job in jobs:
        for leftover in partial_files(outdir / job.output):
            log.info("removing %s, left by a worker that died", leftover)
            leftover.unlink(missing_ok=True)
    records.remove_partial_records(outdir)
