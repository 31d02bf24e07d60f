"""`run_demo`: render the demo clip with the bundled model and edit it, end to end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vidinvert.demo import model
from vidinvert.demo.clip import render_demo_clip
from vidinvert.config import EditConfig
from vidinvert.errors import VidinvertError
from vidinvert.video.outputs import check_output_path


def run_demo(output: str | os.PathLike = "demo.mp4", *, attr: Sequence[str] = ("smile",),
             source: str | os.PathLike | None = None, seconds: float = 4.0, fps: int = 25, seed: int = 0,
             side_by_side: bool = True, device: str = "auto", overwrite: bool = False, quiet: bool = False):
    """Render the demo clip with the bundled model (kept at `source` when given, else a temporary
    file), edit it along `attr` and write `output`; returns the edit's RunSummary.

    Raises WeightsError when the bundled model is missing and VidinvertError (one line) for bad
    options or output paths, before anything is rendered where it can tell.
    """
    from vidinvert.api import edit_video

    EditConfig(attr=tuple(attr)).require_edits()
    check_output_path(None, output, overwrite)
    if source is not None:
        check_output_path(None, source, overwrite)
        if Path(source).resolve() == Path(output).resolve():
            raise VidinvertError(f"--source and --output are both {output}; give them different paths")
    models = model.load_default_models(device)
    with tempfile.TemporaryDirectory(prefix="vidinvert-demo-") as scratch:
        clip = render_demo_clip(models.G, Path(scratch) / "demo-source.mp4" if source is None else source,
                                seconds=seconds, fps=fps, seed=seed, overwrite=overwrite, quiet=quiet)
        return edit_video(clip, output, attr=attr, models=models, side_by_side=side_by_side,
                          overwrite=overwrite, quiet=quiet)
