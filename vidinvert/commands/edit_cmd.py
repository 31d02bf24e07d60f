"""`vidinvert edit IN --attr NAME -o OUT`: edit the face in a video."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.edit_options import edit_options, render_options
from vidinvert.commands.run_options import check_output, report, run_options


@click.command("edit")
@click.argument("input", type=click.Path(path_type=Path))
@edit_options
@render_options
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
