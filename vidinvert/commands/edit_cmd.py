"""`vidinvert edit IN --attr NAME -o OUT`: edit the face in a video."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from vidinvert.commands.edit_options import edit_options, render_options, spec_options
from vidinvert.commands.run_options import check_output, report, run_options

if TYPE_CHECKING:
    from vidinvert.edit.spec import EditSpec


@click.command("edit")
@click.argument("input", type=click.Path(path_type=Path))
@edit_options
@spec_options
@render_options
@run_options
def edit(input: Path, output: Path, spec: Path | None, **options) -> None:
    """Edit the face in INPUT along attribute directions and write the result to --output.

    Same frames, timestamps and audio; only the face region changes.
    """
    check_output(input, output, options["overwrite"])
    if spec is not None:
        options["spec"] = checked_spec(spec, options)
    from vidinvert.api import edit_video

    summary = edit_video(input, output, **options)
    if not options["quiet"]:
        report(summary)


def checked_spec(path: Path, options: dict) -> EditSpec:
    """The edit spec at `path`, its direction names checked against those the run's models and folders
    resolve, before any model loads."""
    from vidinvert.config import ModelConfig
    from vidinvert.edit.registry import known_direction_names
    from vidinvert.edit.spec import check_directions, load_spec
    from vidinvert.loading import configured_directions_dir

    spec = load_spec(path)
    models = ModelConfig(options["generator"], options["encoder"], options["weights_dir"])
    known = known_direction_names(options["weights_dir"], options["directions_dir"], configured_directions_dir(models))
    check_directions(spec, known)
    return spec
