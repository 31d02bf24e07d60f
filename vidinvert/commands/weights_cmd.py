"""`vidinvert weights`: every weights file the tool can use, where it was looked for, and its state;
`vidinvert weights convert`: a generator file (e.g. an NVIDIA network pickle) rewritten in the rosinality layout."""

from __future__ import annotations

import click

from vidinvert.demo.paths import GENERATOR_FILE, demo_direction_names, demo_model_present
from vidinvert.weights import search_dirs, weights_status


@click.group("weights", invoke_without_command=True)
@click.option("--weights-dir", type=click.Path(file_okay=False), default=None,
              help="Folder searched first for weights files.")
@click.pass_context
def weights(ctx: click.Context, weights_dir: str | None) -> None:
    """List the weights files vidinvert knows, where they were looked for, and whether they load."""
    if ctx.invoked_subcommand is not None:
        return
    click.echo("searched, in order: " + ", ".join(str(d) for d in search_dirs(weights_dir)))
    rows = weights_status(weights_dir)
    width = max(len(r.entry.name) for r in rows)
    for r in rows:
        where = ", ".join(str(f) for f in r.entry.folders(weights_dir))
        state = f"missing (looked in {where})" if r.path is None else f"{r.check} [{r.path}]"
        if r.path is None and r.entry.kind == "direction":
            state += "; for the full-size FFHQ generator, not the bundled demo model"
        click.echo(f"{r.entry.name:<{width}}  {r.entry.kind:<10} {state}")
        click.echo(f"{'':<{width}}  {r.entry.purpose}; from {r.entry.source}")
    found = sum(r.path is not None for r in rows)
    click.echo(f"{found} of {len(rows)} found")
    if demo_model_present():
        click.echo(f"bundled demo model (used when no encoder is given or found): {GENERATOR_FILE.parent}; "
                   f"its directions: {', '.join(demo_direction_names()) or 'none'} (vidinvert directions list)")
    else:
        click.echo(f"bundled demo model: missing from {GENERATOR_FILE.parent}")


@weights.command("convert")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
def convert(source: str, target: str) -> None:
    """Rewrite generator SOURCE (any readable layout, NVIDIA .pkl included) as TARGET in the rosinality layout."""
    from vidinvert.models import load_generator, save_generator

    G = load_generator(source)
    save_generator(G, target)
    click.echo(f"{target}: {G.size} px generator, {G.n_latent} latents"
               + (f", conv_clamp {G.conv_clamp:g}" if G.conv_clamp is not None else ""))
