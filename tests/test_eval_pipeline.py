"""`vidinvert eval` through the real video pipeline: a RAVDESS-shaped folder of the shared clips,
tiny random models in the official layouts, four frames per video."""

from __future__ import annotations

import csv
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from _fixtures_enc import encoder_generator, restyle_checkpoint, restyle_encoder
from _fixtures_identity import write_identity_file
from _fixtures_video import write_clip
from vidinvert.cli import main
from vidinvert.config import RunConfig
from vidinvert.eval.pipeline_frames import PipelineVideoFn
from vidinvert.face.recognition import recognition_available
from vidinvert.metrics.pixel import mse, to_unit_range

FRAMES = 4
FACE_VIDEOS = {
    "Actor_01/01-01-03-01-01-01-01.mp4": "single_face.mp4",
    "Actor_02/01-01-05-02-01-02-02.mp4": "head_d18.mp4",
}
NO_FACE_VIDEO = "Actor_02/01-01-01-01-02-01-02.mp4"


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weights")
    G = encoder_generator()
    encoder = folder / "restyle_psp_ffhq_encode.pt"
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False), "ResNetBackboneEncoder", G), encoder)
    (folder / "directions").mkdir()
    np.save(folder / "directions" / "smile.npy", np.random.RandomState(0).randn(1, 512))
    identity = write_identity_file(tmp_path_factory.mktemp("identity") / "model_ir_se50.pth")
    return {"encoder": encoder, "weights_dir": folder, "identity": identity}


@pytest.fixture(scope="module")
def ravdess_root(tmp_path_factory, shared_data) -> Path:
    root = tmp_path_factory.mktemp("ravdess")
    for name, clip in FACE_VIDEOS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(shared_data / "videos" / clip)
    write_clip(root / NO_FACE_VIDEO, frames=6, width=96, height=64)
    return root


