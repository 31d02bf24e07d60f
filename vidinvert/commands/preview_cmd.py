"""`vidinvert preview IN`: a local page to try edits on the video's frames, export the spec and render."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from vidinvert.commands.edit_options import edit_options, render_options
from vidinvert.commands.run_options import SEVERAL_FACES_OPTIONS, apply_options, frame_options
from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)


@click.command("preview")
@click.argument("input", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port of the page (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but 127.0.0.1 lets other machines reach the page.")
@click.option("--no-browser", is_flag=True, help="Print the page's address; do not open a browser.")
@edit_options
@render_options
@frame_options
@apply_options(SEVERAL_FACES_OPTIONS)
def preview(input: Path, port: int, host: str, no_browser: bool, **options) -> None:
    """Open INPUT in a local page: sliders for each direction, keyframes, render modes and views;
    export the edit spec `vidinvert edit --spec` reads, or render the video.

    Takes the model and run options of `edit`; --attr and --direction give the sliders' first values.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise VidinvertError("vidinvert preview needs the ui extra: pip install 'vidinvert[ui]' "
                             "(in a checkout: pip install -e '.[ui]')") from None
    from vidinvert.api import RunConfig
    from vidinvert.loading import load_configured_models
    from vidinvert.preview.server import PreviewApp, create_app
    from vidinvert.preview.session import PreviewSession
    from vidinvert.video import probe
    from vidinvert.video.sources import check_source

    probe(check_source(input))  # an unreadable video fails before any model loads
    config = RunConfig().with_options(**options)
    if host != "127.0.0.1":
        log.warning("listening on %s: anyone who can reach this machine and has the token can use the page", host)
    models = load_configured_models(config.models)
    click.echo(f"opening {input}: finding faces and inverting them (once)...", err=True)
    session = PreviewSession(input, config, models)
    problem = None
    if session.track_ids:
        session.face_frames(session.track_ids[0])
    else:
        problem = f"no face found in {input}: nothing to edit"
        log.error("%s", problem)
    state = PreviewApp(session, problem, model_args=_model_args(options))
    app = create_app(state)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    _announce(server, state, host, no_browser)
    try:
        server.run()
    finally:
        state.close()


def _announce(server, state, host: str, no_browser: bool) -> None:
    """Print the address (with its token) once the server listens, and open a browser unless told not to."""
    startup = server.startup

    async def announced(sockets=None):
        await startup(sockets=sockets)
        if not server.started:
            return
        port = server.servers[0].sockets[0].getsockname()[1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{shown}:{port}/?token={state.token}"
        click.echo(f"preview at {url}", err=True)
        click.echo(f"temporary folder {state.temp}; press Ctrl-C to stop", err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    server.startup = announced


def _model_args(options: dict) -> list[str]:
    """The model options of this command, as `vidinvert edit` takes them."""
    args = []
    for name in ("generator", "encoder", "weights_dir", "directions_dir"):
        if options.get(name) is not None:
            args += [f"--{name.replace('_', '-')}", str(options[name])]
    return args
