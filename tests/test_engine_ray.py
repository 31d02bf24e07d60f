"""`batch` and `eval` on a local Ray cluster, against the local engine: same outputs, same reports,
and a worker killed while it holds a video."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from _fixtures_batch import (
    MODEL_OPTIONS,
    decoded_frames,
    demo_clips,
    demo_ravdess_tree,
    one_torch_thread,  # noqa: F401  (autouse)
)

from vidinvert.cli import main
from vidinvert.engines.fault import KILL_MARKER_ENV, KILL_VIDEO_ENV

ray = pytest.importorskip("ray")

EDIT = ["--attr", "smile", "--codec", "lossless", "--require-face", "-q", *MODEL_OPTIONS]
RAY = ["--engine", "ray", "--cpus-per-video", "1"]
FRAMES = {"a.mp4": 4, "sub/b.mp4": 5, "c.mp4": 3}


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    """One small local Ray cluster for the module; the commands use the session open in this process."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    demo_clips(folder, ["a.mp4"], frames=4)
    demo_clips(folder / "sub", ["b.mp4"], frames=5)
    demo_clips(folder, ["c.mp4"], frames=3)
    return folder


@pytest.fixture(scope="module")
def local_out(clips, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    assert main(["batch", str(clips), "-o", str(out), *EDIT]) == 0
    return out


def records(outdir: Path) -> list[dict]:
    """The report's records without their timings."""
    report = json.loads((outdir / "batch_report.json").read_text())
    return [{k: v for k, v in r.items() if k != "seconds"} for r in report["records"]]


def assert_complete_and_equal(out: Path, reference: Path) -> None:
    for name, frames in FRAMES.items():
        edited = decoded_frames(out / name)
        assert len(edited) == frames
        np.testing.assert_array_equal(edited, decoded_frames(reference / name))
    assert not [p for p in out.rglob(".*")], "temporary files left behind"
    assert records(out) == records(reference)


def test_batch_on_ray_equals_the_local_engine_and_resumes(clips, local_out, tmp_path):
    out = tmp_path / "out"
    assert main(["batch", str(clips), "-o", str(out), *EDIT, *RAY]) == 0
    assert_complete_and_equal(out, local_out)
    assert [r["status"] for r in records(out)] == ["ok"] * 3

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and "batch_report" not in p.name}
    assert main(["batch", str(clips), "-o", str(out), *EDIT, *RAY]) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing run again


def test_a_killed_worker_has_its_video_retried(clips, local_out, tmp_path, monkeypatch, caplog):
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_VIDEO_ENV, "b.mp4")
    monkeypatch.setenv(KILL_MARKER_ENV, str(marker))
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="vidinvert.batch.runner"):
        assert main(["batch", str(clips), "-o", str(out), *EDIT, *RAY]) == 0
    assert marker.exists()  # the worker holding b.mp4 did die, half-way through writing it
    removed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("removing")]
    assert len(removed) == 1 and f"{out}/sub/.b." in removed[0] and removed[0].endswith(".partial.mp4, left by a worker that died")
    assert_complete_and_equal(out, local_out)


def test_a_video_whose_worker_dies_past_the_retries_fails_alone(clips, local_out, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KILL_VIDEO_ENV, "a.mp4")
    monkeypatch.setenv(KILL_MARKER_ENV, str(tmp_path / "killed"))
    out = tmp_path / "out"
    assert main(["batch", str(clips), "-o", str(out), *EDIT, *RAY, "--retries", "0"]) == 1
    assert "1 of 3 videos failed" in capsys.readouterr().err
    report = {r["output"]: r for r in records(out)}
    assert report["a.mp4"]["status"] == "failed" and "its worker died 1 times" in report["a.mp4"]["error"]
    assert not (out / "a.mp4").exists() and not [p for p in out.rglob(".*")]
    for name in ("sub/b.mp4", "c.mp4"):
        np.testing.assert_array_equal(decoded_frames(out / name), decoded_frames(local_out / name))

    # The hook has fired; the rerun does a.mp4 only and the folder ends up as the local engine's.
    assert main(["batch", str(clips), "-o", str(out), *EDIT, *RAY]) == 0
    assert_complete_and_equal(out, local_out)


def per_video(report: Path) -> list[dict[str, str]]:
    with (report / "per_video.csv").open(newline="") as stream:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(stream)]


