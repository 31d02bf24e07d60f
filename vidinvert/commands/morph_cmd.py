"""`vidinvert morph A B -o OUT.mp4 --frames N`: a video of generated faces going from A's face to B's."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import (ENCODE_OPTIONS, FACE_TRACK_OPTIONS, INVERT_OPTIONS, MODEL_OPTIONS,
                                            OVERWRITE_OPTION, QUIET_OPTION, apply_options)
from vidinvert.config import EASES, default


@click.command("morph")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output video (written beside, renamed when complete).")
@click.option("--frames", type=click.IntRange(min=2), default=25, show_default=True,
              help="Frames of the morph, A's face first and B's last.")
@click.option("--ease", type=click.Choice(EASES), default="linear", show_default=True,
              help="How the blend moves: evenly, or smooth (slow at both ends).")
@click.option("--fps", type=click.IntRange(min=1), default=25, show_default=True, help="Frame rate of the video.")
@click.option("--size", type=click.IntRange(min=16), help="Side of the frames in pixels (even; default: the generator's).")
@click.option("--batch-size", type=click.IntRange(min=1), default=default("batch_size"), show_default=True,
              help="Faces rendered per generator call.")
@apply_options((*MODEL_OPTIONS, *INVERT_OPTIONS, *FACE_TRACK_OPTIONS, *ENCODE_OPTIONS, OVERWRITE_OPTION, QUIET_OPTION))
def morph(a: Path, b: Path, output: Path, frames: int, ease: str, fps: int, size: int | None, **options) -> None:
    """Morph the face in photo A into the face in photo B: both are aligned and inverted, and every
    frame is the generator's face for a blend of the two inversions (W+ latents, feature tensor and
    generator weight residuals, whichever the encoder gives; docs/mixing.md)."""
    from vidinvert.api import morph_images
    from vidinvert.video.outputs import check_output_path

    check_output_path(None, output, options["overwrite"], overwrite_hint="--overwrite")

    written = morph_images(a, b, output, frames=frames, ease=ease, fps=fps, size=size, **options)
    if not options["quiet"]:
        click.echo(f"wrote {written}: {frames} frames at {fps} fps", err=True)
