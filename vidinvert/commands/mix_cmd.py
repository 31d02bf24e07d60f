"""`vidinvert mix CONTENT STYLE -o OUT`: the content's face with the style face's later latent layers."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.edit_options import render_options, video_smoothing_options
from vidinvert.commands.run_options import apply_options, check_output, report, run_options
from vidinvert.config import FEATURE_SOURCES


@click.command("mix")
@click.argument("content", type=click.Path(path_type=Path))
@click.argument("style", type=click.Path(path_type=Path))
@click.option("--layers", metavar="A-B",
              help="W+ layers taken from STYLE, e.g. 7-17 or 4,6-9. Default: E2Style's split (the last 11 of 18 "
                   "layers) scaled to the generator: 4-9 of the bundled model's 10.")
@click.option("--feature-from", type=click.Choice(FEATURE_SOURCES),
              help="Whose feature tensor is rendered (encoders with one: FeatureStyleEncoder, the bundled "
                   "encoder; an error with others). It carries pose and face shape. Default: content.")
@click.option("--crop", is_flag=True,
              help="Photo CONTENT: write the generated mixed face at the aligned crop instead of the photo.")
@apply_options(video_smoothing_options("CONTENT"))
@render_options
@run_options
def mix(content: Path, style: Path, output: Path, layers: str | None, feature_from: str | None, crop: bool,
        **options) -> None:
    """Give the face in CONTENT (a photo or a video) the style of the face in the photo STYLE.

    Both faces are aligned and inverted; the content's W+ latents get STYLE's later layers (colour,
    texture, make-up) and keep their own earlier ones (pose, shape), and the result reaches CONTENT
    as an edit does (--render). A photo CONTENT gives a picture (-o out.png), a video one a video
    with every frame's face mixed (docs/mixing.md).
    """
    from vidinvert.pipeline.photos import is_photo

    if is_photo(content):
        from vidinvert.api import mix_images
        from vidinvert.images import check_picture_target

        check_picture_target(output, options["overwrite"], overwrite_hint="--overwrite")

        written = mix_images(content, style, output, layers=layers, feature_from=feature_from, crop=crop, **options)
        if not options["quiet"]:
            click.echo(f"wrote {written}", err=True)
        return
    if crop:
        raise click.UsageError("--crop applies to a photo CONTENT")
    check_output(content, output, options["overwrite"])
    from vidinvert.api import mix_video

    summary = mix_video(content, style, output, layers=layers, feature_from=feature_from, **options)
    if not options["quiet"]:
        report(summary)