@pytest.fixture()
def no_weights_store(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run_eval(root: Path, out: Path, models: dict[str, Path], *extra: str, frames: int = FRAMES) -> None:
    argv = ["eval", str(root), "-o", str(out), "--encoder", str(models["encoder"]), "--weights-dir",
            str(models["weights_dir"]), "--max-frames", str(frames), "--steps", "2", "--next-steps", "1",
            "--device", "cpu", "--no-lpips", "--no-plots", "--no-progress", *extra]
    assert main(argv) == 0


def rows_by_key(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as stream:
        return {row["key"]: row for row in csv.DictReader(stream)}


def frame_rows(report: Path, name: str) -> list[dict[str, str]]:
    with (report / "per_frame" / f"{name}.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def key(name: str) -> str:
    return name.replace("/", "__")


@pytest.fixture(scope="module")
def inversion_report(ravdess_root, models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "inversion"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("VIDINVERT_WEIGHTS", raising=False)
        patch.setenv("XDG_CACHE_HOME", str(out.parent / "cache"))
        run_eval(ravdess_root, out, models)
    return out


def test_report_of_an_inversion_run(inversion_report):
    rows = rows_by_key(inversion_report / "per_video.csv")
    assert set(rows) == {key(n) for n in FACE_VIDEOS} | {key(NO_FACE_VIDEO)}
    for name in FACE_VIDEOS:
        row = rows[key(name)]
        assert (row["status"], row["n_frames"], row["frames_without_face"]) == ("ok", str(FRAMES), "0")
        assert 0 < float(row["ssim"]) < 1 and 0 < float(row["mse"]) < 1 and math.isfinite(float(row["psnr"]))
        assert float(row["flicker"]) > 0 and float(row["jitter"]) >= 0
        assert row["id"] == ""
        assert (row["tl_id"] == "") == (row["tg_id"] == "") == (not recognition_available())  # dlib stands in
        assert row["emotion"] in {"3", "5"}
    missing = rows[key(NO_FACE_VIDEO)]
    assert missing["status"] == "failed" and missing["frames_without_face"] == str(FRAMES)
    assert "no face frames in the first 4 frames" in missing["error"]

    summary = json.loads((inversion_report / "summary.json").read_text())
    assert summary["result_config"]["steps"] == 2 and summary["result_config"]["next_steps"] == 1
    assert summary["timing"]["frames_total"] == 2 * FRAMES
    assert summary["timing"]["frames_without_face_total"] == 0  # failed videos do not count
    assert not summary["metrics"]["id"]["available"] and "model_ir_se50.pth" in summary["metrics"]["id"]["reason"]
    for metric in ("tl_id", "tg_id"):
        assert summary["metrics"][metric]["available"] == recognition_available()
        if recognition_available():
            assert summary["models"]["tl_id/tg_id identity"] == "dlib ResNet (128-D)"
        else:
            assert "model_ir_se50.pth" in summary["metrics"][metric]["reason"]
    assert summary["metrics"]["ssim"]["available"] and summary["metrics"]["ssim"]["n"] == 2
    markdown = (inversion_report / "summary.md").read_text()
    assert "## Unavailable metrics" in markdown and "- id: no identity weights given" in markdown


def test_frames_are_the_aligned_crop_and_its_rendering_at_the_encoder_size(inversion_report, ravdess_root, models):
    name = next(iter(FACE_VIDEOS))
    config = RunConfig.from_options(encoder=str(models["encoder"]), steps=2, next_steps=1, device="cpu")
    video_fn = PipelineVideoFn(config)
    assert pickle.loads(pickle.dumps(video_fn)) == video_fn  # --workers sends it to other processes
    records = video_fn(ravdess_root / name, FRAMES)
    frames = list(records)
    assert [r.index for r in frames] == list(range(FRAMES)) and records.frames_without_face == 0
    for record in frames:  # the official ReStyle input size; the 32 px generator's output is resized to it
        assert record.input_crop.shape == (256, 256, 3) and record.input_crop.dtype == np.uint8
        assert record.output_crop.shape == (3, 256, 256) and record.quad.shape == (4, 2)
    # The report measured exactly these frames.
    reported = [float(row["mse"]) for row in frame_rows(inversion_report, key(name))]
    inputs = torch.cat([to_unit_range(r.input_crop) for r in frames])
    outputs = torch.cat([to_unit_range(r.output_crop) for r in frames])
    assert np.allclose(reported, mse(inputs, outputs).numpy(), rtol=1e-5)
    # Without warm start every frame is inverted from the average latent: the crops and frame 0
    # (cold either way) are the same, the following frames are not.
    cold = list(PipelineVideoFn(config.with_options(warm_start=False))(ravdess_root / name, FRAMES))
    assert all(np.array_equal(a.input_crop, b.input_crop) for a, b in zip(cold, frames))
    assert torch.equal(cold[0].output_crop, frames[0].output_crop)
    assert not torch.allclose(cold[1].output_crop, frames[1].output_crop, atol=1e-3)


def test_resume_does_not_compute_finished_videos_again(inversion_report, ravdess_root, models, monkeypatch):
    # The same (empty) weights store as the first run: the reason identity is unavailable is unchanged.
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(inversion_report.parent / "cache"))
    finished = {p.name: p.stat().st_mtime_ns for p in (inversion_report / "videos").glob("*.json")}
    frames_before = {p.name: p.read_text() for p in (inversion_report / "per_frame").glob("*.csv")}
    run_eval(ravdess_root, inversion_report, models)
    after = {p.name: p.stat().st_mtime_ns for p in (inversion_report / "videos").glob("*.json")}
    assert after[f"{key(NO_FACE_VIDEO)}.json"] > finished[f"{key(NO_FACE_VIDEO)}.json"]  # failed: tried again
    for name in FACE_VIDEOS:
        assert after[f"{key(name)}.json"] == finished[f"{key(name)}.json"]
        assert (inversion_report / "per_frame" / f"{key(name)}.csv").read_text() == frames_before[f"{key(name)}.csv"]


def test_edit_with_identity_network(inversion_report, ravdess_root, models, tmp_path, no_weights_store):
    out = tmp_path / "edit"
    run_eval(ravdess_root, out, models, "--identity-weights", str(models["identity"]), "--edit", "smile=3",
             "--actor", "1", frames=2)
    name = key(next(iter(FACE_VIDEOS)))
    rows = rows_by_key(out / "per_video.csv")
    assert list(rows) == [name] and rows[name]["status"] == "ok"
    row = rows[name]
    assert -1 <= float(row["id"]) <= 1 and float(row["id"]) < 0.9999
    assert float(row["tl_id"]) > 0 and float(row["tg_id"]) > 0
    edited, inverted = frame_rows(out, name), frame_rows(inversion_report, name)[:2]
    assert [r["frame"] for r in edited] == [r["frame"] for r in inverted] == ["0", "1"]
    for after, before in zip(edited, inverted):
        assert -1 <= float(after["id"]) <= 1
        assert float(after["mse"]) != pytest.approx(float(before["mse"]), rel=1e-3)  # the edit changed the face
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["identity"] == str(models["identity"])
    assert summary["result_config"]["attr"] == ["smile=3"]
    for metric in ("id", "tl_id", "tg_id"):
        assert summary["metrics"][metric]["available"] and summary["metrics"][metric]["n"] == 1


def test_bad_model_files_fail_before_writing(ravdess_root, models, tmp_path, capsys, no_weights_store):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "a"), "--encoder", str(bad), "--no-progress"]) == 1
    assert "error: encoder file" in capsys.readouterr().err
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "b"), "--encoder", str(models["encoder"]),
                 "--identity-weights", str(models["encoder"]), "--no-progress"]) == 1
    assert "is not a bare state dict of tensors" in capsys.readouterr().err
    assert main(["eval", str(ravdess_root), "-o", str(tmp_path / "c"), "--encoder", str(models["encoder"]),
                 "--weights-dir", str(models["weights_dir"]), "--edit", "frown=2", "--no-progress"]) == 1
    assert "no direction named 'frown'" in capsys.readouterr().err
    assert not any((tmp_path / n).exists() for n in "abc")
