"""`vidinvert demo`: edit a talking face rendered by the bundled model, for trying vidinvert without a video."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("-o", "--output", default="demo.mp4", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The edited clip.")
@click.option("--attr", multiple=True, default=("smile",), show_default=True, metavar="NAME[=STRENGTH]",
              help="Named direction of the bundled model and strength (repeatable).")
@click.option("--source", type=click.Path(dir_okay=False, path_type=Path),
              help="Also keep the rendered clip here (default: a temporary file, removed afterwards).")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=4.0, show_default=True,
              help="Length of the clip.")
@click.option("--fps", type=click.IntRange(min=1), default=25, show_default=True, help="Frames per second.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which face the bundled model renders.")
@click.option("--side-by-side/--no-side-by-side", default=True, show_default=True,
              help="Write the rendered clip and the edit next to each other.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--overwrite", is_flag=True, help="Replace existing output (and --source) files.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def demo(quiet: bool, **options) -> None:
    """Render a short talking face with the bundled demo model (with a synthetic voice) and edit it.

    No video or weights needed: try `vidinvert demo` (or `--attr smile=3` for a stronger edit), then
    `vidinvert edit` on your own clips.
    """
    from vidinvert.commands.run_options import report
    from vidinvert.demo.run import run_demo

    summary = run_demo(quiet=quiet, **options)
    if not quiet:
        report(summary)
