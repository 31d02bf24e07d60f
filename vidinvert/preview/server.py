"""The preview's web app: the page, its static files and the JSON/image routes, behind a token.

Every request needs the token the server printed (query `?token=`, the cookie set by the first
visit with it, or the `X-Vidinvert-Token` header); anything else gets 403. The server reads the
opened video and the model files only, and writes only the paths the user exports or renders to.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from vidinvert.edit.spec import save_spec
from vidinvert.errors import VidinvertError
from vidinvert.preview.edits import PreviewEdits, command_line, parse_edits
from vidinvert.preview.jobs import Job, Jobs
from vidinvert.preview.paths import writable_path
from vidinvert.preview.range_job import check_range, range_frames
from vidinvert.preview.render_job import render_video
from vidinvert.config import OCCLUDERS
from vidinvert.preview.session import PreviewSession, mask_defaults

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "vidinvert_token"
HEADER = "x-vidinvert-token"
JPEG_QUALITY = 90
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi")


@dataclass
class PreviewApp:
    """What the routes share: the session, the token, the jobs, the temporary folder of range frames."""

    session: PreviewSession | None
    problem: str | None = None  # why there is nothing to preview (shown on the page)
    model_args: list[str] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    jobs: Jobs = field(default_factory=Jobs)
    temp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vidinvert-preview-")))

    def close(self) -> None:
        self.jobs.close()
        if self.session is not None:
            self.session.close()
        shutil.rmtree(self.temp, ignore_errors=True)


def jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise VidinvertError("the frame could not be encoded")
    return data.tobytes()


def create_app(state: PreviewApp) -> Starlette:
    """The Starlette app of one preview."""

    def session() -> PreviewSession:
        if state.session is None:
            raise VidinvertError(state.problem or "nothing to preview")
        return state.session

    def edits_of(data: dict) -> PreviewEdits:
        s = session()
        if not s.track_ids:
            raise VidinvertError(f"no face found in {s.source.name}: nothing to edit")
        return parse_edits(data.get("edits", {}), s.directions(), s.track_ids)

    async def index(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, state.token, httponly=True, samesite="strict")
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = Path(os.path.realpath(STATIC / name))
        if STATIC not in path.parents or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(path)

    async def info(request: Request) -> Response:
        if state.session is None:
            return JSONResponse({"error": state.problem})
        s = state.session
        tracks = [{"id": t.id, "first": t.first, "last": t.last, "frames": t.frames, "size": round(t.size)}
                  for t in s.tracks.tracks]
        height, width = s.records[0].image.shape[:2]
        return JSONResponse({
            "video": s.source.name, "frames": len(s.records), "fps": float(s.fps), "width": width, "height": height,
            "times": [r.time for r in s.records], "tracks": tracks, "directions": s.directions(),
            "strengths": s.initial, "render": s.config.render.render, "masks": mask_defaults(s.config),
            "occluders": s.config.render.occluders, "occluder_choices": list(OCCLUDERS),
            "spec_path": s.source.stem + ".edit.json", "video_path": s.source.stem + "_edited.mp4",
            "error": None if tracks else f"no face found in {s.source.name}: nothing to edit",
        })

    async def frame(request: Request) -> Response:
        data = await body(request)
        s = session()
        index = s.checked_index(_int(data.get("index", 0), "index"))
        view = data.get("view", "output")
        edits = edits_of(data) if s.track_ids else PreviewEdits(0)
        image = await run_in_threadpool(s.view, edits, index, view)
        return Response(jpeg(image), media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    async def start_range(request: Request) -> Response:
        data = await body(request)
        s, edits = session(), edits_of(data)
        start, stop = _int(data.get("start"), "start"), _int(data.get("stop"), "stop")
        check_range(s, start, stop)
        folder = state.temp

        def work(job: Job) -> list[str]:
            names = []
            for k, image in enumerate(range_frames(s, edits, start, stop, job.step)):
                name = f"range{job.id}_{k:05d}.jpg"
                (folder / name).write_bytes(jpeg(image))
                names.append(name)
            return names

        return JSONResponse(state.jobs.start("range", stop - start, work).status())

    async def job_status(request: Request) -> Response:
        return JSONResponse(state.jobs.get(int(request.path_params["job"])).status())

    async def range_frame(request: Request) -> Response:
        job = state.jobs.get(int(request.path_params["job"]))
        k = int(request.path_params["k"])
        if job.kind != "range" or not job.finished or job.result is None or not 0 <= k < len(job.result):
            raise VidinvertError(f"no frame {k} of range {job.id}")
        return FileResponse(state.temp / job.result[k], media_type="image/jpeg")

    async def export(request: Request) -> Response:
        data = await body(request)
        s, edits = session(), edits_of(data)
        path = writable_path(data.get("path", ""), s.source, (".json",))
        if path.exists() and data.get("overwrite") is not True:
            return JSONResponse({"error": f"{path} exists", "exists": True}, status_code=409)
        written = save_spec(edits.spec(s.files, s.time_of, s.source.parent), path)
        log.warning("edit spec written to %s", written)
        return JSONResponse({"path": str(written), "command": command_line(s.source, written, state.model_args,
                                                                                 edits.occluders)})

    async def render(request: Request) -> Response:
        data = await body(request)
        s, edits = session(), edits_of(data)
        path = writable_path(data.get("path", ""), s.source, VIDEO_SUFFIXES)
        overwrite = data.get("overwrite") is True
        if path.exists() and not overwrite:
            return JSONResponse({"error": f"{path} exists", "exists": True}, status_code=409)
        spec = edits.spec(s.files, s.time_of, s.source.parent)
        job = state.jobs.start("render", len(s.records), lambda job: render_video(s, spec, path, overwrite, job,
                                                                                      edits.occluders))
        return JSONResponse(job.status() | {"path": str(path)})

    routes = [
        Route("/", index), Route("/static/{name:path}", static), Route("/api/info", info),
        Route("/api/frame", frame, methods=["POST"]), Route("/api/range", start_range, methods=["POST"]),
        Route("/api/jobs/{job:int}", job_status), Route("/api/range/{job:int}/{k:int}", range_frame),
        Route("/api/export", export, methods=["POST"]), Route("/api/render", render, methods=["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app):
        yield
        state.close()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={VidinvertError: _one_line})
    app.add_middleware(TokenGate, token=state.token)
    return app


async def _one_line(request: Request, exc: Exception) -> Response:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    log.error("%s", message)
    return JSONResponse({"error": message}, status_code=400)


async def body(request: Request) -> dict:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise VidinvertError("the request is not valid JSON") from None
    if not isinstance(data, dict):
        raise VidinvertError("the request must be a JSON object")
    return data


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VidinvertError(f"{name} must be a whole number, got {value!r}")
    return value


class TokenGate:
    """403 for any request without the token (query, cookie or header)."""

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not self._allowed(Request(scope)):
            await PlainTextResponse("forbidden: open the URL with its token, as printed by vidinvert preview",
                                    status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, request: Request) -> bool:
        given = [request.query_params.get("token"), request.cookies.get(COOKIE), request.headers.get(HEADER)]
        return any(g is not None and secrets.compare_digest(g.encode(), self.token.encode()) for g in given)
