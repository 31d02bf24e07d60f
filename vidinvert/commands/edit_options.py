"""The editing options shared by commands that edit (`vidinvert edit`): one definition, same names as
the fields of `vidinvert.config.EditConfig`."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import apply_options
from vidinvert.config import INTERPOLATIONS, default
from vidinvert.edit.direction_formats import FORMATS

SMOOTH_HELP = ("none | gaussian:SIGMA | ema:ALPHA | one-euro:MIN_CUTOFF[:beta=B]; three comma-separated values "
               "set coarse (0-3), middle (4-7) and fine (8+) layers apart")

EDIT_OPTIONS = (
    click.option("--attr", multiple=True, metavar="NAME[=STRENGTH]",
                 help="Named direction and strength, e.g. smile=1.5 or smile=0s:0,1s:1.5 (repeatable)."),
    click.option("--direction", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Direction file of any known format (repeatable)."),
    click.option("--strength", metavar="VALUE|KEYS|FILE",
                 help="Strength of --direction edits and of --attr NAME without one: a number, keyframes "
                      "such as 0s:0,1s:1.5,4s:1.5,5s:0 (s, ms or frame numbers), or a .json/.csv file."),
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


edit_options = apply_options(EDIT_OPTIONS)
