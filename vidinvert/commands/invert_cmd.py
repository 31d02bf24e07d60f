"""`vidinvert invert IN -o OUT`: reconstruct the face through the models, to judge fidelity."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import check_output, report, run_options
from vidinvert.config import default


@click.command("invert")
@click.argument("input", type=click.Path(path_type=Path))
@run_options
@click.option("--smooth-latents", default=default("smooth_latents"), show_default=True,
              help="Temporal filter for W+ latents (none | gaussian:SIGMA | ema:ALPHA | one-euro:MIN_CUTOFF).")
@click.option("--smooth-features", default=default("smooth_features"), show_default=True, help="Temporal filter for the feature tensor.")
def invert(input: Path, output: Path, **options) -> None:
    """Replace the face in INPUT by its reconstruction (no edit) and write --output."""
    check_output(input, output, options["overwrite"])
    from vidinvert.api import invert_video

    summary = invert_video(input, output, **options)
    if not options["quiet"]:
        report(summary)
