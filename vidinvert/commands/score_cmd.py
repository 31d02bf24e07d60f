"""`vidinvert score INPUT OUTPUT`: face quality of an edited video against its input."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("score")
@click.argument("input", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the summary and every frame's measurements to this JSON file.")
@click.option("--frames", metavar="START:END", help="Score only these frames.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def score(input: Path, output: Path, json_path: Path | None, frames: str | None, quiet: bool) -> None:
    """Measure OUTPUT (an edit of INPUT) on the frames where INPUT has a face: PSNR and sharpness of
    the face, expression scores, temporal warp error and rigid-landmark motion (see docs/scoring.md)."""
    from vidinvert.eval.face_score import score_videos

    for line in score_videos(input, output, frames=frames, json_path=json_path, quiet=quiet).lines():
        click.echo(line)
