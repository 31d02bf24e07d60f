"""`vidinvert invert IN -o OUT`: reconstruct the face through the models, to judge fidelity."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import report, run_options


@click.command("invert")
@click.argument("input", type=click.Path(path_type=Path))
@run_options
@click.option("--smooth-latents", default="none", show_default=True,
              help="Temporal filter for W+ latents (none | gaussian:SIGMA | ema:ALPHA | one-euro:MIN_CUTOFF).")
@click.option("--smooth-features", default="none", show_default=True, help="Temporal filter for the feature tensor.")
def invert(input: Path, output: Path, quiet: bool, **options) -> None:
    """Replace the face in INPUT by its reconstruction (no edit) and write --output."""
    from vidinvert.api import invert_video

    summary = invert_video(input, output, quiet=quiet, **options)
    if not quiet:
        report(summary)
