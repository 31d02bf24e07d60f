"""The per-video options of `vidinvert batch`: `edit`'s options (one definition, `edit_options`,
`render_options` and `run_options`) plus --invert; -o names the output folder, and --save-latents (one file) is not taken."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from vidinvert.commands.edit_options import edit_options, render_options
from vidinvert.commands.run_options import run_options

INVERT_OPTION = click.option("--invert", is_flag=True,
                             help="Reconstruct the faces (as `vidinvert invert`) instead of editing them.")
OUTDIR_OPTION = click.Option(["-o", "--output"], required=True, type=click.Path(file_okay=False, path_type=Path),
                             help="Output folder: the videos (under their names relative to SOURCE, or the "
                                  "manifest's output column), batch_report.csv and .json, batch_records/.")
#: Options of `edit` that are not per video in a batch.
NOT_PER_VIDEO = ("output", "quiet", "save_latents", "matte_out")


def video_options(command: Callable) -> Callable:
    """Decorate a click command with `edit`'s options and --invert."""
    return run_options(render_options(edit_options(INVERT_OPTION(command))))


def batch_parameters(params: list[click.Parameter]) -> list[click.Parameter]:
    """`params` with -o as the output folder and without --save-latents and --matte-out (one file each)."""
    return [OUTDIR_OPTION if p.name == "output" else p for p in params if p.name not in ("save_latents", "matte_out")]


def video_parameters() -> dict[str, click.Parameter]:
    """The options a manifest row may set, by keyword name."""
    command = video_options(click.Command("row"))
    return {p.name: p for p in command.params if p.name not in NOT_PER_VIDEO}
