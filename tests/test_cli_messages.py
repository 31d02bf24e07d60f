"""What the command line tells a user: one-line errors before any model loads, the summary line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from _fixtures_video import write_clip
from vidinvert.api import RunSummary
from vidinvert.cli import main


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "in.mp4", frames=3)


def test_existing_output_is_refused_in_command_line_words_and_left_alone(clip, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    code = main(["edit", str(clip), "--attr", "smile", "-o", str(out), "--encoder", str(tmp_path / "missing.pt")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and lines == [f"error: output {out} already exists; pass --overwrite to replace it"]
    assert out.read_bytes() == b"keep me"  # refused before the (missing) encoder was even looked for


@pytest.mark.parametrize("args", [["eval", "ROOT", "-o", "OUT", "--device", "gpu"],
                                  ["edit", "CLIP", "--attr", "smile", "-o", "OUT/x.mp4", "--device", "gpu"]])
def test_unknown_device_is_one_error_line(args, clip, tmp_path, capsys):
    args = [str(clip) if a == "CLIP" else str(tmp_path) if a == "ROOT" else a.replace("OUT", str(tmp_path / "o"))
            for a in args]
    (tmp_path / "o").mkdir()
    code = main(args)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: unknown device 'gpu'")


def test_reduced_precision_on_the_cpu_is_refused_before_models_load(clip, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    code = main(["edit", str(clip), "--attr", "smile", "-o", str(out), "--device", "cpu", "--precision", "fp16",
                 "--encoder", str(tmp_path / "missing.pt")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and lines == ["error: --precision fp16 needs a CUDA device; the CPU runs in fp32"]
    assert not out.exists()


def test_summary_reports_loading_and_processing_apart() -> None:
    summary = RunSummary(Path("out.mp4"), frames=120, processed=100, edited=90, cold_starts=3, load_seconds=5.0,
                         process_seconds=10.0)
    line = summary.line()
    assert "models loaded in 5.0 s" in line and "processed in 10.0 s (10.00 frames/s)" in line
    assert summary.seconds == 15.0 and summary.passed_through == 30


def test_the_rate_counts_only_the_frames_inside_frames(tmp_path) -> None:
    from vidinvert.api import edit_video

    clip = write_clip(tmp_path / "in.mp4", frames=12)
    summary = edit_video(clip, tmp_path / "out.mp4", attr=["smile"], frames="0:3", quiet=True)
    assert (summary.frames, summary.processed) == (12, 3)
    assert summary.frames_per_second == pytest.approx(3 / summary.process_seconds, rel=1e-12)  # same division


def test_summary_names_the_slowest_stage() -> None:
    from vidinvert.stage_timing import StageTimes

    times = StageTimes()
    list(times.observe("encode", iter(range(3))))
    list(times.observe("inversion", (time.sleep(0.003) or i for i in range(3))))
    line = RunSummary(Path("out.mp4"), frames=3, load_seconds=1.0, process_seconds=1.0, stage_times=times).line()
    assert "; slowest stage: inversion (" in line and line.endswith(" ms/frame)")


def test_only_mediapipes_start_up_notices_are_filtered() -> None:
    import os

    from vidinvert.face.native_notices import _pass_lines

    lines = [b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
             b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
             b"W0000 00:00:1796208886.453936   31813 inference_feedback_manager.cc:114] Feedback manager requires",
             b"error: something the user must see",
             b"Traceback (most recent call last):"]
    source_read, source_write = os.pipe()
    sink_read, sink_write = os.pipe()
    os.write(source_write, b"\n".join(lines) + b"\npartial")
    os.close(source_write)
    _pass_lines(source_read, sink_write)
    os.close(sink_write)
    with os.fdopen(sink_read, "rb") as passed:
        assert passed.read() == lines[3] + b"\n" + lines[4] + b"\npartial"


def test_a_strength_that_is_no_number_says_a_plain_number_works(clip, tmp_path, capsys):
    code = main(["edit", str(clip), "--attr", "smile=abc", "-o", str(tmp_path / "out.mp4"), "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and lines == ["error: bad strength 'abc': give a number (e.g. 1.5) or keyframes "
                                   "TIME:STRENGTH,... (e.g. 0s:0,1s:1.5) with TIME like 1.5s, 250ms or a frame number"]


@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_leaves_out_the_demo_model_note(clip, tmp_path, capsys, quiet):
    out = tmp_path / "out.mp4"
    assert main(["edit", str(clip), "--attr", "smile", "-o", str(out), *(["-q"] if quiet else [])]) == 0
    err = capsys.readouterr().err
    assert ("note: using the bundled demo model" in err) is not quiet and out.is_file()


def test_edit_help_names_the_bundled_directions_and_where_to_find_more(capsys):
    from vidinvert.demo.paths import DIRECTIONS_DIR
    from vidinvert.edit.registry import directions_in

    assert main(["edit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    names = sorted(directions_in(DIRECTIONS_DIR))  # the files bundled with the demo model
    assert names and f"The bundled demo model has: {', '.join(names)};" in text
    assert "`vidinvert directions list` shows every name there is" in text


def test_weights_says_the_missing_ffhq_directions_are_not_for_the_bundled_model(tmp_path, monkeypatch, capsys):
    from vidinvert.demo.paths import DIRECTIONS_DIR
    from vidinvert.edit.registry import directions_in

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty store, whatever this machine holds
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    assert main(["weights"]) == 0
    lines = capsys.readouterr().out.splitlines()
    directions = [line for line in lines if line.startswith("directions/")]
    assert len(directions) == 3
    assert all(line.endswith("; for the full-size FFHQ generator, not the bundled demo model") for line in directions)
    names = ", ".join(sorted(directions_in(DIRECTIONS_DIR)))
    assert lines[-1].endswith(f"its directions: {names} (vidinvert directions list)")
