"""``vidinvert eval``: batch evaluation of a folder of videos (RAVDESS protocol), and shard merging."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.aliases import HiddenAliases, add_hidden_alias
from vidinvert.commands.edit_options import edit_options, render_options
from vidinvert.commands.engine_options import engine_options, ray_options
from vidinvert.commands.run_options import frame_options, quiet_notices
from vidinvert.engines.local import LocalEngine
from vidinvert.errors import VidinvertError
from vidinvert.eval.evaluation import MetricOptions, VideoSelection
from vidinvert.eval.ravdess import CHANNELS, EMOTIONS, INTENSITIES, MODALITIES
from vidinvert.eval.videos import LAYOUTS

SELECTION, METRICS = VideoSelection(), MetricOptions()


def _choices(table: dict[int, str]) -> str:
    return ", ".join(f"{name} ({code:02d})" for code, name in table.items())


@click.command("eval")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "report_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Report folder (per_video.csv, per_frame/, summary.json, summary.md, plots/).")
@click.option("--merge", "merge_shards", is_flag=True, help="FOLDERS are shard report folders: combine them into -o.")
@click.option("--layout", type=click.Choice(LAYOUTS), default=SELECTION.layout, show_default=True,
              help="RAVDESS names (Actor_XX/MM-VV-EE-II-SS-RR-AA.mp4) or any folder of videos.")
@click.option("--modality", multiple=True, help=f"RAVDESS modality: {_choices(MODALITIES)}; audio-only never runs.")
@click.option("--channel", multiple=True, help=f"RAVDESS vocal channel: {_choices(CHANNELS)}.")
@click.option("--emotion", multiple=True, help=f"RAVDESS emotion: {_choices(EMOTIONS)}.")
@click.option("--intensity", multiple=True, help=f"RAVDESS intensity: {_choices(INTENSITIES)}.")
@click.option("--actor", multiple=True, help="RAVDESS actor number (1-24); repeat for several.")
@click.option("--num-videos", type=click.IntRange(min=1), default=SELECTION.num_videos,
              help="Random sample of N videos (the paper: 120).")
@click.option("--seed", type=int, default=SELECTION.seed, show_default=True, help="Seed of the random sample.")
@click.option("--max-frames", type=click.IntRange(min=1), default=SELECTION.max_frames,
              help="Evaluate the first M frames (the paper: 120).")
@click.option("--shard", default=SELECTION.shard, metavar="i/n", help="Evaluate shard i of n (0-based) of the sampled list.")
@click.option("--face-scores/--no-face-scores", default=METRICS.face_scores, show_default=True,
              help="Also score each video's output frames against its input frames as `vidinvert score` does "
                   "(face-oval PSNR, sharpness, expressions, warp error, displacement; docs/scoring.md). "
                   "Costs two face-mesh passes and an optical flow per frame.")
@click.option("--identity-weights", type=click.Path(dir_okay=False), default=METRICS.identity_weights,
              help="IR-SE50 / CurricularFace weights for ID, TL-ID, TG-ID (else searched in the weights store; "
                   "without any, dlib's embedding measures TL-ID and TG-ID when the identity extra is installed).")
@click.option("--lpips/--no-lpips", default=METRICS.lpips, show_default=True,
              help="Measure LPIPS when its weights are present.")
@click.option("--metric-batch-size", type=click.IntRange(min=1), default=METRICS.metric_batch_size,
              show_default=True, help="Frames per metric batch.")
@click.option("--plots/--no-plots", default=METRICS.plots, show_default=True,
              help="Write PNG plots (shards can skip them).")
@edit_options
@render_options
@frame_options
@click.option("--workers", type=click.IntRange(min=1), default=LocalEngine.workers, show_default=True,
              help="Videos processed in parallel (local engine).")
@click.option("-q", "--quiet/--progress", "--no-progress/ ", "quiet", cls=HiddenAliases, aliases=("--progress", "--no-progress"),
              default=False, callback=quiet_notices, help="No progress bar or notes.")
@engine_options
def eval_command(folders: tuple[Path, ...], report_dir: Path, merge_shards: bool, quiet: bool, workers: int,
                 **options: object) -> None:
    """Evaluate inversion (or an edit) on the videos under ROOT into a report folder, with the
    frames made as `vidinvert edit` makes them with the same options.

    \b
    vidinvert eval ROOT -o REPORT_DIR [--num-videos 120 --max-frames 120]
    vidinvert eval ROOT -o part0 --shard 0/4        (one per array job)
    vidinvert eval --merge part0 part1 part2 part3 -o REPORT_DIR
    vidinvert eval ROOT -o REPORT_DIR --engine ray [--ray-address HEAD:6379]
    """
    from vidinvert.device import check_device_name, resolve_device
    from vidinvert.eval.evaluation import split_options
    from vidinvert.eval.runner import evaluate_folder, merge

    ray = ray_options(options)
    if ray is None:
        resolve_device(options["device"])
    else:
        check_device_name(options["device"])  # the workers pick their own device
    if merge_shards:
        summary = merge(folders, report_dir, plots=options["plots"])
    else:
        if len(folders) != 1:
            raise VidinvertError("eval takes one ROOT folder (several folders only with --merge)")
        videos, metrics, config = split_options(dict(options, quiet=quiet))
        summary = evaluate_folder(folders[0], report_dir, config, videos, metrics, ray or LocalEngine(workers),
                                  progress=not quiet)
    videos = summary["videos"]
    click.echo(
        f"{videos['evaluated']} videos evaluated, {len(videos['failed'])} failed, {len(videos['pending'])} pending: "
        f"{report_dir / 'summary.md'}"
    )


add_hidden_alias(eval_command, "attr", "--edit")
