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
@click.option("--no-identity", "identity", is_flag=True, flag_value=False, default=True,
              help="Skip the identity distance (dlib's embedding, about 0.1 s of CPU per face, twice a frame).")
@click.option("--matte", type=click.Path(path_type=Path),
              help="The edit's matte (`edit --matte-out`): also report the changed area of every frame.")
@click.option("--faces", is_flag=True,
              help="Score every face track of INPUT on its own (the ids `probe --faces` lists), one block each.")
@click.option("--track", "tracks", type=int, multiple=True, metavar="ID",
              help="Score only this face track of INPUT (repeatable; implies --faces).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def score(input: Path, output: Path, json_path: Path | None, frames: str | None, identity: bool,
          matte: Path | None, faces: bool, tracks: tuple[int, ...], quiet: bool) -> None:
    """Measure OUTPUT (an edit of INPUT) on the frames where INPUT has a face: PSNR and sharpness of
    the face, expression scores, temporal warp error, rigid-landmark motion and, with the identity
    extra installed, the identity distance between input and output faces; with --matte, the changed
    area; with --faces, each face track on its own (see docs/scoring.md)."""
    from vidinvert.eval.face_score import score_videos

    report = score_videos(input, output, frames=frames, json_path=json_path, quiet=quiet, identity=identity,
                          matte=matte, faces=faces, tracks=list(tracks))
    for line in report.lines():
        click.echo(line)
