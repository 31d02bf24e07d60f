"""A HyperInverter inversion through the video pipeline: each face keeps its predicted generator
weights from inversion through the edit to the rendered face."""

from __future__ import annotations

import numpy as np
import torch

from _fixtures_enc import encoder_generator, hyperinverter_checkpoint
from vidinvert.config import RunConfig
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.edit.directions import Direction, save_direction
from vidinvert.images import to_uint8
from vidinvert.models import LoadedModels, load_encoder
from vidinvert.pipeline.build import build_pipeline
from vidinvert.video import open_video


def test_weight_residuals_reach_the_rendered_edit(tmp_path):
    demo_G, _ = load_default_models("cpu")
    clip = render_demo_clip(demo_G, tmp_path / "talk.mp4", seconds=0.16, fps=25, size=256)
    G = encoder_generator()
    torch.save(hyperinverter_checkpoint(G), tmp_path / "hyper_inverter_ffhq.pt")
    E = load_encoder(tmp_path / "hyper_inverter_ffhq.pt")
    direction = torch.randn(1, G.style_dim, generator=torch.Generator().manual_seed(0))
    save_direction(Direction(direction / direction.norm(), None, "test", "vidinvert"), tmp_path / "test.npz")
    config = RunConfig.from_options(attr=["test=3"], directions_dir=tmp_path, smooth_features="gaussian:1",
                                    render="generated")  # the face pasted is the one the residuals draw
    with build_pipeline(LoadedModels(G, E), config, 25.0) as pipeline, open_video(clip) as video:
        frames = [f for f in pipeline.faces(video) if f.face is not None]
    assert len(frames) >= 3
    for frame in frames:
        edited = frame.edited
        assert edited.weight_deltas is not None and set(edited.weight_deltas) == set(frame.inverted.weight_deltas)
        deltas = {name: value[None] for name, value in edited.weight_deltas.items()}
        with torch.no_grad():
            kept = G.synthesize(edited.wplus[None], noise="stored", weight_deltas=deltas)
            plain = G.synthesize(edited.wplus[None], noise="stored")
        # the face was drawn with its own weights: the pipeline renders a batch of frames and this a
        # single one, and CPU kernels sum in another order by batch size, so a rare pixel rounds to
        # the next level; without the residuals the face is another one altogether
        assert np.abs(frame.face.astype(np.int16) - to_uint8(kept)[0]).max() <= 1
        assert np.abs(frame.face.astype(np.int16) - to_uint8(plain)[0]).mean() > 5
    # smoothed over time: the residuals of a middle frame differ from its own inversion's
    name = next(iter(frames[1].inverted.weight_deltas))
    assert not torch.equal(frames[1].edited.weight_deltas[name], frames[1].inverted.weight_deltas[name])
