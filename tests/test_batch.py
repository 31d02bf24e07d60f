"""`vidinvert batch` with the local engine: folders and manifests, failures, resume, the report."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from _fixtures_batch import (
    MODEL_OPTIONS,
    decoded_frames,
    demo_clips,
    faceless_clip,
    one_torch_thread,  # noqa: F401  (autouse)
)

from vidinvert.api import edit_video
from vidinvert.batch import folder_jobs, manifest_jobs, run_batch
from vidinvert.commands.batch_options import video_parameters
from vidinvert.batch.records import RECORDS_DIR
from vidinvert.cli import main
from vidinvert.demo.model import load_default_models
from vidinvert.errors import VidinvertError
from vidinvert.files import partial_files

EDIT = ["--attr", "smile", "--codec", "lossless", "--require-face", "-q", *MODEL_OPTIONS]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Two face clips (one in a subfolder), one without a face, one that is not a video."""
    folder = tmp_path_factory.mktemp("clips")
    demo_clips(folder, ["a.mp4"], frames=4)
    demo_clips(folder / "sub", ["b.mp4"], frames=5)
    faceless_clip(folder / "empty.mp4")
    (folder / "broken.mov").write_text("not a video")
    return folder


def report_rows(outdir: Path) -> dict[str, dict[str, str]]:
    with (outdir / "batch_report.csv").open(newline="") as stream:
        return {row["output"]: row for row in csv.DictReader(stream)}


def test_folder_batch_edits_each_video_as_edit_does_and_reports_failures(clips, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(clips), "-o", str(out), *EDIT]) == 1
    assert "error: 2 of 4 videos failed" in capsys.readouterr().err

    rows = report_rows(out)
    assert list(rows) == ["a.mp4", "broken.mov", "empty.mp4", "sub/b.mp4"]
    assert {k: rows["a.mp4"][k] for k in ("status", "frames", "edited", "cold_starts", "error")} == \
        {"status": "ok", "frames": "4", "edited": "4", "cold_starts": "1", "error": ""}
    assert (rows["sub/b.mp4"]["status"], rows["sub/b.mp4"]["frames"]) == ("ok", "5")
    assert rows["empty.mp4"]["status"] == "failed" and "no face found" in rows["empty.mp4"]["error"]
    assert rows["broken.mov"]["status"] == "failed" and "cannot read" in rows["broken.mov"]["error"]
    assert float(rows["a.mp4"]["seconds"]) > 0
    # Failed videos leave no output; nothing half-written anywhere.
    videos = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.suffix in (".mp4", ".mov")]
    assert sorted(videos) == ["a.mp4", "sub/b.mp4"]
    assert not list(out.rglob(".*"))

    report = json.loads((out / "batch_report.json").read_text())
    assert report["counts"] == {"failed": 2, "ok": 2}
    assert [r["output"] for r in report["records"]] == list(rows)
    assert report["records"][0]["options"]["attr"] == ["smile"]

    # Each output is what `edit_video` writes for that clip alone.
    alone = tmp_path / "alone.mp4"
    edit_video(clips / "sub" / "b.mp4", alone, attr=["smile"], codec="lossless", models=load_default_models("cpu"),
               quiet=True)
    np.testing.assert_array_equal(decoded_frames(out / "sub" / "b.mp4"), decoded_frames(alone))


def test_rerun_skips_finished_videos_and_redoes_changed_ones(clips, tmp_path):
    out = tmp_path / "out"
    main(["batch", str(clips), "-o", str(out), *EDIT])
    stamps = {p: p.stat().st_mtime_ns for p in (out / "a.mp4", out / RECORDS_DIR / "a.mp4.json",
                                                 out / RECORDS_DIR / "empty.mp4.json")}
    first = report_rows(out)

    assert main(["batch", str(clips), "-o", str(out), *EDIT]) == 1
    assert report_rows(out)["a.mp4"] == first["a.mp4"]  # same record, same seconds: not run again
    assert (out / "a.mp4").stat().st_mtime_ns == stamps[out / "a.mp4"]
    assert (out / RECORDS_DIR / "a.mp4.json").stat().st_mtime_ns == stamps[out / RECORDS_DIR / "a.mp4.json"]
    assert (out / RECORDS_DIR / "empty.mp4.json").stat().st_mtime_ns != stamps[out / RECORDS_DIR / "empty.mp4.json"]

    # Other options: the batch's own outputs are replaced, without --overwrite.
    before = decoded_frames(out / "a.mp4")
    assert main(["batch", str(clips), "-o", str(out), *EDIT, "--attr", "smile=-3"]) == 1
    rows = report_rows(out)
    assert rows["a.mp4"]["status"] == "ok" and rows["a.mp4"]["seconds"] != first["a.mp4"]["seconds"]
    assert not np.array_equal(decoded_frames(out / "a.mp4"), before)