def test_eval_on_ray_equals_the_local_engine_with_a_worker_killed(tmp_path, monkeypatch):
    root = demo_ravdess_tree(tmp_path / "ravdess", tmp_path / "clips")
    options = ["--max-frames", "3", "--no-lpips", "--no-plots", "--no-progress", *MODEL_OPTIONS]
    assert main(["eval", str(root), "-o", str(tmp_path / "local"), *options]) == 0
    monkeypatch.setenv(KILL_VIDEO_ENV, "01-01-03-02-01-02-01.mp4")
    monkeypatch.setenv(KILL_MARKER_ENV, str(tmp_path / "killed"))
    assert main(["eval", str(root), "-o", str(tmp_path / "ray"), *options, *RAY]) == 0
    assert (tmp_path / "killed").exists()

    local, on_ray = per_video(tmp_path / "local"), per_video(tmp_path / "ray")
    assert on_ray == local and len(local) == 8
    assert sorted(r["status"] for r in local) == ["failed"] + ["ok"] * 7  # the faceless clip
    for row in local:
        frames = (tmp_path / "local" / "per_frame" / f"{row['key']}.csv").read_text()
        assert (tmp_path / "ray" / "per_frame" / f"{row['key']}.csv").read_text() == frames
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("local", "ray")]
    assert summaries[0]["metrics"] == summaries[1]["metrics"] and summaries[0]["metrics"]["ssim"]["available"]


def test_a_request_no_node_can_meet_is_refused(clips, tmp_path, capsys):
    assert main(["batch", str(clips), "-o", str(tmp_path / "out"), *EDIT, "--engine", "ray",
                 "--cpus-per-video", "3"]) == 1
    err = capsys.readouterr().err
    assert "error: no node of the Ray cluster has 3 CPU for one video (nodes: 0 GPU, 2 CPU)" in err
    assert [r["status"] for r in records(tmp_path / "out")] == ["pending"] * 3


def test_an_address_nothing_answers_on_fails_at_once(clips, tmp_path, capsys):
    assert main(["batch", str(clips), "-o", str(tmp_path / "out"), *EDIT, "--engine", "ray",
                 "--ray-address", "127.0.0.1:1"]) == 1
    assert "error: cannot reach the Ray cluster at 127.0.0.1:1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _dying_worker_class(start_seconds: float):
    """A worker (defined here, so Ray ships it by value) that takes `start_seconds` to start, as a
    loaded machine does, and whose process dies on an item named "die" while `marker` is missing
    (on every attempt when `marker` is None)."""

    class Worker:
        def __init__(self, marker: str | None) -> None:
            import time

            time.sleep(start_seconds)
            self.marker = marker

        def run(self, item: str) -> str:
            import os

            if item == "die" and (self.marker is None or not os.path.exists(self.marker)):
                if self.marker is not None:
                    open(self.marker, "w").close()
                os._exit(1)
            return item.upper()

    return Worker


def _run(worker_class, marker, items, retries):
    from vidinvert.engines.ray_pool import RayOptions, run_pool

    results, lost = {}, {}
    run_pool(worker_class, (marker,), items, RayOptions(workers=1, retries=retries), gpu=False,
             on_result=results.__setitem__, on_lost=lost.__setitem__)
    return results, lost


def test_the_item_after_a_dead_worker_goes_to_a_started_one():
    # One worker that is slow to start: the next item must wait for a new worker, not fail on the
    # one still restarting ("The actor is restarting").
    results, lost = _run(_dying_worker_class(2.0), None, ["die", "a", "b"], retries=0)
    assert results == {"a": "A", "b": "B"}
    assert list(lost) == ["die"] and lost["die"].startswith("its worker died 1 times")


def test_a_dead_workers_item_runs_again_up_to_the_retries(tmp_path):
    results, lost = _run(_dying_worker_class(0.5), str(tmp_path / "died"), ["a", "die", "b"], retries=1)
    assert results == {"a": "A", "die": "DIE", "b": "B"} and lost == {}
    results, lost = _run(_dying_worker_class(0.5), None, ["die"], retries=2)
    assert results == {} and lost["die"].startswith("its worker died 3 times")


def test_a_worker_runs_the_pipeline_on_its_own_device_not_the_drivers_string(tmp_path):
    from _fixtures_batch import ENCODER_FILE, GENERATOR_FILE

    from vidinvert.config import RunConfig
    from vidinvert.engines.ray_pool import RayOptions, run_pool, uses_gpu, worker_device
    from vidinvert.eval.pipeline_frames import PipelineVideoFn
    from vidinvert.eval.ray_engine import EvalWorker

    class DeviceProbe(EvalWorker):  # defined here: Ray ships it by value
        def run(self, entry):
            return self.video_fn.config.models.device, str(self.suite.device)

    asked = "cuda:1"  # a second GPU on the driver's machine; a worker numbers its own GPUs from 0
    assert worker_device(True) == "cuda" and uses_gpu(ray, asked)
    video_fn = PipelineVideoFn(RunConfig.from_options(device=asked, generator=str(GENERATOR_FILE),
                                                      encoder=str(ENCODER_FILE)))
    results = {}
    init = ({"lpips": False}, str(tmp_path), video_fn, 2, {}, worker_device(False), 1)
    run_pool(DeviceProbe, init, ["video"], RayOptions(workers=1), gpu=False, on_result=results.__setitem__,
             on_lost=lambda item, reason: pytest.fail(reason))
    assert results == {"video": ("cpu", "cpu")}
