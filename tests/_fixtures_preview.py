"""A short talking-face clip, a faceless clip, the bundled model and a preview server for the preview tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from _fixtures_batch import faceless_clip

from vidinvert.config import RunConfig
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE
from vidinvert.loading import load_models

MODEL_ARGS = ["--generator", str(GENERATOR_FILE), "--encoder", str(ENCODER_FILE)]
CONFIG = RunConfig().with_options(generator=GENERATOR_FILE, encoder=ENCODER_FILE, device="cpu")


@pytest.fixture(scope="session")
def models():
    return load_models(GENERATOR_FILE, ENCODER_FILE, device="cpu")


@pytest.fixture(scope="session")
def face_clip(tmp_path_factory, models) -> Path:
    """Seven frames of the demo clip at 10 fps, 128 px."""
    folder = tmp_path_factory.mktemp("preview_clip")
    return render_demo_clip(models.G, folder / "talk.mp4", seconds=0.7, fps=10, size=128)


@pytest.fixture(scope="session")
def session(face_clip, models):
    from vidinvert.preview.session import PreviewSession

    opened = PreviewSession(face_clip, CONFIG, models)
    opened.face_frames(opened.track_ids[0])
    return opened


@pytest.fixture()
def no_face_clip(tmp_path) -> Path:
    return faceless_clip(tmp_path / "plain" / "plain.mp4", frames=3)


class RunningServer:
    """A preview app served by uvicorn on a free port in a background thread."""

    def __init__(self, state) -> None:
        import uvicorn

        from vidinvert.preview.server import create_app

        self.state = state
        config = uvicorn.Config(create_app(state), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the preview server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/?token={state.token}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


@pytest.fixture()
def served(session):
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from vidinvert.preview.server import PreviewApp

    running = RunningServer(PreviewApp(session, model_args=MODEL_ARGS))
    yield running
    running.stop()
