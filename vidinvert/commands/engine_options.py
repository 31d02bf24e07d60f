"""Where `batch` and `eval` run their videos: in this process or on a Ray cluster."""

from __future__ import annotations

from collections.abc import Callable

import click

from vidinvert.engines.ray_pool import ENGINES, RayOptions, check_reachable, import_ray

ENGINE_OPTIONS = (
    click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                 help="local: in this process; ray: one task per video on a Ray cluster (pip install "
                      "'vidinvert[ray]')."),
    click.option("--ray-address", metavar="ADDRESS",
                 help="Ray cluster to use (HOST:PORT of `ray start --head`, or auto); default: $RAY_ADDRESS or "
                      "a cluster `ray start` made on this machine, else Ray started here for the job."),
    click.option("--ray-workers", type=click.IntRange(min=1), default=None,
                 help="Ray workers (each loads the models once); default and most: as many as the cluster's "
                      "nodes hold at --gpus-per-video (or --cpus-per-video)."),
    click.option("--gpus-per-video", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                 help="GPUs a Ray worker asks for when CUDA is used (fractions share a GPU, e.g. 0.5)."),
    click.option("--cpus-per-video", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                 help="CPUs a Ray worker asks for without CUDA (also its torch threads)."),
    click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
                 help="Times a video is run again after its Ray worker died."),
)


def engine_options(command: Callable) -> Callable:
    """Decorate a click command with the engine options."""
    for option in reversed(ENGINE_OPTIONS):
        command = option(command)
    return command


def ray_options(options: dict) -> RayOptions | None:
    """Pop the engine options from a command's keywords: RayOptions for --engine ray (Ray installed
    and the address answering: checked before anything is written), else None."""
    engine = options.pop("engine")
    settings = RayOptions(address=options.pop("ray_address"), workers=options.pop("ray_workers"),
                          gpus_per_video=options.pop("gpus_per_video"), cpus_per_video=options.pop("cpus_per_video"),
                          retries=options.pop("retries"))
    if engine != "ray":
        return None
    import_ray()
    check_reachable(settings.address)
    return settings
