"""`vidinvert restore IN -o OUT`: faces of a photo or video restored through a restoration encoder."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.edit_options import SMOOTH_HELP
from vidinvert.commands.run_options import check_output, report, run_options
from vidinvert.config import default


@click.command("restore")
@click.argument("input", type=click.Path(path_type=Path))
@run_options
@click.option("--smooth-latents", default=default("smooth_latents"), show_default=True,
              help="Video INPUT: temporal filter for W+ latents: " + SMOOTH_HELP)
@click.option("--smooth-features", default=default("smooth_features"), show_default=True,
              help="Video INPUT: temporal filter for the feature tensor (one value).")
def restore(input: Path, output: Path, **options) -> None:
    """Restore the low-resolution or damaged face in INPUT (a photo or a video) and write --output.

    The face is inverted by a restoration encoder (--encoder, one trained with `train encoder
    --degrade`; default: the bundled sr4 encoder, for faces about 16 px across) and the generated
    face replaces it inside the face mask; outside it the input's own pixels are kept. A photo
    gives a picture (-o out.png), a video a video (docs/restoration.md).
    """
    from vidinvert.pipeline.photos import is_photo

    if is_photo(input):
        from vidinvert.api import restore_image
        from vidinvert.images import check_picture_target

        check_picture_target(output, options["overwrite"], overwrite_hint="--overwrite")
        written = restore_image(input, output, **options)
        if not options["quiet"]:
            click.echo(f"wrote {written}", err=True)
        return
    check_output(input, output, options["overwrite"])
    from vidinvert.api import restore_video

    summary = restore_video(input, output, **options)
    if not options["quiet"]:
        report(summary)
