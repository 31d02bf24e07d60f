"""`vidinvert hide SECRET CARRIER -o STEGO.png` and `vidinvert reveal STEGO.png -o SECRET.png`: a face's
latent code hidden in a photo's least significant bits and drawn back by the generator."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.run_options import (FACE_TRACK_OPTIONS, INVERT_OPTIONS, MODEL_OPTIONS, OVERWRITE_OPTION,
                                            QUIET_OPTION, apply_options)

KEY_OPTION = click.option("--key", metavar="K",
                          help="Passphrase: the code is encrypted with AES-256-GCM under a key scrypt derives from it. "
                               "Without one it is hidden in clear with a SHA-256 check.")


@click.command("hide")
@click.argument("secret", type=click.Path(path_type=Path))
@click.argument("carrier", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Stego picture: always PNG (lossless), the carrier's size.")
@KEY_OPTION
@click.option("--feature/--no-feature", default=True, show_default=True,
              help="Store the encoder's feature tensor with the W+ latents (encoders with one): a truer face, "
                   "more bits. --no-feature hides W+ alone.")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the face the hidden code draws, the picture reveal gives back.")
@apply_options((*MODEL_OPTIONS, *INVERT_OPTIONS, *FACE_TRACK_OPTIONS, OVERWRITE_OPTION, QUIET_OPTION))
def hide(secret: Path, carrier: Path, output: Path, key: str | None, feature: bool, preview: Path | None,
         **options) -> None:
    """Hide the face in photo SECRET inside photo CARRIER (E2Style's secure deep hiding).

    The face is aligned and inverted; its latent code (float16) goes, behind a header with the
    generator's fingerprint and an integrity check, into the least significant bits of CARRIER.
    Only the same generator draws it back (vidinvert reveal). The hidden bits do not survive
    re-encoding, resizing or JPEG (docs/hiding.md).
    """
    from vidinvert.api import hide_image

    hidden = hide_image(secret, carrier, output, key=key, feature=feature, preview=preview, **options)
    if not options["quiet"]:
        click.echo(hidden.line(), err=True)


@click.command("reveal")
@click.argument("stego", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The revealed face (a picture at the generator's size; PNG keeps it exact).")
@KEY_OPTION
@apply_options((*MODEL_OPTIONS, OVERWRITE_OPTION, QUIET_OPTION))
def reveal(stego: Path, output: Path, key: str | None, **options) -> None:
    """Draw the face hidden in STEGO by vidinvert hide: the generator's render of the stored code."""
    from vidinvert.api import reveal_image

    written = reveal_image(stego, output, key=key, **options)
    if not options["quiet"]:
        click.echo(f"wrote {written}", err=True)