def test_manifest_rows_override_the_command_line(clips, tmp_path):
    manifest = tmp_path / "jobs.csv"
    rel = Path("..") / clips.name
    with manifest.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["input", "output", "frames", "--attr", "codec", "require-face", "render", "change-from"])
        writer.writerow([str(clips / "a.mp4"), "first.mkv", "0:2", "smile=2;smile=-1", "ffv1", "", "delta", "latents:0.5"])
        writer.writerow([str(rel / "empty.mp4"), "", "", "", "", "false", "", ""])
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "-o", str(out), *EDIT]) == 0
    rows = report_rows(out)
    assert list(rows) == ["first.mkv", "empty.mp4"]
    assert (rows["first.mkv"]["frames"], rows["first.mkv"]["edited"]) == ("4", "2")
    assert (rows["empty.mp4"]["status"], rows["empty.mp4"]["edited"]) == ("ok", "0")  # copied, with a warning
    record = json.loads((out / RECORDS_DIR / "first.mkv.json").read_text())
    assert record["options"]["attr"] == ["smile=2", "smile=-1"] and record["options"]["codec"] == "ffv1"
    assert record["options"]["steps"] == 5 and record["options"]["require_face"] is True
    assert record["options"]["render"] == "delta" and record["options"]["change_from"] == "latents:0.5"
    other = json.loads((out / RECORDS_DIR / "empty.mp4.json").read_text())
    assert other["options"]["render"] == "warp" and other["options"]["change_from"] == "latents:0.7"

    # The same jobs from JSON lines.
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_text(json.dumps({"input": str(clips / "a.mp4"), "output": "first.mkv", "frames": "0:2",
                                 "attr": ["smile=2", "smile=-1"], "codec": "ffv1", "render": "delta",
                                 "change_from": "latents:0.5"}) + "\n\n"
                     + json.dumps({"input": str(rel / "empty.mp4"), "require_face": False}) + "\n")
    base = {"attr": ("smile",), "codec": "lossless", "require_face": True, "steps": 5}
    rows = video_parameters()
    assert [vars(j) for j in manifest_jobs(jsonl, base, rows)] == [vars(j) for j in manifest_jobs(manifest, base, rows)]


@pytest.mark.parametrize("row, message", [
    ({"input": "a.mp4", "colour": "red"}, "row 1: unknown option 'colour'"),
    ({"input": "a.mp4", "steps": 0}, "row 1: steps: 0 is not in the range x>=1"),
    ({"input": "a.mp4", "output": "../a.mp4"}, "must be a relative path inside the output folder"),
    ({"input": "a.mp4", "codec": "gif"}, "row 1: codec: 'gif' is not one of"),
    ({"input": "a.mp4", "render": "paint"}, "row 1: render: 'paint' is not one of"),
    ({"input": "a.mp4", "change_from": "latents:2"}, "row 1: change_from: the change source's truncation must be in"),
    ({"output": "x.mp4"}, "row 1: no input"),
])
def test_bad_manifest_rows_fail_before_anything_runs(tmp_path, capsys, row, message):
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps(row) + "\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--attr", "smile"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_two_rows_to_one_output_and_invert_with_an_edit_are_refused(clips, tmp_path, capsys):
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text("".join(json.dumps({"input": str(clips / n), "output": "same.mp4"}) + "\n"
                                for n in ("a.mp4", "empty.mp4")))
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--attr", "smile"]) == 1
    assert "a.mp4 and " in capsys.readouterr().err
    with pytest.raises(VidinvertError, match="--invert reconstructs the face; it takes no --attr"):
        run_batch(folder_jobs(clips, tmp_path / "out", {"invert": True, "attr": ("smile",)}), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_invert_batch_reconstructs(clips, tmp_path):
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"input\n{clips / 'a.mp4'}\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--invert", "--codec", "lossless", "-q",
                 *MODEL_OPTIONS]) == 0
    assert report_rows(tmp_path / "out")["a.mp4"]["edited"] == "4"


def test_an_existing_output_is_replaced_only_with_overwrite(clips, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.mp4").write_bytes(b"someone else's file")
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"input\n{clips / 'a.mp4'}\n")
    assert main(["batch", str(manifest), "-o", str(out), *EDIT]) == 1
    assert "pass --overwrite" in report_rows(out)["a.mp4"]["error"]
    assert (out / "a.mp4").read_bytes() == b"someone else's file"
    assert main(["batch", str(manifest), "-o", str(out), *EDIT, "--overwrite"]) == 0
    assert decoded_frames(out / "a.mp4").shape == (4, 96, 96, 3)


def test_temporary_files_of_dead_workers_are_removed(clips, tmp_path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    left = [out / ".a.k3j9x0qz.partial.mp4", out / "sub" / ".b.00000000.partial.mp4"]
    kept = out / ".a.b.k3j9x0qz.partial.mp4"  # another output's temporary file
    for path in (*left, kept):
        path.write_bytes(b"half a video")
    assert partial_files(out / "a.mp4") == [left[0]]
    main(["batch", str(clips), "-o", str(out), *EDIT])
    assert not any(p.exists() for p in left) and kept.exists()


def test_source_must_be_a_folder_or_manifest_and_outdir_not_the_source(clips, tmp_path, capsys):
    assert main(["batch", str(clips / "a.mp4"), "-o", str(tmp_path / "out"), "--attr", "smile"]) == 1
    assert "neither a folder of videos nor a manifest" in capsys.readouterr().err
    assert main(["batch", str(clips), "-o", str(clips), "--attr", "smile"]) == 1
    assert "the output folder is the source folder" in capsys.readouterr().err


def test_ray_engine_without_ray_names_the_extra(clips, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["batch", str(clips), "-o", str(tmp_path / "out"), "--attr", "smile", "--engine", "ray"]) == 1
    assert capsys.readouterr().err.strip() == "error: --engine ray needs Ray: pip install 'vidinvert[ray]'"
    assert not (tmp_path / "out").exists()
