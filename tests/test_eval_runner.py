"""The evaluation harness end to end on RAVDESS-shaped folders of the shared clips."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from _fixtures_eval import RAVDESS_VIDEOS, CountingVideoFn, degraded_clip, make_ravdess_tree
from _fixtures_identity import write_identity_file
from vidinvert.cli import main
from vidinvert.errors import VidinvertError
from vidinvert.config import RunConfig
from vidinvert.engines.local import LocalEngine
from vidinvert.eval.evaluation import MetricOptions, VideoSelection
from vidinvert.eval.runner import evaluate_folder, merge
from vidinvert.eval.suite import MetricSuite
from vidinvert.eval.video_eval import evaluate_video
from vidinvert.face.recognition import recognition_available
from vidinvert.metrics.perceptual import load_lpips
from vidinvert.metrics.pixel import psnr, ssim, to_unit_range
from vidinvert.metrics.unavailable import Unavailable

FRAMES = 4


@pytest.fixture()
def ravdess_root(tmp_path, shared_data) -> Path:
    return make_ravdess_tree(tmp_path / "ravdess", shared_data / "videos")


def run_folder(root, out, *, video_fn, weights_dir=None, workers=1, plots=True, progress=False, **selection):
    """`evaluate_folder` with the per-video function and the few settings these tests vary."""
    return evaluate_folder(root, out, RunConfig.from_options(weights_dir=weights_dir), VideoSelection(**selection),
                           MetricOptions(plots=plots), LocalEngine(workers), video_fn=video_fn, progress=progress)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def _strict_json(path: Path) -> dict:
    def refuse(constant: str):
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def _without_timing(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k not in ("seconds", "path")} for row in rows]


def test_end_to_end_report(ravdess_root, tmp_path, shared_data):
    calls = CountingVideoFn(tmp_path / "calls.log", embeddings=True)
    out = tmp_path / "report"
    summary = run_folder(ravdess_root, out, max_frames=FRAMES, video_fn=calls, progress=False)

    assert len(calls.calls()) == len(RAVDESS_VIDEOS)
    per_video = _rows(out / "per_video.csv")
    assert len(per_video) == len(RAVDESS_VIDEOS) and {r["status"] for r in per_video} == {"ok"}
    assert {r["actor"] for r in per_video} == {"1", "2", "3"}
    assert summary == _strict_json(out / "summary.json")

    # The harness's numbers are the metrics of the frames the video function gave.
    key = "Actor_01__01-01-03-02-01-02-01.mp4"
    frames = _rows(out / "per_frame" / f"{key}.csv")
    records = list(degraded_clip(shared_data / "videos" / "head_d19.mp4", FRAMES))
    inputs = torch.cat([to_unit_range(r.input_crop) for r in records])
    outputs = torch.cat([to_unit_range(r.output_crop) for r in records])
    np.testing.assert_allclose([float(f["ssim"]) for f in frames], ssim(inputs, outputs).numpy(), rtol=1e-6)
    np.testing.assert_allclose([float(f["psnr"]) for f in frames], psnr(inputs, outputs).numpy(), rtol=1e-6)
    row = next(r for r in per_video if r["key"] == key)
    assert float(row["ssim"]) == pytest.approx(float(ssim(inputs, outputs).mean()), rel=1e-6)

    metrics = summary["metrics"]
    ssim_values = [float(r["ssim"]) for r in per_video]
    assert metrics["ssim"]["mean"] == pytest.approx(np.mean(ssim_values))
    assert metrics["ssim"]["ci95_low"] < metrics["ssim"]["mean"] < metrics["ssim"]["ci95_high"]
    assert 0.5 < metrics["ssim"]["mean"] < 1 and metrics["psnr"]["mean"] > 20
    for name in ("id", "tl_id", "tg_id", "flicker", "jitter"):
        assert metrics[name]["available"], name
    assert metrics["flicker"]["mean"] > 1  # fresh noise on every output frame flickers more than the input
    lpips_model = load_lpips()
    if isinstance(lpips_model, Unavailable):
        assert metrics["lpips"] == {"available": False, "reason": lpips_model.reason}
        assert all(r["lpips"] == "" for r in per_video)
    assert summary["videos"]["skipped"] and summary["config"]["max_frames"] == FRAMES

    markdown = (out / "summary.md").read_text()
    assert "| FSE (published) | 0.818 | 26.64 | 0.009 | 0.122 | 0.895 |" in markdown
    assert "| **this run** | " + f"{metrics['ssim']['mean']:.3f}" in markdown
    for plot in summary["plots"]:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plots/per_frame_ssim.png" in summary["plots"] and "plots/distribution_tg_id.png" in summary["plots"]


@pytest.fixture()
def empty_weights_store(tmp_path, monkeypatch) -> Path:
    """No identity weights anywhere the store looks, whatever this machine holds."""
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_identity_unavailable_without_model_or_embeddings(tmp_path, shared_data, empty_weights_store):
    summary = run_folder(
        shared_data / "videos", tmp_path / "out", max_frames=3, video_fn=CountingVideoFn(tmp_path / "log"), progress=False, plots=False
    )
    assert summary["layout"] == "folder" and summary["videos"]["evaluated"] == 5
    assert not summary["metrics"]["id"]["available"] and "identity" in summary["metrics"]["id"]["reason"]
    # dlib's embedding stands in for TL-ID and TG-ID when the identity extra is installed
    for name in ("tl_id", "tg_id"):
        assert summary["metrics"][name]["available"] == recognition_available()
        if not recognition_available():
            assert "needs an identity model" in summary["metrics"][name]["reason"]
    assert summary["metrics"]["ssim"]["available"]


def test_resume_recomputes_nothing(ravdess_root, tmp_path):
    calls = CountingVideoFn(tmp_path / "calls.log")
    out = tmp_path / "report"
    options = {"max_frames": FRAMES, "video_fn": calls, "progress": False, "plots": False}
    first = run_folder(ravdess_root, out, num_videos=5, seed=3, **options)
    assert len(calls.calls()) == 5
    second = run_folder(ravdess_root, out, num_videos=5, seed=3, **options)
    assert len(calls.calls()) == 5
    assert first["metrics"] == second["metrics"]
    # A bigger sample reuses the finished videos and computes only the new ones.
    run_folder(ravdess_root, out, **options)
    assert len(calls.calls()) == len(RAVDESS_VIDEOS)
    with pytest.raises(VidinvertError, match="other settings"):
        run_folder(ravdess_root, out, **{**options, "max_frames": FRAMES + 1})


def test_resume_measures_again_when_metric_models_change(ravdess_root, tmp_path, empty_weights_store):
    calls = CountingVideoFn(tmp_path / "calls.log")
    options = {"max_frames": 2, "num_videos": 2, "video_fn": calls, "progress": False, "plots": False}
    before = run_folder(ravdess_root, tmp_path / "out", **options)
    store = write_identity_file(tmp_path / "store" / "model_ir_se50.pth").parent
    after = run_folder(ravdess_root, tmp_path / "out", weights_dir=str(store), **options)
    assert len(calls.calls()) == 4
    assert "none of model_ir_se50.pth" in before["metrics"]["id"]["reason"]
    assert after["metrics"]["id"]["available"] and after["metrics"]["tg_id"]["available"]


def test_crash_mid_video_loses_only_that_video(ravdess_root, tmp_path):
    out = tmp_path / "report"
    crashing = CountingVideoFn(tmp_path / "crash.log", fail_on="02-02-05-01-02-01-01.mp4")
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_folder(ravdess_root, out, max_frames=FRAMES, video_fn=crashing, progress=False, plots=False)
    finished = sorted(p.name for p in (out / "videos").glob("*.json"))
    assert finished == ["Actor_01__01-01-01-01-01-01-01.mp4.json", "Actor_01__01-01-03-02-01-02-01.mp4.json"]
    assert not list(out.rglob("*.tmp.*"))
    working = CountingVideoFn(tmp_path / "calls.log")
    summary = run_folder(ravdess_root, out, max_frames=FRAMES, video_fn=working, progress=False, plots=False)
    assert len(working.calls()) == len(RAVDESS_VIDEOS) - 2
    assert summary["videos"]["evaluated"] == len(RAVDESS_VIDEOS)


def test_unreadable_video_is_reported_not_fatal(ravdess_root, tmp_path):
    broken = ravdess_root / "Actor_04" / "01-01-03-01-01-01-04.mp4"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a video")
    summary = run_folder(
        ravdess_root, tmp_path / "out", max_frames=2, video_fn=CountingVideoFn(tmp_path / "log"), progress=False, plots=False
    )
    assert summary["videos"]["evaluated"] == len(RAVDESS_VIDEOS)
    (failure,) = summary["videos"]["failed"]
    assert failure["key"] == "Actor_04__01-01-03-01-01-01-04.mp4" and "cannot read" in failure["error"]
    rows = {r["key"]: r for r in _rows(tmp_path / "out" / "per_video.csv")}
    assert rows[failure["key"]]["status"] == "failed"
    assert "## Failed videos" in (tmp_path / "out" / "summary.md").read_text()


def test_batches_do_not_change_the_numbers(shared_data):
    path = shared_data / "videos" / "single_face.mp4"
    suite = MetricSuite.load(lpips=False)
    results = []
    for batch_size in (2, 3, 16):
        suite.batch_size = batch_size
        results.append(evaluate_video(path, lambda p, m: degraded_clip(p, m, embeddings=True), suite, 7))
    for other in results[1:]:
        for a, b in zip(results[0].rows, other.rows):
            assert a.keys() == b.keys()
            np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-5, equal_nan=True)
        assert results[0].values == pytest.approx(other.values, rel=1e-6, nan_ok=True)


def test_shards_merge_into_the_unsharded_run(ravdess_root, tmp_path):
    options = {"max_frames": 3, "num_videos": 7, "seed": 5, "progress": False, "plots": False}
    whole = run_folder(ravdess_root, tmp_path / "whole", video_fn=CountingVideoFn(tmp_path / "w.log"), **options)
    calls = CountingVideoFn(tmp_path / "shards.log")
    shard_dirs = [tmp_path / f"shard{i}" for i in range(3)]
    for i, folder in enumerate(shard_dirs):
        run_folder(ravdess_root, folder, video_fn=calls, shard=f"{i}/3", workers=2 if i == 1 else 1, **options)
    assert sorted(calls.calls()) == sorted(CountingVideoFn(tmp_path / "w.log").calls())

    with pytest.raises(VidinvertError, match="complete set"):
        merge(shard_dirs[:2], tmp_path / "partial")
    merged = merge(shard_dirs, tmp_path / "merged", plots=False)
    assert merged["metrics"] == whole["metrics"]
    assert merged["videos"] == whole["videos"]
    assert _without_timing(_rows(tmp_path / "merged" / "per_video.csv")) == _without_timing(_rows(tmp_path / "whole" / "per_video.csv"))
    for frames in (tmp_path / "whole" / "per_frame").iterdir():
        assert (tmp_path / "merged" / "per_frame" / frames.name).read_text() == frames.read_text()
    # The merged folder is a finished unsharded run: evaluating into it again computes nothing.
    again = CountingVideoFn(tmp_path / "again.log")
    run_folder(ravdess_root, tmp_path / "merged", video_fn=again, **options)
    assert again.calls() == []


def test_cli(ravdess_root, tmp_path, capsys, empty_weights_store):
    options = {"max_frames": 2, "num_videos": 3, "progress": False, "plots": False}
    shard_dirs = [tmp_path / f"s{i}" for i in range(2)]
    for i, folder in enumerate(shard_dirs):
        run_folder(ravdess_root, folder, shard=f"{i}/2", video_fn=CountingVideoFn(tmp_path / "log"), **options)
    assert main(["eval", "--merge", *map(str, shard_dirs), "-o", str(tmp_path / "merged"), "--no-plots"]) == 0
    assert "3 videos evaluated, 0 failed, 0 pending" in capsys.readouterr().out

    # A generator of one's own needs an encoder made for it: the bundled one is not paired with it.
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "x"), "--max-frames", "2",
                 "--generator", str(tmp_path / "own_generator.pt")]) == 1
    assert "error: no encoder given and none of" in capsys.readouterr().err
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "x"), "--emotion", "joy"]) == 1
    assert "error: unknown emotion 'joy'" in capsys.readouterr().err
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "x"), "--shard", "3/2"]) == 1
    assert "error: --shard 3/2" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
