"""Options shared by the commands that run the pipeline (`edit`, `invert`): one definition, the same
names as the keywords of `vidinvert.api.edit_video`."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from vidinvert.video import CODECS, X264_PRESETS

RUN_OPTIONS = (
    click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                 help="Output video (written beside, renamed when complete)."),
    click.option("--generator", type=click.Path(dir_okay=False, path_type=Path),
                 help="StyleGAN2 generator file (rosinality layout); default: from the encoder or the weights store."),
    click.option("--encoder", type=click.Path(dir_okay=False, path_type=Path),
                 help="Encoder file (vidinvert, FeatureStyleEncoder, ReStyle pSp/e4e); default: the weights store."),
    click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Folder searched first for weights files."),
    click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N."),
    click.option("--steps", type=click.IntRange(min=1), default=5, show_default=True,
                 help="Refinement steps for the first frame and after a cold restart."),
    click.option("--next-steps", type=click.IntRange(min=0), default=2, show_default=True,
                 help="Refinement steps for each following frame, starting from the previous frame."),
    click.option("--warm-start/--no-warm-start", default=True, show_default=True,
                 help="Start each frame from the previous frame's latents."),
    click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True,
                 help="Faces rendered per generator call."),
    click.option("--smooth", default="3", show_default=True,
                 help="Crop-track smoothing: Gaussian sigma in frames for the crop axes (the centre gets a "
                      "third of it), 0 for none, or 'causal' (moving average, no look-ahead)."),
    click.option("--face", default="0", show_default=True,
                 help="Which face to follow: size rank (0 = largest), left/right/top/bottom/center, or X,Y."),
    click.option("--max-gap", type=click.IntRange(min=0), default=5, show_default=True,
                 help="Longest detection gap (frames) bridged by interpolation; longer gaps pass through."),
    click.option("--landmarks", type=click.Choice(["mediapipe", "face-alignment"]), default="mediapipe",
                 show_default=True, help="Landmark detector."),
    click.option("--frames", metavar="START:END", help="Process only these frames (END exclusive); others are copied."),
    click.option("--codec", type=click.Choice(sorted(CODECS)), default="h264", show_default=True,
                 help="Output video codec (lossless and prores for post-production)."),
    click.option("--crf", type=click.IntRange(0, 51), default=18, show_default=True, help="H.264 quality."),
    click.option("--preset", type=click.Choice(X264_PRESETS), default="medium", show_default=True,
                 help="H.264 speed/size preset."),
    click.option("--overwrite", is_flag=True, help="Replace an existing output."),
    click.option("--save-latents", type=click.Path(dir_okay=False, path_type=Path),
                 help="Also write the per-frame latents and crop quads to this .npz."),
    click.option("--require-face", is_flag=True, help="Fail when no face is found (default: copy with a warning)."),
    click.option("--mask-forehead", type=float, default=0.15, show_default=True,
                 help="How far the mask reaches above the eyes, as a fraction of the face size."),
    click.option("--mask-dilate", type=float, default=0.03, show_default=True, help="Mask dilation (face fraction)."),
    click.option("--mask-feather", type=float, default=0.04, show_default=True, help="Mask feathering (face fraction)."),
    click.option("--side-by-side", is_flag=True, help="Write the input and the result next to each other."),
    click.option("--seamless", is_flag=True, help="Poisson-blend the face into the frame (cv2.seamlessClone)."),
    click.option("--serial", is_flag=True,
                 help="Run every stage on one thread (same output; for debugging and comparison)."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary."),
)


def run_options(command: Callable) -> Callable:
    """Decorate a click command with the pipeline options."""
    for option in reversed(RUN_OPTIONS):
        command = option(command)
    return command


def report(summary) -> None:
    """The closing summary line on stderr."""
    click.echo(summary.line(), err=True)
