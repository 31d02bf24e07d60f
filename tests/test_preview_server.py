"""The preview server: the token, what it reads and writes, errors as one line, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from _fixtures_preview import MODEL_ARGS, face_clip, models, no_face_clip, served, session  # noqa: F401

from vidinvert.cli import main
from vidinvert.edit.spec import load_spec

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
EDITS = {"track": 0, "strengths": {"smile_labels": 2.0}}
ROOT = Path(__file__).resolve().parents[1]


def request(served, path: str, data: dict | None = None, token: bool = True, raw: bool = False):
    """(status, body): JSON decoded unless `raw`."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Vidinvert-Token"] = served.state.token
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(served.base + path, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=300) as response:
            status, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    if raw:
        return status, content
    try:
        return status, json.loads(content)
    except ValueError:
        return status, content


@pytest.mark.parametrize("path", ["/", "/api/info", "/static/app.js", "/api/jobs/1"])
def test_a_request_without_the_token_is_refused(served, path):
    assert request(served, path, token=False)[0] == 403
    wrong = urllib.request.Request(served.base + path + "?token=guess")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=60)
    assert refused.value.code == 403


def test_the_first_visit_with_the_token_sets_a_cookie_that_then_suffices(served):
    with urllib.request.urlopen(served.url, timeout=60) as response:
        assert response.status == 200 and b"vidinvert preview" in response.read()
        cookie = response.headers["set-cookie"].split(";")[0]
    again = urllib.request.Request(served.base + "/api/info", headers={"Cookie": cookie})
    with urllib.request.urlopen(again, timeout=60) as response:
        assert json.loads(response.read())["tracks"][0]["id"] == 0


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fsession.py",
                                  "/static//etc/passwd", "/static/%2fetc%2fpasswd"])
def test_static_paths_outside_the_static_folder_are_refused(served, path):
    status, content = request(served, path, raw=True)
    assert status in (403, 404) and b"import" not in content and b"root:" not in content


def test_a_frame_is_a_jpeg_and_a_strength_change_changes_it(served):
    status, before = request(served, "/api/frame", {"edits": {"track": 0}, "index": 2}, raw=True)
    assert status == 200 and before[:3] == b"\xff\xd8\xff"
    status, after = request(served, "/api/frame", {"edits": EDITS, "index": 2}, raw=True)
    assert status == 200 and after != before


def test_a_wrong_direction_is_a_json_error_and_the_server_keeps_running(served):
    status, body = request(served, "/api/frame", {"edits": {"strengths": {"no_such": 1}}, "index": 0})
    assert status == 400 and body["error"].startswith("unknown direction(s) no_such") and "\n" not in body["error"]
    assert request(served, "/api/frame", {"edits": EDITS, "index": 9999})[0] == 400
    assert request(served, "/api/frame", {"edits": EDITS, "index": 0}, raw=True)[0] == 200


@pytest.mark.parametrize("typed", ["../escape.json", "sub/../../escape.json", "/etc/vidinvert.json", "/tmp/x.json",
                                   "spec.txt"])
def test_export_refuses_paths_outside_the_videos_folder(served, typed):
    status, body = request(served, "/api/export", {"edits": EDITS, "path": typed})
    assert status == 400 and body["error"].startswith("refused")
    assert not (served.state.session.source.parent.parent / "escape.json").exists()


def test_export_writes_the_spec_and_asks_before_replacing_it(served):
    folder = served.state.session.source.parent
    target = folder / "from_page.edit.json"
    target.unlink(missing_ok=True)
    status, body = request(served, "/api/export", {"edits": EDITS, "path": target.name})
    assert status == 200 and Path(body["path"]) == target
    assert f"--spec {target}" in body["command"] and body["command"].startswith("vidinvert edit ")
    assert load_spec(target).faces["0"].attr == {"smile_labels": 2.0}
    status, body = request(served, "/api/export", {"edits": {"strengths": {"smile_labels": 1.0}}, "path": target.name})
    assert status == 409 and body["exists"]
    assert load_spec(target).faces["0"].attr == {"smile_labels": 2.0}
    status, _ = request(served, "/api/export", {"edits": {"strengths": {"smile_labels": 1.0}}, "path": target.name,
                                                "overwrite": True})
    assert status == 200 and load_spec(target).faces["0"].attr == {"smile_labels": 1.0}


def wait_job(served, job_id: int) -> dict:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = request(served, f"/api/jobs/{job_id}")[1]
        if status["finished"]:
            return status
        time.sleep(0.3)
    raise AssertionError("the job did not finish")


def test_a_range_renders_in_the_background_with_progress(served):
    status, job = request(served, "/api/range", {"edits": EDITS, "start": 0, "stop": 3})
    assert status == 200 and job["total"] == 3
    done = wait_job(served, job["id"])
    assert done["error"] is None and done["done"] == 3
    status, first = request(served, f"/api/range/{job['id']}/0", raw=True)
    assert status == 200 and first[:3] == b"\xff\xd8\xff"
    assert request(served, "/api/range", {"edits": EDITS, "start": 3, "stop": 99})[0] == 400


def test_render_writes_the_video_and_never_replaces_one_unasked(served):
    folder = served.state.session.source.parent
    out = folder / "page_render.mp4"
    out.unlink(missing_ok=True)
    status, job = request(served, "/api/render", {"edits": EDITS, "path": out.name})
    assert status == 200
    assert wait_job(served, job["id"])["error"] is None and out.is_file()
    size = out.stat().st_size
    status, body = request(served, "/api/render", {"edits": EDITS, "path": out.name})
    assert status == 409 and body["exists"] and out.stat().st_size == size


def test_a_faceless_clip_shows_one_line_on_the_page(no_face_clip, models):  # noqa: F811
    from _fixtures_preview import CONFIG, RunningServer

    from vidinvert.preview.server import PreviewApp
    from vidinvert.preview.session import PreviewSession

    session = PreviewSession(no_face_clip, CONFIG, models)
    running = RunningServer(PreviewApp(session, "no face found in plain.mp4: nothing to edit"))
    try:
        info = request(running, "/api/info")[1]
        assert info["tracks"] == [] and info["error"].startswith("no face found")
        assert request(running, "/api/frame", {"edits": {}, "index": 0}, raw=True)[0] == 200
        status, body = request(running, "/api/export", {"edits": EDITS, "path": "x.json"})
        assert status == 400 and body["error"].startswith("no face found")
    finally:
        running.stop()


def test_an_unreadable_video_is_one_line_and_a_non_zero_exit(tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    assert main(["preview", str(bad), "--no-browser", *MODEL_ARGS]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert main(["preview", str(tmp_path / "missing.mp4"), "--no-browser", *MODEL_ARGS]) == 1


def test_without_the_ui_extra_preview_says_what_to_install(face_clip, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["preview", str(face_clip), "--no-browser", *MODEL_ARGS]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: vidinvert preview needs the ui extra: pip install 'vidinvert[ui]'")
    assert "\n" not in err


def test_ctrl_c_leaves_no_process_and_no_temporary_folder(face_clip):  # noqa: F811
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-m", "vidinvert", "preview", str(face_clip), "--port", "0",
                                "--no-browser", *MODEL_ARGS], stderr=subprocess.PIPE, text=True, env=env)
    temp = None
    try:
        deadline = time.monotonic() + 600
        for line in process.stderr:
            if line.startswith("temporary folder "):
                temp = Path(line.split()[2].rstrip(";"))
                break
            assert time.monotonic() < deadline
        assert temp is not None and temp.is_dir()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) in (0, 130)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.poll() is not None and not temp.exists()
