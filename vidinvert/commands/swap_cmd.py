"""`vidinvert swap SOURCE_PHOTO TARGET -o OUT`: the target's face given the source photo's eyes, nose
and mouth, blended by the generator (E2Style's semantic face swap)."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.edit_options import video_smoothing_options
from vidinvert.commands.run_options import apply_options, check_output, report, run_options
from vidinvert.config import RENDER_MODES


@click.command("swap")
@click.argument("source", metavar="SOURCE_PHOTO", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--region-scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Size of the pasted region (eyes, nose, mouth) as a multiple of the default ellipse.")
@click.option("--colour-match/--no-colour-match", default=True, show_default=True,
              help="Match the source region's colours to the target's skin before pasting.")
@click.option("--render", type=click.Choice(RENDER_MODES), default="generated", show_default=True,
              help="How the swapped face reaches TARGET: only generated (paste the generated face) shows a new "
                   "face; warp and delta are refused (docs/swapping.md).")
@apply_options(video_smoothing_options("TARGET"))
@run_options
def swap(source: Path, target: Path, output: Path, region_scale: float, colour_match: bool, **options) -> None:
    """Swap the face in TARGET (a photo or a video) for the face in the photo SOURCE_PHOTO.

    SOURCE_PHOTO's central face region is pasted onto TARGET's aligned face crop, the pasted crop
    is inverted, the generator renders it as one face (blending the seams) and that face is
    composited into TARGET under the face mask. A photo TARGET gives a picture (-o out.png or
    .jpg), a video one a video. Every output is tagged as face-swapped (docs/swapping.md). For
    research and consented material only.
    """
    from vidinvert.pipeline.photos import is_photo

    if is_photo(target):
        from vidinvert.api import swap_image
        from vidinvert.images import check_picture_target

        check_picture_target(output, options["overwrite"], overwrite_hint="--overwrite", comment=True)
        written = swap_image(source, target, output, region_scale=region_scale, colour=colour_match, **options)
        if not options["quiet"]:
            click.echo(f"wrote {written}", err=True)
        return
    check_output(target, output, options["overwrite"])
    from vidinvert.api import swap_video

    summary = swap_video(source, target, output, region_scale=region_scale, colour=colour_match, **options)
    if not options["quiet"]:
        report(summary)
