"""`vidinvert edit IN --attr NAME -o OUT`: edit the face in a video."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.edit_options import edit_options
from vidinvert.commands.run_options import check_output, report, run_options
from vidinvert.config import RENDER_MODES, default


@click.command("edit")
@click.argument("input", type=click.Path(path_type=Path))
@edit_options
@click.option("--render", type=click.Choice(RENDER_MODES), default=default("render"), show_default=True,
              help="warp: move the real face as the generator's face changes; delta: add the generator's "
                   "colour change to the real face; generated: paste the generated face (docs/rendering.md).")
@click.option("--smooth-change", default=default("smooth_change"), show_default=True,
              help="Temporal filter of the warp/delta change (none | gaussian:SIGMA | ema:ALPHA | one-euro:CUTOFF).")
@click.option("--change-from", default=default("change_from"), show_default=True,
              help="warp/delta: the latents the generator's change is drawn from: inversion (W+ and feature "
                   "tensor as inverted) | latents[:PSI] (W+ alone, pulled towards the average latent by PSI).")
@run_options
def edit(input: Path, output: Path, **options) -> None:
    """Edit the face in INPUT along attribute directions and write the result to --output.

    Same frames, timestamps and audio; only the face region changes.
    """
    check_output(input, output, options["overwrite"])
    from vidinvert.api import edit_video

    summary = edit_video(input, output, **options)
    if not options["quiet"]:
        report(summary)
