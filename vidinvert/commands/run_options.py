"""Options shared by the commands that run the pipeline (`edit`, `invert`, `batch`, `eval`): one definition, the same
names as the fields of `vidinvert.config.RunConfig` and the keywords of `vidinvert.api.edit_video`,
with the defaults read from the config."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import click

from vidinvert.notices import NOTICE
from vidinvert.config import CODEC_NAMES, LANDMARK_BACKENDS, OCCLUDERS, PRECISIONS, X264_PRESETS, default


def quiet_notices(ctx: click.Context, param: click.Parameter, quiet: bool) -> bool:
    """`-q`: the notes shown on every run (which model is used) are left out too; warnings stay."""
    root = logging.getLogger()
    if quiet and root.level == NOTICE:
        root.setLevel(logging.WARNING)
    return quiet


OUTPUT_OPTION = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                             help="Output video (written beside, renamed when complete).")

MODEL_OPTIONS = (
    click.option("--generator", type=click.Path(dir_okay=False, path_type=Path),
                 help="StyleGAN2 generator file (rosinality layout); default: from the encoder or the weights store."),
    click.option("--encoder", type=click.Path(dir_okay=False, path_type=Path),
                 help="Encoder file (vidinvert, FeatureStyleEncoder, ReStyle pSp/e4e); default: the weights store."),
    click.option("--init-encoder", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
                 help="Encoder bootstrapping: at every cold start (a face's first frame, a cut, a restart) this "
                      "encoder's --init-steps inversion is where --encoder's --steps start; it must work with the "
                      "same generator. (Not the fine-tuning weights of `train encoder --init-encoder`.)"),
    click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Folder searched first for weights files."),
    click.option("--device", default=default("device"), show_default=True, help="auto, cpu, cuda or cuda:N."),
    click.option("--precision", type=click.Choice(PRECISIONS), default=default("precision"), show_default=True,
                 help="Arithmetic of the generator and encoders on CUDA (autocast); the CPU runs in fp32."),
)

INVERT_OPTIONS = (
    click.option("--steps", type=click.IntRange(min=1), default=default("steps"), show_default=True,
                 help="Refinement steps for the first frame and after a cold restart."),
    click.option("--next-steps", type=click.IntRange(min=0), default=default("next_steps"), show_default=True,
                 help="Refinement steps for each following frame, starting from the previous frame."),
    click.option("--warm-start/--no-warm-start", default=default("warm_start"), show_default=True,
                 help="Start each frame from the previous frame's latents."),
    click.option("--init-steps", type=click.IntRange(min=1), default=default("init_steps"), show_default=True,
                 help="With --init-encoder: its own steps at each cold start (a one-pass encoder runs once)."),
)

SMOOTH_OPTION = click.option(
    "--smooth", default=str(default("smooth")), show_default=True,
    help="Crop-track smoothing: Gaussian sigma in frames for the crop axes (the centre gets a third of it), 0 for "
         "none, or 'causal' (moving average, no look-ahead).")

#: Which face is followed and how it is found (`vidinvert.config.TrackConfig`; `probe` takes these too).
FACE_TRACK_OPTIONS = (
    click.option("--face", default=default("face"), show_default=True,
                 help="Which face to follow: size rank (0 = largest), left/right/top/bottom/center, or X,Y; "
                      "'all' edits every face, each on its own track (edit, invert, batch)."),
    click.option("--max-gap", type=click.IntRange(min=0), default=default("max_gap"), show_default=True,
                 help="Longest detection gap (frames) bridged by interpolation; longer gaps pass through."),
    click.option("--landmarks", type=click.Choice(LANDMARK_BACKENDS), default=default("landmarks"),
                 show_default=True, help="Landmark detector."),
)
TRACK_OPTIONS = (SMOOTH_OPTION, *FACE_TRACK_OPTIONS)

#: Choosing among several faces (`--face all`, `--track`, `--face-ref`; docs/faces.md).
SEVERAL_FACES_OPTIONS = (
    click.option("--track", type=click.IntRange(min=0), multiple=True,
                 help="Edit only this face track (repeatable; ids from `vidinvert probe IN --faces`)."),
    click.option("--face-ref", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
                 help="Edit only the tracks of the person in this photo (one face in it; repeatable; needs the "
                      "identity extra)."),
    click.option("--face-ref-threshold", type=click.FloatRange(min=0, min_open=True, max=2),
                 default=default("face_ref_threshold"), show_default=True,
                 help="Largest identity distance (dlib's 128-D embedding) of a track to a --face-ref photo."),
    click.option("--min-face", type=click.FloatRange(min=0), default=default("min_face"), show_default=True,
                 help="With several faces: tracks whose median face size (px) is smaller pass through untouched."),
)

RENDER_OPTIONS = (
    click.option("--batch-size", type=click.IntRange(min=1), default=default("batch_size"), show_default=True,
                 help="Faces rendered per generator call."),
    click.option("--mask-forehead", type=click.FloatRange(min=0), default=default("mask_forehead"), show_default=True,
                 help="How far the mask reaches above the eyes, as a fraction of the face size."),
    click.option("--mask-dilate", type=click.FloatRange(min=0), default=default("mask_dilate"), show_default=True,
                 help="Mask dilation (face fraction)."),
    click.option("--mask-feather", type=click.FloatRange(min=0), default=default("mask_feather"), show_default=True,
                 help="Mask feathering (face fraction)."),
    click.option("--seamless", is_flag=True, help="Poisson-blend the face into the frame (cv2.seamlessClone)."),
    click.option("--occluders", type=click.Choice(OCCLUDERS), default=default("occluders"), show_default=True,
                 help="What in front of a face the edit leaves exactly as it is: hands; auto: hands and held "
                      "objects, glasses frames, hair (the bundled occluder segmenter); none (docs/occluders.md)."),
)
#: The compositor's mattes: one handed in, the edit's handed back (docs/occluders.md).
MATTE_OPTIONS = (
    click.option("--holdout", metavar="MATTE", type=click.Path(path_type=Path),
                 help="Holdout matte the size of the input (an image, a video or an image sequence): white is "
                      "never changed, grey in proportion, black is free; frame i goes with frame i."),
    click.option("--matte-out", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
                 help="Also write the alpha every output frame was blended with: a lossless grey video (.mkv: 16-bit "
                      "FFV1; .mov/.mp4: 8-bit) or a 16-bit PNG sequence (matte.%04d.png)."),
)
SIDE_BY_SIDE_OPTION = click.option("--side-by-side", is_flag=True,
                                   help="Write the input and the result next to each other.")

ENCODE_OPTIONS = (
    click.option("--codec", type=click.Choice(sorted(CODEC_NAMES)), default=default("codec"), show_default=True,
                 help="Output video codec: prores, prores4444, dnxhr, ffv1 keep 10-16-bit sources; same: the "
                      "input's codec family. A sequence output (out.%04d.png/.tif/.exr/.dpx) is encoded by its "
                      "extension."),
    click.option("--crf", type=click.IntRange(0, 51), default=default("crf"), show_default=True, help="H.264 quality."),
    click.option("--preset", type=click.Choice(X264_PRESETS), default=default("preset"), show_default=True,
                 help="H.264 speed/size preset."),
)
OVERWRITE_OPTION = click.option("--overwrite", is_flag=True, help="Replace an existing output.")
QUIET_OPTION = click.option("-q", "--quiet", is_flag=True, callback=quiet_notices,
                            help="No progress bar, notes or summary.")
OUTPUT_OPTIONS = (
    click.option("--frames", metavar="START:END", help="Process only these frames (END exclusive); others are copied."),
    click.option("--fps", metavar="RATE", default=default("fps"),
                 help="Frame rate of an image-sequence input (24, 25, 24000/1001...; default 24, with a warning)."),
    *ENCODE_OPTIONS,
    OVERWRITE_OPTION,
    click.option("--save-latents", type=click.Path(dir_okay=False, path_type=Path),
                 help="Also write the per-frame latents (as inverted and as rendered) and crop quads to this .npz."),
    click.option("--require-face", is_flag=True, help="Fail when no face is found (default: copy with a warning)."),
    QUIET_OPTION,
)

EXECUTION_OPTIONS = (
    click.option("--serial", is_flag=True,
                 help="Run every stage on one thread (same output; for debugging and comparison)."),
    click.option("--threads", type=click.IntRange(min=0), default=default("threads"), show_default=True,
                 help="CPU threads for the models' arithmetic (0: all cores but one, leaving one to the "
                      "other stages)."),
)

#: Every option that shapes a frame's face (`edit` and `eval` alike); `edit_options` and
#: `render_options` (vidinvert.commands.edit_options) add the edit and how it reaches the frame.
FRAME_OPTIONS = (*MODEL_OPTIONS, *INVERT_OPTIONS, *TRACK_OPTIONS, *RENDER_OPTIONS, *EXECUTION_OPTIONS)
RUN_OPTIONS = (OUTPUT_OPTION, *MODEL_OPTIONS, *INVERT_OPTIONS, *TRACK_OPTIONS, *SEVERAL_FACES_OPTIONS,
               *RENDER_OPTIONS, *MATTE_OPTIONS, SIDE_BY_SIDE_OPTION, *OUTPUT_OPTIONS, *EXECUTION_OPTIONS)


def apply_options(options: tuple) -> Callable[[Callable], Callable]:
    """A decorator adding click options in the order given."""
    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


run_options = apply_options(RUN_OPTIONS)
frame_options = apply_options(FRAME_OPTIONS)


def check_output(input: Path, output: Path, overwrite: bool) -> None:
    """Refuse a bad input or output path before any model loads, in the command line's words."""
    from vidinvert.video.sources import check_source, check_target

    check_target(check_source(input), output, overwrite, overwrite_hint="--overwrite")


def report(summary) -> None:
    """The closing summary line on stderr."""
    click.echo(summary.line(), err=True)
