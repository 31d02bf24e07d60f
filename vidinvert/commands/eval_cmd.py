"""``vidinvert eval``: batch evaluation of a folder of videos (RAVDESS protocol), and shard merging."""

from __future__ import annotations

from pathlib import Path

import click

from vidinvert.commands.aliases import HiddenAliases
from vidinvert.commands.edit_options import ChangeSourceSpec
from vidinvert.commands.run_options import quiet_notices
from vidinvert.commands.engine_options import engine_options, ray_options
from vidinvert.config import RENDER_MODES, default
from vidinvert.errors import VidinvertError
from vidinvert.eval.ravdess import CHANNELS, EMOTIONS, INTENSITIES, MODALITIES


def _choices(table: dict[int, str]) -> str:
    return ", ".join(f"{name} ({code:02d})" for code, name in table.items())


@click.command("eval")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "report_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Report folder (per_video.csv, per_frame/, summary.json, summary.md, plots/).")
@click.option("--merge", "merge_shards", is_flag=True, help="FOLDERS are shard report folders: combine them into -o.")
@click.option("--layout", type=click.Choice(["auto", "ravdess", "folder"]), default="auto", show_default=True,
              help="RAVDESS names (Actor_XX/MM-VV-EE-II-SS-RR-AA.mp4) or any folder of videos.")
@click.option("--modality", multiple=True, help=f"RAVDESS modality: {_choices(MODALITIES)}; audio-only never runs.")
@click.option("--channel", multiple=True, help=f"RAVDESS vocal channel: {_choices(CHANNELS)}.")
@click.option("--emotion", multiple=True, help=f"RAVDESS emotion: {_choices(EMOTIONS)}.")
@click.option("--intensity", multiple=True, help=f"RAVDESS intensity: {_choices(INTENSITIES)}.")
@click.option("--actor", multiple=True, help="RAVDESS actor number (1-24); repeat for several.")
@click.option("--num-videos", type=click.IntRange(min=1), default=None, help="Random sample of N videos (the paper: 120).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random sample.")
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Evaluate the first M frames (the paper: 120).")
@click.option("--generator", type=click.Path(dir_okay=False), default=None, help="Generator weights, as in `edit`.")
@click.option("--encoder", type=click.Path(dir_okay=False), default=None, help="Encoder weights, as in `edit`.")
@click.option("--steps", type=click.IntRange(min=1), default=default("steps"), show_default=True,
              help="Refinement steps for a face's first frame, as in `edit`.")
@click.option("--next-steps", type=click.IntRange(min=0), default=default("next_steps"), show_default=True,
              help="Refinement steps for each following frame (warm start), as in `edit`.")
@click.option("--warm-start/--no-warm-start", default=True, show_default=True, help="Start each frame from the previous one.")
@click.option("--attr", "--edit", "edit", cls=HiddenAliases, aliases=("--edit",), multiple=True, metavar="NAME[=STRENGTH]",
              help="Evaluate an edit (named direction and strength, as in `edit`) instead of inversion.")
@click.option("--render", type=click.Choice(RENDER_MODES), default=default("render"), show_default=True,
              help="How the edit reaches the frame, as in `edit` (docs/rendering.md); the face scores "
                   "measure the frames this mode makes.")
@click.option("--change-from", type=ChangeSourceSpec(), default=default("change_from"), show_default=True,
              help="warp/delta: the latents the generator's change is drawn from, as in `edit`.")
@click.option("--face-scores/--no-face-scores", default=True, show_default=True,
              help="Also score each video's output frames against its input frames as `vidinvert score` does "
                   "(face-oval PSNR, sharpness, expressions, warp error, displacement; docs/scoring.md). "
                   "Costs two face-mesh passes and an optical flow per frame.")
@click.option("--device", default=default("device"), show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Videos processed in parallel.")
@click.option("--shard", default=None, metavar="i/n", help="Evaluate shard i of n (0-based) of the sampled list.")
@click.option("--identity-weights", type=click.Path(dir_okay=False), default=None,
              help="IR-SE50 / CurricularFace weights for ID, TL-ID, TG-ID (else searched in the weights store).")
@click.option("--weights-dir", type=click.Path(file_okay=False), default=None,
              help="Folder searched first for weights (then $VIDINVERT_WEIGHTS and the user cache).")
@click.option("--lpips/--no-lpips", default=True, show_default=True, help="Measure LPIPS when its weights are present.")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True, help="Frames per metric batch.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write PNG plots (shards can skip them).")
@click.option("-q", "--quiet/--progress", "--no-progress/ ", "quiet", cls=HiddenAliases, aliases=("--progress", "--no-progress"),
              default=False, callback=quiet_notices, help="No progress bar or notes.")
@engine_options
def eval_command(folders: tuple[Path, ...], report_dir: Path, merge_shards: bool, quiet: bool, **options: object) -> None:
    """Evaluate inversion (or an edit) on the videos under ROOT into a report folder.

    \b
    vidinvert eval ROOT -o REPORT_DIR [--num-videos 120 --max-frames 120]
    vidinvert eval ROOT -o part0 --shard 0/4        (one per array job)
    vidinvert eval --merge part0 part1 part2 part3 -o REPORT_DIR
    vidinvert eval ROOT -o REPORT_DIR --engine ray [--ray-address HEAD:6379]
    """
    from vidinvert.device import check_device_name, resolve_device
    from vidinvert.eval.ray_engine import RayEval
    from vidinvert.eval.runner import evaluate_folder, merge

    ray = ray_options(options)
    if ray is None:
        resolve_device(options["device"])
    else:
        check_device_name(options["device"])  # the workers pick their own device
    options["progress"] = not quiet
    if merge_shards:
        summary = merge(folders, report_dir, plots=options["plots"])
    else:
        if len(folders) != 1:
            raise VidinvertError("eval takes one ROOT folder (several folders only with --merge)")
        summary = evaluate_folder(folders[0], report_dir, engine=RayEval(ray) if ray else None, **options)
    videos = summary["videos"]
    click.echo(
        f"{videos['evaluated']} videos evaluated, {len(videos['failed'])} failed, {len(videos['pending'])} pending: "
        f"{report_dir / 'summary.md'}"
    )
