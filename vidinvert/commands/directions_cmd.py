"""`vidinvert directions`: list named directions, find new ones (SeFa) or fit them (face-mesh scores)."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.face.mesh_indices import ATTRIBUTES
from vidinvert.config import default
from vidinvert.demo.paths import DIRECTIONS_DIR

GENERATOR_HELP = ("Generator file, or a file name in the weights store; default: the generator `vidinvert edit` "
                  "uses (the weights store's, else the bundled demo model).")
DEVICE_OPTION = click.option("--device", default=default("device"), show_default=True, help="auto, cpu, cuda or cuda:N.")


@click.group()
def directions() -> None:
    """List, find and fit attribute directions."""


@directions.command("list")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Extra weights folder.")
@click.option("--directions-dir", type=click.Path(file_okay=False, path_type=Path), help="User directions folder.")
def list_cmd(weights_dir: Path | None, directions_dir: Path | None) -> None:
    """Show the direction names --attr accepts and the folders searched (the bundled demo model's
    directions apply to that model only)."""
    from vidinvert.config import MOTION_EXPRESSIONS
    from vidinvert.edit.registry import available_directions, direction_search_dirs, directions_in

    found = available_directions(weights_dir, directions_dir)
    for name, path in sorted(found.items()):
        click.echo(f"{name}\t{path}")
    for name, path in sorted(directions_in(DIRECTIONS_DIR).items()):
        click.echo(f"{name}\t{path}\t(bundled demo model only)")
    for name in MOTION_EXPRESSIONS:
        where = "a file of that name above is used instead" if name in found else "any generator"
        click.echo(f"{name}\tsolved from its motion at the clip's first face\t({where}; motion:{name} always solves)")
    click.echo("searched: " + ", ".join(str(d) for d in direction_search_dirs(weights_dir, directions_dir)), err=True)


@directions.command("sefa")
@click.option("--generator", help=GENERATOR_HELP)
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=Path("sefa"),
              show_default=True, help="Folder for sefa_NN.npz, eigenvalues.json and contact_sheet.png.")
@click.option("--layers", help="Latent layers to factorise, e.g. 0-1 (pose), 2-5, 6-13; default all.")
@click.option("--num", default=10, show_default=True, help="Number of directions to keep.")
@click.option("--include-torgb", is_flag=True, help="Also factorise the ToRGB modulation weights.")
@click.option("--strengths", default="-6,-3,0,3,6", show_default=True, help="Contact sheet columns.")
@click.option("--seed", default=0, show_default=True, help="Seed of the face shown in the contact sheet.")
@click.option("--truncation", default=0.7, show_default=True, help="Truncation of that face.")
@click.option("--tile", default=128, show_default=True, help="Contact sheet tile size in pixels.")
@click.option("--sheet/--no-sheet", default=True, show_default=True, help="Render the contact sheet.")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Extra weights folder.")
@DEVICE_OPTION
def sefa_cmd(**options) -> None:
    """Closed-form (SeFa) directions of a generator, sorted by eigenvalue."""
    from vidinvert.discover.sefa import sefa_directions

    result = sefa_directions(**options)
    for i, value in enumerate(result.eigenvalues):
        click.echo(f"sefa_{i:02d}\teigenvalue {float(value):.4f}")


@directions.command("fit")
@click.option("--generator", help=GENERATOR_HELP)
@click.option("--attribute", type=click.Choice(list(ATTRIBUTES)),
              default="smile", show_default=True, help="Face-mesh score to fit.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Direction file (.npz); a .json report and a .png contact sheet are written beside it.")
@click.option("--samples", default=2000, show_default=True, help="Number of sampled faces.")
@click.option("--batch-size", default=16, show_default=True)
@click.option("--quantile", default=0.3, show_default=True, help="Top/bottom fraction used as the two classes.")
@click.option("--held-out", default=0.2, show_default=True, help="Fraction kept aside to measure accuracy.")
@click.option("--condition", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Direction file to project out (repeatable).")
@click.option("--layers", help="Latent layers the direction applies to (default all).")
@click.option("--truncation", default=1.0, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--strengths", default="-3,-1.5,0,1.5,3", show_default=True, help="Contact sheet columns.")
@click.option("--sheet/--no-sheet", default=True, show_default=True, help="Render the contact sheet.")
@click.option("--std-scale", type=float,
              help="Make strength 1 move w by this many standard deviations of the samples along the "
                   "direction (default: strength 1 = a unit step).")
@click.option("--default-strength", type=float, default=1.0, show_default=True,
              help="Strength of an edit along the direction that names none (--attr NAME), stored in the file.")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), help="Extra weights folder.")
@DEVICE_OPTION
def fit_cmd(**options) -> None:
    """Fit a direction in W from face-mesh scores of sampled faces (InterFaceGAN style)."""
    from vidinvert.discover.fit import fit_direction

    result = fit_direction(**options)
    click.echo(f"{options['attribute']}: held-out accuracy {result.accuracy:.3f} "
               f"(train {result.train_accuracy:.3f}; {result.n_scored} of {options['samples']} faces scored)")


@directions.command("fit-real")
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of real face photos (directly or one sub-folder down), e.g. celeba/train.")
@click.option("--attribute", "attributes", multiple=True, required=True, type=click.Choice(list(ATTRIBUTES)),
              help="Face-mesh score to fit (repeatable: one direction each).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for <attribute>.npz and its .json report.")
@click.option("--generator", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Generator file (default: the bundled demo model's).")
@click.option("--encoder", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Encoder file that inverts into it (default: the bundled demo model's).")
@click.option("--layers", help="Latent layers the direction applies to (default all).")
@click.option("--std-scale", type=float,
              help="Make strength 1 move the inversions by this many standard deviations along the direction "
                   "(default: strength 1 = a unit step).")
@click.option("--default-strength", type=float, default=1.0, show_default=True,
              help="Strength of an edit along each direction that names none (--attr NAME), stored in the files.")
@click.option("--steps", default=5, show_default=True, help="Refinement steps of each inversion.")
@click.option("--quantile", default=0.3, show_default=True, help="Top/bottom fraction used as the two classes.")
@click.option("--held-out", default=0.2, show_default=True, help="Fraction kept aside to measure accuracy.")
@click.option("--test-data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Held-out real photos on which to check how each direction moves the face mesh.")
@click.option("--strengths", default="1,2", show_default=True, help="Strengths of that check.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), help="Cache of aligned faces.")
@click.option("--limit", type=int, help="Use only the first N photos of --data.")
@click.option("--seed", default=0, show_default=True)
@DEVICE_OPTION
def fit_real_cmd(strengths: str, **options) -> None:
    """Fit directions on the encoder's inversions of real photos, scored by the face mesh on the photos."""
    from vidinvert.discover.fit_real import fit_real_directions
    from vidinvert.discover.render import parse_strengths

    results = fit_real_directions(strengths=parse_strengths(strengths), **options)
    for attribute, result in results.items():
        click.echo(f"{attribute}: held-out accuracy {result.accuracy:.3f} "
                   f"(train {result.train_accuracy:.3f}; {result.n_scored} real faces scored)")
