"""Face clips for the batch and engine tests, rendered from the bundled demo model (no ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _fixtures_eval import CLIPS, make_ravdess_tree
from _fixtures_video import decode_timed, write_clip

from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.demo.paths import ENCODER_FILE, GENERATOR_FILE

#: The bundled model's files, named explicitly so no weights store on the machine is consulted.
MODEL_OPTIONS = ["--generator", str(GENERATOR_FILE), "--encoder", str(ENCODER_FILE)]
FPS, SIZE = 10, 96


def demo_clips(folder: Path, names: list[str], frames: int = 4) -> list[Path]:
    """One talking-face clip per name (a different identity each), `frames` frames of SIZE px."""
    G, _ = load_default_models("cpu")
    folder.mkdir(parents=True, exist_ok=True)
    return [render_demo_clip(G, folder / name, seconds=frames / FPS, fps=FPS, size=SIZE, seed=seed)
            for seed, name in enumerate(names)]


def faceless_clip(path: Path, frames: int = 4) -> Path:
    """A gradient clip without a face."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_clip(path, frames=frames, width=96, height=96)


def demo_ravdess_tree(root: Path, clips_dir: Path) -> Path:
    """The RAVDESS-shaped tree of `_fixtures_eval.make_ravdess_tree` over demo-model clips (the
    clip named face_noface.mov has no face)."""
    with_face = [name for name in CLIPS if name != "face_noface.mov"]
    demo_clips(clips_dir, with_face, frames=3)
    faceless_clip(clips_dir / "face_noface.mov", frames=3)
    return make_ravdess_tree(root, clips_dir)


def decoded_frames(path: Path) -> np.ndarray:
    """Every frame of `path` as one (N, H, W, 3) uint8 array, straight from PyAV."""
    return np.stack(decode_timed(path)[1])


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The local engine on one torch thread, as a Ray worker with --cpus-per-video 1 runs: the same
    float reductions, so the same pixels (CPU sums depend on the thread count)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
