"""The editing and rendering options shared by commands that edit (`vidinvert edit`, `vidinvert batch`):
one definition, same names as the fields of `vidinvert.config.EditConfig` and `RenderConfig`."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import apply_options
from vidinvert.demo.paths import demo_direction_names
from vidinvert.config import INTERPOLATIONS, MOTION_EXPRESSIONS, RENDER_MODES, default
from vidinvert.edit.change_source import ChangeSource
from vidinvert.edit.direction_formats import FORMATS
from vidinvert.errors import VidinvertError

SMOOTH_HELP = ("none | gaussian:SIGMA | ema:ALPHA | one-euro:MIN_CUTOFF[:beta=B]; three comma-separated values "
               "set coarse (0-3), middle (4-7) and fine (8+) layers apart")

EDIT_OPTIONS = (
    click.option("--attr", multiple=True, metavar="NAME[=STRENGTH]",
                 help="Named direction and strength, e.g. smile=1.5 or smile=0s:0,1s:1.5 (repeatable). "
                      f"{', '.join(MOTION_EXPRESSIONS)}: expressions defined by their motion, solved for any "
                      "generator at the clip's first face (motion:NAME even where a file has that name). "
                      f"The bundled demo model has: {', '.join(demo_direction_names()) or 'none'}; "
                      "`vidinvert directions list` shows every name there is."),
    click.option("--direction", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Direction file of any known format (repeatable)."),
    click.option("--strength", metavar="VALUE|KEYS|FILE",
                 help="Strength of --direction edits and of --attr NAME without one: a number, keyframes "
                      "such as 0s:0,1s:1.5,4s:1.5,5s:0 (s, ms or frame numbers), or a .json/.csv file. "
                      "Without it, each direction's own default (2 for the bundled smile_labels, 1 for files "
                      "that name none)."),
    click.option("--layers", help="Latent layers every edit applies to, e.g. 0-7 or 0,2,4-6."),
    click.option("--direction-format", type=click.Choice(sorted(FORMATS)), help="Format of --direction files."),
    click.option("--interpolation", type=click.Choice(INTERPOLATIONS), default=default("interpolation"), show_default=True,
                 help="Interpolation between strength keyframes."),
    click.option("--smooth-latents", default=default("smooth_latents"), show_default=True, help="Temporal filter for W+ latents: " + SMOOTH_HELP),
    click.option("--smooth-features", default=default("smooth_features"), show_default=True,
                 help="Temporal filter for the feature tensor (one value)."),
    click.option("--smooth-offset", default=default("smooth_offset"), show_default=True,
                 help="Temporal filter for the edit offset: " + SMOOTH_HELP),
    click.option("--directions-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="User folder of named directions."),
)


def video_smoothing_options(input_name: str) -> tuple:
    """`--smooth-latents` and `--smooth-features` of a command whose input `input_name` may be a
    photo or a video (they act on a video's frames)."""
    return (click.option("--smooth-latents", default=default("smooth_latents"), show_default=True,
                         help=f"Video {input_name}: temporal filter for W+ latents: " + SMOOTH_HELP),
            click.option("--smooth-features", default=default("smooth_features"), show_default=True,
                         help=f"Video {input_name}: temporal filter for the feature tensor (one value)."))


class ChangeSourceSpec(click.ParamType):
    """A `--change-from` value (`vidinvert.edit.change_source`), checked when the option is read."""

    name = "SOURCE"

    def convert(self, value, param, ctx):
        try:
            ChangeSource.parse(value)
        except VidinvertError as exc:
            self.fail(str(exc), param, ctx)
        return value


#: How the edit reaches the frame (`vidinvert.config.RenderConfig`): shared by `edit` and `batch`.
RENDER_OPTIONS = (
    click.option("--render", type=click.Choice(RENDER_MODES), default=default("render"), show_default=True,
                 help="warp: move the real face as the generator's face changes; delta: add the generator's "
                      "colour change to the real face; generated: paste the generated face (docs/rendering.md)."),
    click.option("--smooth-change", default=default("smooth_change"), show_default=True,
                 help="Temporal filter of the warp/delta change (none | gaussian:SIGMA | ema:ALPHA | one-euro:CUTOFF)."),
    click.option("--change-from", type=ChangeSourceSpec(), default=default("change_from"), show_default=True,
                 help="warp/delta: the latents the generator's change is drawn from: inversion (W+ and feature "
                      "tensor as inverted) | latents[:PSI] (W+ alone, pulled towards the average latent by PSI)."),
)


def print_spec_example(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """`--spec-example`: print the example and stop, before the input and -o are asked for."""
    if not value or ctx.resilient_parsing:
        return
    from vidinvert.edit.spec import spec_example

    click.echo(spec_example(), nl=False)
    ctx.exit(0)


#: The edit spec file (`vidinvert edit` only: one video's faces).
SPEC_OPTIONS = (
    click.option("--spec", type=click.Path(dir_okay=False, path_type=Path), metavar="EDIT.json",
                 help="Edit spec: per face (all, a track id, ref:PHOTO) its edits and render options; the options "
                      "given here are the defaults it overrides (docs/edit-spec.md)."),
    click.option("--spec-example", is_flag=True, is_eager=True, expose_value=False, callback=print_spec_example,
                 help="Print an example edit spec and exit."),
)

edit_options = apply_options(EDIT_OPTIONS)
render_options = apply_options(RENDER_OPTIONS)
spec_options = apply_options(SPEC_OPTIONS)
