""""Render" on the page: the whole video through `vidinvert.api.edit_video` with the exported spec."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from vidinvert.edit.spec import EditSpec
from vidinvert.preview.jobs import Job
from vidinvert.preview.session import PreviewSession


def render_video(session: PreviewSession, spec: EditSpec, output: Path, overwrite: bool, job: Job,
                 occluders: str = "hands") -> str:
    """Edit the session's video with `spec` into `output`; the job counts the composited frames."""
    from vidinvert.api import edit_video

    def counted(name: str, items: Iterator) -> Iterator:
        for item in items:
            if name == "composite":
                job.step()
            yield item

    with session.lock:
        summary = edit_video(session.source, output, session.config, models=session.models, observe=counted,
                             spec=spec, overwrite=overwrite, quiet=True, occluders=occluders)
    return str(summary.output)
