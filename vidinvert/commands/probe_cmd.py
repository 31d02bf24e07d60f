"""`vidinvert probe IN`: streams, duration and the face track of a video; `--faces`: every face track."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vidinvert.commands.run_options import FACE_TRACK_OPTIONS, apply_options


@click.command("probe")
@click.argument("input", type=click.Path(path_type=Path))
@apply_options(FACE_TRACK_OPTIONS)
@click.option("--frames", metavar="START:END", help="Look at these frames only (END exclusive).")
@click.option("--faces", is_flag=True, help="List every face track (id, first and last frame, frames, median size).")
@click.option("--faces-sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one labelled thumbnail per face track to this image (implies --faces).")
@click.option("--json", "as_json", is_flag=True, help="With --faces: print the tracks as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def probe(input: Path, frames: str | None, faces: bool, faces_sheet: Path | None, as_json: bool, quiet: bool,
          **track) -> None:
    """Show INPUT's streams, duration, frames with a face and the face track; with --faces, every
    face track of the clip (the ids `edit --track` takes)."""
    from vidinvert.api import probe_faces, probe_video
    from vidinvert.config import TrackConfig
    from vidinvert.face.track_sheet import check_sheet_path, save_track_sheet

    config = TrackConfig(**track)
    if not (faces or faces_sheet):
        if as_json:
            raise click.UsageError("--json lists the face tracks: give it with --faces")
        for line in probe_video(input, config, frames=frames, quiet=quiet).lines():
            click.echo(line)
        return
    if faces_sheet is not None:
        check_sheet_path(faces_sheet)
    report = probe_faces(input, config, frames=frames, quiet=quiet or as_json)
    if faces_sheet is not None and report.tracks:
        save_track_sheet(report, faces_sheet)
    if as_json:
        click.echo(json.dumps({"tracks": [t.as_dict() for t in report.tracks]}))
        return
    for line in track_lines(report):
        click.echo(line)
    if faces_sheet is not None:
        click.echo(f"face tracks drawn in {faces_sheet}" if report.tracks else "no face track to draw")


def track_lines(tracks) -> list[str]:
    if not tracks.tracks:
        return ["face tracks: no face found"]
    how = "joined across cuts by identity" if tracks.identity else "not joined by identity (identity extra absent)"
    out = [f"face tracks: {len(tracks.tracks)} ({how})", "  id  first   last  frames  size"]
    out += [f"  {t.id:>2}  {t.first:>5}  {t.last:>5}  {t.frames:>6}  {t.size:>4.0f} px" for t in tracks.tracks]
    return out
