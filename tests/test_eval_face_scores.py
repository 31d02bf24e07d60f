"""`vidinvert eval` scores each video's output frames as `vidinvert score` does: clips rendered by the
bundled model (no ../shared/data), the same numbers as `score` on the video `edit` writes, shards and
merge, and the crop metrics untouched."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from _fixtures_batch import MODEL_OPTIONS, demo_clips, one_torch_thread  # noqa: F401  (autouse)

from vidinvert.cli import main
from vidinvert.eval.face_score import score_videos
from vidinvert.eval.store import read_video_result
from vidinvert.eval.video_eval import FACE_METRICS
from vidinvert.metrics.face_quality import SUMMARY_KEYS

FRAMES = 6
CLIPS = ["a.mp4", "b.mp4"]
SMILE = ["--attr", "smile=2"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    demo_clips(folder, CLIPS, frames=FRAMES)  # as long as --max-frames: `edit` sees the same frames
    return folder


def run_eval(root: Path, out: Path, *extra: str) -> None:
    argv = ["eval", str(root), "-o", str(out), "--max-frames", str(FRAMES), "--device", "cpu", "--no-lpips",
            "--no-plots", "-q", *MODEL_OPTIONS, *extra]
    assert main(argv) == 0


def per_video(report: Path) -> dict[str, dict[str, str]]:
    """The rows of per_video.csv by key, without their timings."""
    with (report / "per_video.csv").open(newline="") as stream:
        return {row["key"]: {k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(stream)}


def summary(report: Path) -> dict:
    return json.loads((report / "summary.json").read_text())


@pytest.fixture(scope="module")
def smile_report(clips, tmp_path_factory) -> Path:
    """An edit evaluated in two worker processes (one torch thread each, as in this module)."""
    out = tmp_path_factory.mktemp("smile") / "report"
    run_eval(clips, out, *SMILE, "--workers", "2")
    return out


def test_a_zero_edit_in_warp_mode_leaves_the_face_exact(clips, tmp_path):
    one = ["--num-videos", "1", "--attr", "smile=0"]
    run_eval(clips, tmp_path / "warp", *one, "--render", "warp")
    ((key, row),) = per_video(tmp_path / "warp").items()
    assert row["face_psnr"] == "inf" and float(row["face_sharpness"]) == 1.0  # the output frames are the input
    assert float(row["face_displacement"]) == 0.0 and float(row["face_warp_error_ratio"]) == 1.0
    assert float(row["face_smile_change"]) == 0.0
    assert float(row["face_frames"]) == float(row["face_output_face_frames"]) == FRAMES
    assert math.isfinite(float(row["psnr"]))  # the crop PSNR still measures the reconstruction
    face = summary(tmp_path / "warp")["face_scores"]
    assert face["face_psnr"]["mean"] == face["face_psnr"]["median"] == "inf" and face["face_psnr"]["n"] == 1
    assert "| face_psnr | inf | inf | 1 |" in (tmp_path / "warp" / "summary.md").read_text()

    run_eval(clips, tmp_path / "generated", *one, "--render", "generated")
    pasted = per_video(tmp_path / "generated")[key]
    assert math.isfinite(float(pasted["face_psnr"]))  # the reconstruction pasted over the real face
    # The crop metrics measure the same face either way, up to rounding: warp reuses the inversion's own
    # image of an unchanged face, generated draws it again from the latents in a batch of frames.
    assert float(pasted["psnr"]) == pytest.approx(float(row["psnr"]), rel=1e-5)
    assert summary(tmp_path / "generated")["result_config"]["render"] == "generated"


def test_face_scores_are_what_score_measures_on_the_video_edit_writes(clips, smile_report, tmp_path):
    # Exact equality: the same stages on the same frames with the same torch thread count give the same
    # pixels, the lossless codec is a bit-exact RGB round trip, and the face mesh is deterministic.
    rows = per_video(smile_report)
    for name in CLIPS:
        edited = tmp_path / name
        assert main(["edit", str(clips / name), *SMILE, "--codec", "lossless", "--threads", "1", "-o", str(edited),
                     "--device", "cpu", "-q", *MODEL_OPTIONS]) == 0
        scored = score_videos(clips / name, edited).summary
        measured = read_video_result(smile_report, name)["metrics"]
        assert math.isfinite(scored["psnr"]) and scored["face_frames"] == FRAMES  # the edit changed every face
        for metric, key in zip(FACE_METRICS, SUMMARY_KEYS):
            assert measured[metric] == scored[key] or math.isnan(measured[metric]) and math.isnan(scored[key]), key
            assert float(rows[name][metric] or "nan") == measured[metric] or math.isnan(measured[metric])


def test_no_face_scores_leaves_them_out_and_the_crop_metrics_as_they_were(clips, smile_report, tmp_path):
    out = tmp_path / "plain"
    run_eval(clips, out, *SMILE, "--no-face-scores")
    plain, scored = per_video(out), per_video(smile_report)
    assert not any(column.startswith("face_") for column in next(iter(plain.values())))
    assert plain == {key: {k: v for k, v in row.items() if not k.startswith("face_")} for key, row in scored.items()}
    for name in CLIPS:
        assert (out / "per_frame" / f"{name}.csv").read_text() == (smile_report / "per_frame" / f"{name}.csv").read_text()
        assert not any(metric.startswith("face_") for metric in read_video_result(out, name)["metrics"])
    assert "face_scores" not in summary(out) and summary(out)["result_config"]["face_scores"] is False
    assert summary(out)["metrics"] == summary(smile_report)["metrics"]
    assert "Face scores" not in (out / "summary.md").read_text()


def test_shards_merge_with_their_face_scores(clips, smile_report, tmp_path):
    shards = [tmp_path / f"part{i}" for i in range(2)]
    for i, folder in enumerate(shards):
        run_eval(clips, folder, *SMILE, "--shard", f"{i}/2")
        assert len(per_video(folder)) == 1
    assert main(["eval", "--merge", *map(str, shards), "-o", str(tmp_path / "merged"), "--no-plots"]) == 0
    merged = per_video(tmp_path / "merged")
    assert merged == per_video(smile_report) and all(math.isfinite(float(r["face_psnr"])) for r in merged.values())
    assert summary(tmp_path / "merged")["face_scores"] == summary(smile_report)["face_scores"]
    assert summary(tmp_path / "merged")["face_scores"]["face_sharpness"]["n"] == len(CLIPS)
