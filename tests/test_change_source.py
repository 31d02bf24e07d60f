"""`--change-from`: the latents the warp/delta change is drawn from, parsed, drawn by the renderer,
and measured on real faces with the bundled model."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from _demo_quality import video_face_crops
from vidinvert.api import edit_video, load_default_models
from vidinvert.cli import main
from vidinvert.config import RenderConfig
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.paths import DIRECTIONS_DIR
from vidinvert.edit.change_source import ChangeSource
from vidinvert.edit.directions import load_direction
from vidinvert.discover.real_check import edit_motion
from vidinvert.discover.real_faces import invert_faces
from vidinvert.errors import VidinvertError
from vidinvert.images import to_uint8
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.pipeline.render_stage import Renderer
from vidinvert.video import FrameRecord


@pytest.fixture(scope="module")
def models():
    torch.set_num_threads(1)
    return load_default_models("cpu")


@pytest.mark.parametrize("spec, kind, psi", [("inversion", "inversion", 1.0), ("latents", "latents", 1.0),
                                             ("latents:0.7", "latents", 0.7), (" latents:1 ", "latents", 1.0)])
def test_specs_parse(spec, kind, psi):
    source = ChangeSource.parse(spec)
    assert (source.kind, source.truncation) == (kind, psi)
    assert ChangeSource.parse(source.spec) == source


@pytest.mark.parametrize("spec, message", [("features", "unknown change source"), ("latents:0", r"\(0, 1\]"),
                                           ("latents:1.5", r"\(0, 1\]"), ("latents:x", "must be a number"),
                                           ("inversion:0.5", "takes no truncation")])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(VidinvertError, match=message):
        ChangeSource.parse(spec)
    with pytest.raises(VidinvertError, match=message):
        RenderConfig(change_from=spec)


def test_cli_refuses_a_bad_change_source_before_any_output(models, tmp_path, capsys):
    clip = render_demo_clip(models.G, tmp_path / "in.mp4", seconds=0.2, fps=10, size=128)
    out = tmp_path / "out.mp4"
    assert main(["edit", str(clip), "--attr", "smile", "--change-from", "latents:2", "-o", str(out)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(0, 1]" in err[0]
    assert not out.exists()


def test_truncation_pulls_towards_the_average_latent():
    avg = torch.randn(8)
    w = torch.randn(3, 4, 8)
    moved = ChangeSource("latents", 0.25).wplus(w, avg)
    assert torch.allclose(moved, avg + 0.25 * (w - avg), atol=1e-6)
    assert ChangeSource("latents").wplus(w, avg) is w


def _frames(inversion, offset):
    """Face frames holding the inversions as base latents and base + offset as edited ones."""
    for i in range(len(inversion)):
        base = Latents(inversion.wplus[i], inversion.feature[i])
        edited = Latents(inversion.wplus[i] + offset, inversion.feature[i])
        record = FrameRecord(i, i, Fraction(1, 25), 1, np.zeros((8, 8, 3), np.uint8))
        yield FaceFrame(record, inverted=base, reconstruction=inversion.image[i], base=base, edited=edited)


def test_renderer_draws_the_pair_from_the_moved_latents(models, tmp_path):
    G, E = models
    clip = render_demo_clip(G, tmp_path / "demo.mp4", seconds=0.4, fps=10, size=192)
    inversion = invert_faces(G, E, video_face_crops(clip, G.size, 4), steps=2)
    offset = load_direction(DIRECTIONS_DIR / "smile_labels.npz").delta(G.n_latent, G.style_dim) * 2
    renderer = Renderer(G, E.feature_index, batch_size=3, with_before=True, change_from=ChangeSource("latents", 0.7))
    frames = list(renderer(_frames(inversion, offset)))
    moved = ChangeSource("latents", 0.7).wplus(inversion.wplus, G.latent_avg)
    with torch.no_grad():
        before = to_uint8(G.synthesize(moved, noise=renderer.noise))
        after = to_uint8(G.synthesize(moved + offset, noise=renderer.noise))
    # drawn in batches of 3 and 2 against one batch of 4 here: kernels may round the last bit apart
    for frame, b, a in zip(frames, before, after):
        assert np.abs(frame.before.astype(int) - b).max() <= 1
        assert np.abs(frame.face.astype(int) - a).max() <= 1
        assert (frame.face != frame.before).any()
    still = list(renderer(_frames(inversion, torch.zeros_like(offset))))
    assert all(np.array_equal(f.face, f.before) for f in still)


def test_saved_runs_name_the_change_source(models, tmp_path):
    clip = render_demo_clip(models.G, tmp_path / "demo.mp4", seconds=0.3, fps=10, size=192)
    summary = edit_video(clip, tmp_path / "out.mp4", attr=["smile"], change_from="latents:0.5", models=models,
                         quiet=True, save_latents=tmp_path / "run.npz")
    saved = np.load(summary.latents)
    assert str(saved["render"]) == "warp" and str(saved["change_from"]) == "latents:0.5"
    generated = edit_video(clip, tmp_path / "gen.mp4", attr=["smile"], render="generated", models=models,
                           quiet=True, save_latents=tmp_path / "gen.npz")
    assert "change_from" not in np.load(generated.latents)


def test_the_default_source_makes_the_bundled_smile_act_on_real_faces(models, shared_data):
    """The measured reason for the default: on real clip frames, the bundled smile carried by flow
    from the moved latents parts the mouth corners and raises the smile score on nearly every face."""
    G, E = models
    crops = torch.cat([video_face_crops(shared_data / "videos" / clip, G.size, 24)[::4]
                       for clip in ("talk_audio.mp4", "head_d18.mp4")])
    inversion = invert_faces(G, E, crops)
    smile = load_direction(DIRECTIONS_DIR / "smile_labels.npz", name="smile")
    [moved] = edit_motion(G, inversion, crops, smile, "smile", (2.0,), E.feature_index)
    assert moved.faces == len(crops)
    # measured +0.07 with 100% of 45 frames rising; the bar leaves room for other CPUs' rounding
    assert moved.score_change > 0.03 and moved.score_rose >= 0.8
    assert moved.flow_gap_change > 0.5 and moved.flow_gap_grew >= 0.8
