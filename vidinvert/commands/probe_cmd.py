"""`vidinvert probe IN`: streams, duration and the face track of a video."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import FACE_TRACK_OPTIONS, apply_options


@click.command("probe")
@click.argument("input", type=click.Path(path_type=Path))
@apply_options(FACE_TRACK_OPTIONS)
@click.option("--frames", metavar="START:END", help="Look at these frames only (END exclusive).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def probe(input: Path, frames: str | None, quiet: bool, **track) -> None:
    """Show INPUT's streams, duration, frames with a face and the face track."""
    from vidinvert.api import probe_video
    from vidinvert.config import TrackConfig

    for line in probe_video(input, TrackConfig(**track), frames=frames, quiet=quiet).lines():
        click.echo(line)
