"""`vidinvert probe IN`: streams, duration and the face track of a video."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("probe")
@click.argument("input", type=click.Path(path_type=Path))
@click.option("--face", default="0", show_default=True, help="Which face to follow (as in edit).")
@click.option("--max-gap", type=click.IntRange(min=0), default=5, show_default=True,
              help="Longest detection gap bridged by interpolation.")
@click.option("--landmarks", type=click.Choice(["mediapipe", "face-alignment"]), default="mediapipe",
              show_default=True)
@click.option("--frames", metavar="START:END", help="Look at these frames only.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def probe(input: Path, **options) -> None:
    """Show INPUT's streams, duration, frames with a face and the face track."""
    from vidinvert.api import probe_video

    for line in probe_video(input, **options).lines():
        click.echo(line)
