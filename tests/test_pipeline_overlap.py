"""The edit pipeline with its stages overlapped on threads against the same run on one thread
(`--serial`), with the bundled demo model on real clips: the same bytes, the same cold starts, and
clean failures from any stage's thread."""

from __future__ import annotations

import _thread
import errno
import threading

import numpy as np
import pytest

from _fixtures_threads import no_thread_left_behind, workers  # noqa: F401  (the fixture applies to every test here)
from vidinvert import api
from vidinvert.cli import main
from vidinvert.errors import VidinvertError
from vidinvert.pipeline import face_stages, invert_stage
from vidinvert.video import encoding




@pytest.fixture(scope="module")
def demo_models():
    return api.load_default_models(device="cpu")


@pytest.mark.parametrize("clip, frames", [("talk_audio.mp4", "0:40"), ("face_noface.mov", "50:100")])
def test_overlapped_run_is_byte_identical_to_serial(shared_data, tmp_path, demo_models, clip, frames):
    source = shared_data / "videos" / clip
    runs = {}
    for serial in (True, False):
        out = tmp_path / f"{serial}.mp4"
        summary = api.edit_video(source, out, attr=["smile"], models=demo_models, frames=frames, codec="lossless",
                                 preset="ultrafast", save_latents=tmp_path / f"{serial}.npz", quiet=True,
                                 serial=serial)
        runs[serial] = (summary, out.read_bytes(), dict(np.load(tmp_path / f"{serial}.npz")))
    (serial_summary, serial_bytes, serial_latents), (summary, data, latents) = runs[True], runs[False]
    assert summary.edited > 0 and summary.cold_starts > 0
    assert (summary.frames, summary.edited, summary.cold_starts) == (
        serial_summary.frames, serial_summary.edited, serial_summary.cold_starts)
    assert data == serial_bytes
    assert latents.keys() == serial_latents.keys()
    assert all(np.array_equal(latents[k], serial_latents[k]) for k in latents)


def _cli_fails_cleanly(capsys, tmp_path, clip, match: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["edit", str(clip), "--attr", "smile", "-o", str(out_dir / "edited.mp4"), "--frames", "0:30", "-q"])
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("note: ")]
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert match in lines[0]
    assert list(out_dir.iterdir()) == []
    assert workers() == []


def failing_at(call: int, real, error: BaseException):
    calls = [0]

    def fn(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            raise error
        return real(*args, **kwargs)
    return fn


def test_error_in_the_face_thread(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(face_stages, "crop", failing_at(12, face_stages.crop, VidinvertError("frame 11: bad crop")))
    _cli_fails_cleanly(capsys, tmp_path, shared_data / "videos/talk_audio.mp4", "frame 11: bad crop")


def test_error_in_the_model_thread(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(invert_stage, "to_model_input",
                        failing_at(9, invert_stage.to_model_input, VidinvertError("encoder input rejected")))
    _cli_fails_cleanly(capsys, tmp_path, shared_data / "videos/talk_audio.mp4", "encoder input rejected")


def test_failing_writer(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(encoding.VideoEncoder, "_mux",
                        failing_at(20, encoding.VideoEncoder._mux, OSError(errno.ENOSPC, "No space left on device")))
    _cli_fails_cleanly(capsys, tmp_path, shared_data / "videos/talk_audio.mp4", "No space left on device")


def test_interrupt_from_inside_a_stage_stops_every_thread(shared_data, tmp_path, demo_models):
    seen = []

    def interrupt_at_frame_10(name, items):
        for item in items:
            if name == "inversion" and item.record.index == 10:
                seen.append(threading.current_thread().name)
                _thread.interrupt_main()
            yield item

    with pytest.raises(KeyboardInterrupt):
        api.edit_video(shared_data / "videos/talk_audio.mp4", tmp_path / "out.mp4", attr=["smile"],
                       models=demo_models, quiet=True, observe=interrupt_at_frame_10)
    assert seen == ["vidinvert-model"]
    assert list(tmp_path.iterdir()) == []
