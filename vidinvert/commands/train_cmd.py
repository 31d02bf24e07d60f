"""`vidinvert train generator|encoder`: the trainers behind thin click commands."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.aliases import HiddenAliases


SCHEDULE_OPTIONS = (
    click.option("--sample-every", type=int, default=500, show_default=True, help="Write a sample grid every N steps."),
    click.option("--save-every", type=int, default=500, show_default=True, help="Save the checkpoint every N steps."),
    click.option("--save-minutes", type=float, default=5.0, show_default=True, help="... and at least this often."),
    click.option("--log-every", type=int, default=50, show_default=True),
)
DATA_OPTIONS = (
    click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Where aligned faces are cached (default: <output>/cache)."),
    click.option("--limit", type=int, help="Use only the first N photos (sorted by path)."),
    click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N."),
    click.option("--mixed-precision/--no-mixed-precision", default=True, show_default=True,
                 help="float16 autocast with loss scaling on CUDA (ignored on the CPU)."),
    click.option("--threads", type=int, default=0, help="CPU threads for torch (0: torch's default)."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
)


def _apply(options):
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


schedule_options = _apply(SCHEDULE_OPTIONS)
data_options = _apply(DATA_OPTIONS)


@click.group()
def train() -> None:
    """Train a StyleGAN2 generator or an inversion encoder on a folder of face photos."""


def _threads(threads: int) -> None:
    import torch

    if threads > 0:
        torch.set_num_threads(threads)


@train.command("generator")
@click.option("--data", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of face photos (directly or one sub-folder down); faces are aligned FFHQ-style.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: checkpoint.pt, samples/, metrics.jsonl. An existing run there is continued.")
@click.option("--size", type=int, default=64, show_default=True, help="Image side (power of two, 8-1024).")
@click.option("--max-channels", type=click.IntRange(min=1), default=512, show_default=True,
              help="Cap on the channels of every resolution (small values make CPU training feasible).")
@click.option("--channel-multiplier", type=int, default=2, show_default=True)
@click.option("--style-dim", type=int, default=512, show_default=True)
@click.option("--n-mlp", type=int, default=8, show_default=True, help="Mapping network depth.")
@click.option("--batch-size", "--batch", "batch_size", cls=HiddenAliases, aliases=("--batch",), type=int, default=16, show_default=True)
@click.option("--iterations", "--steps", "iterations", cls=HiddenAliases, aliases=("--steps",), type=int, default=10_000,
              show_default=True, help="Total iterations (counting earlier runs).")
@click.option("--lr", type=float, default=0.002, show_default=True)
@click.option("--r1", type=float, default=10.0, show_default=True, help="R1 weight (0: off). 10 is the FFHQ 1024 px setting; about 0.0002*size^2/batch suits small sizes.")
@click.option("--d-reg-every", type=int, default=16, show_default=True)
@click.option("--path-regularize", type=float, default=0.0, show_default=True,
              help="Path-length regularisation weight (2 in the official recipe; 0: off, cheaper on CPU).")
@click.option("--g-reg-every", type=int, default=4, show_default=True)
@click.option("--path-batch-shrink", type=int, default=2, show_default=True)
@click.option("--mixing", type=float, default=0.9, show_default=True, help="Style-mixing probability.")
@click.option("--ema-kimg", type=float, default=10.0, show_default=True, help="EMA half-life in thousands of images.")
@click.option("--ema-rampup", type=float, default=0.05, show_default=True,
              help="Early in a run the EMA half-life is at most this fraction of the images seen (0: off).")
@click.option("--augment", default="color,translation,cutout", show_default=True,
              help="DiffAugment policies (comma-separated) or 'none'.")
@click.option("--seed", type=int, default=0, show_default=True)
@schedule_options
@click.option("--n-sample", type=int, default=32, show_default=True, help="Images in a sample grid.")
@data_options
def generator(threads: int, quiet: bool, **options) -> None:
    """Train (or continue) a StyleGAN2 generator with non-saturating loss, lazy R1 and DiffAugment."""
    from vidinvert.train.generator import train_generator

    _threads(threads)
    options["data"] = str(options["data"])
    options["output"] = str(options["output"])
    options["cache_dir"] = str(options["cache_dir"] or Path(options["output"]) / "cache")
    path = train_generator(progress=not quiet, **options)
    click.echo(f"checkpoint: {path}", err=True)


@train.command("encoder")
@click.option("--generator", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The frozen StyleGAN2 generator (any rosinality-layout file, e.g. a generator run's checkpoint.pt).")
@click.option("--data", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of face photos (directly or one sub-folder down); aligned at the generator's size.")
@click.option("--test-data", type=click.Path(file_okay=False, path_type=Path),
              help="Held-out photos for the sample grids and PSNR (default: --data).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: checkpoint.pt, encoder.pt, samples/, metrics.jsonl. An existing run is continued.")
@click.option("--arch", type=click.Choice(["vidinvert", "BackboneEncoder", "ResNetBackboneEncoder",
                                           "ProgressiveBackboneEncoder", "ResNetProgressiveBackboneEncoder"]),
              default="vidinvert", show_default=True,
              help="Our FSE-residual encoder, or an official ReStyle encoder type (written in ReStyle's layout).")
@click.option("--feature-index", type=int, default=5, show_default=True,
              help="Styled conv whose output the feature tensor replaces (5: 16x16 as FSE; 3: 8x8).")
@click.option("--input-size", type=int, default=256, show_default=True, help="Encoder input side.")
@click.option("--backbone", type=click.Choice(["iresnet50", "iresnet18", "iresnet10-quarter"]), default="iresnet50",
              show_default=True, help="Encoder backbone (smaller ones for CPU training).")
@click.option("--batch-size", "--batch", "batch_size", cls=HiddenAliases, aliases=("--batch",), type=int, default=8, show_default=True)
@click.option("--iterations", "--steps", "iterations", cls=HiddenAliases, aliases=("--steps",), type=int, default=10_000,
              show_default=True, help="Total batches (counting earlier runs).")
@click.option("--refine-steps", "--iters", "refine_steps", cls=HiddenAliases, aliases=("--iters",), type=int, default=3,
              show_default=True, help="Refinement steps per batch (ReStyle N).")
@click.option("--lr", type=float, default=1e-4, show_default=True)
@click.option("--real-fraction", type=float, default=0.5, show_default=True,
              help="Share of real faces in a batch; the rest are generator samples.")
@click.option("--warm-prob", type=float, default=0.3, show_default=True,
              help="Probability that a sequence starts from the inversion of a jittered copy of its image.")
@click.option("--warm-steps", type=int, default=1, show_default=True, help="Steps of that warm-start inversion.")
@click.option("--mse", type=float, default=1.0, show_default=True, help="Pixel MSE weight (generated images).")
@click.option("--w-mse", type=float, default=1.0, show_default=True, help="Latent MSE weight (generated images).")
@click.option("--multiscale", type=float, default=1.0, show_default=True,
              help="Multi-scale pixel + gradient loss weight (stands in for multi-scale LPIPS).")
@click.option("--feature", type=float, default=0.01, show_default=True, help="Feature reconstruction weight.")
@click.option("--identity", type=click.Path(dir_okay=False), help="Identity model file; without it no identity loss.")
@click.option("--identity-weight", type=float, default=0.1, show_default=True)
@click.option("--fixed-point", type=float, default=0.0, show_default=True,
              help="Weight of the fixed-point term: a step from an image's answer changes nothing, one from a "
                   "neighbouring frame's answer lands on it (0: off).")
@click.option("--fixed-point-steps", type=int, default=2, show_default=True,
              help="Steps of the neighbouring frame's inversion in the fixed-point term.")
@click.option("--init-encoder", type=click.Path(exists=True, dir_okay=False),
              help="Start from this encoder file's weights (fine-tuning) instead of random ones; not the "
                   "inversion starting point that `edit`/`invert --init-encoder` (encoder bootstrapping) gives.")
@click.option("--degrade", metavar="inpaint|sr4|sr8|gray",
              help="Train a restoration encoder: it sees faces degraded so (holes, 4x or 8x lower resolution, "
                   "grey), every loss compares with the clean face (docs/restoration.md).")
@click.option("--seed", type=int, default=0, show_default=True)
@schedule_options
@click.option("--n-sample", type=int, default=8, show_default=True, help="Held-out faces in a sample grid.")
@data_options
def encoder(threads: int, quiet: bool, **options) -> None:
    """Train (or continue) a vidinvert encoder for a frozen generator (ReStyle steps, FSE losses)."""
    from vidinvert.train.encoder import train_encoder

    _threads(threads)
    for key in ("generator", "data", "output", "test_data"):
        if options[key] is not None:
            options[key] = str(options[key])
    options["cache_dir"] = str(options["cache_dir"] or Path(options["output"]) / "cache")
    path = train_encoder(progress=not quiet, **options)
    click.echo(f"encoder: {path}", err=True)
