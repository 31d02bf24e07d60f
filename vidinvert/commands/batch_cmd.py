"""`vidinvert batch SOURCE -o OUTDIR --attr NAME`: edit (or invert) many videos in one job."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from vidinvert.commands.batch_options import batch_parameters, video_options, video_parameters
from vidinvert.commands.engine_options import engine_options, ray_options
from vidinvert.errors import VidinvertError


@click.command("batch")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@video_options
@engine_options
def batch(source: Path, output: Path, quiet: bool, **options) -> None:
    """Edit the faces in every video of SOURCE (a folder, searched recursively, or a CSV / JSON-lines
    manifest) into the folder -o, with `edit`'s options (a manifest row's own options win).

    \b
    vidinvert batch clips/ -o out/ --attr smile
    vidinvert batch clips.csv -o out/ --engine ray --ray-address HEAD:6379

    Rerunning the same command skips finished videos. The exit status is 1 when any video failed;
    out/batch_report.csv says which and why.
    """
    from vidinvert.batch import folder_jobs, manifest_jobs, run_batch
    from vidinvert.batch.manifest import is_manifest
    from vidinvert.batch.report import REPORT_CSV

    ray = ray_options(options)
    if source.is_dir():
        jobs = folder_jobs(source, output, options)
    elif is_manifest(source):
        jobs = manifest_jobs(source, options, video_parameters())
    else:
        raise VidinvertError(f"{source} is neither a folder of videos nor a manifest (.csv, .jsonl)")
    done = run_batch(jobs, output, ray=ray, progress=not quiet)
    counts = Counter(record["status"] for record in done)
    if not quiet:
        click.echo(f"{len(done)} videos: {counts['ok']} ok, {counts['failed']} failed: {output / REPORT_CSV}",
                   err=True)
    if counts["failed"]:
        raise VidinvertError(f"{counts['failed']} of {len(done)} videos failed; see {output / REPORT_CSV}")


batch.params = batch_parameters(batch.params)
