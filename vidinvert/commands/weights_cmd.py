"""`vidinvert weights`: every weights file the tool can use, where it was looked for, and its state."""

from __future__ import annotations

import click

from vidinvert.demo.paths import GENERATOR_FILE, demo_model_present
from vidinvert.weights import search_dirs, weights_status


@click.command("weights")
@click.option("--weights-dir", type=click.Path(file_okay=False), default=None,
              help="Folder searched first for weights files.")
def weights(weights_dir: str | None) -> None:
    """List the weights files vidinvert knows, where they were looked for, and whether they load."""
    click.echo("searched, in order: " + ", ".join(str(d) for d in search_dirs(weights_dir)))
    rows = weights_status(weights_dir)
    width = max(len(r.entry.name) for r in rows)
    for r in rows:
        where = ", ".join(str(f) for f in r.entry.folders(weights_dir))
        state = f"missing (looked in {where})" if r.path is None else f"{r.check} [{r.path}]"
        click.echo(f"{r.entry.name:<{width}}  {r.entry.kind:<10} {state}")
        click.echo(f"{'':<{width}}  {r.entry.purpose}; from {r.entry.source}")
    found = sum(r.path is not None for r in rows)
    click.echo(f"{found} of {len(rows)} found")
    if demo_model_present():
        click.echo(f"bundled demo model (used when no encoder is given or found): {GENERATOR_FILE.parent}")
    else:
        click.echo(f"bundled demo model: missing from {GENERATOR_FILE.parent}")
