"""The editing stage: keyframed strengths, smoothing, feature correction, gaps, bounded look-ahead, options."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from model_factories import tiny_generator
from vidinvert.commands.edit_options import edit_options
from vidinvert.edit.directions import Direction, apply_edits, save_direction
from vidinvert.edit.feature_edit import edit_feature
from vidinvert.pipeline.edit_stage import make_edit_stage
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.video import FrameRecord
from vidinvert.errors import VidinvertError

FPS = 10.0


@pytest.fixture(scope="module")
def G():
    torch.set_num_threads(1)
    return tiny_generator(seed=5, size=32, style_dim=64)


@pytest.fixture()
def direction_file(tmp_path: Path) -> Path:
    v = torch.randn(1, 64, generator=torch.Generator().manual_seed(0))
    return save_direction(Direction(v / v.norm(), None, "test", "vidinvert"), tmp_path / "smile.npz")


def face_frame(i: int, w: torch.Tensor | None, feature: torch.Tensor | None = None) -> FaceFrame:
    """Frame i of a 10 fps clip carrying an inversion (no face when w is None)."""
    record = FrameRecord(i, i, Fraction(1, int(FPS)), 1, np.zeros((2, 2, 3), np.uint8))
    return FaceFrame(record, inverted=None if w is None else Latents(w, feature))


def frames(G, n: int, gap: int | None = None) -> list[FaceFrame]:
    w = G.sample_w(n, seed=1).unsqueeze(1).repeat(1, G.n_latent, 1)
    F = G.features(w, index=5)
    return [face_frame(i, None, None) if i == gap else face_frame(i, w[i], F[i]) for i in range(n)]


def test_keyframed_edit_without_smoothing_is_exact(G, direction_file: Path) -> None:
    stage = make_edit_stage(G, FPS, attr=["smile=0s:0,1s:2"], directions_dir=direction_file.parent, batch_size=4)
    inputs = frames(G, 15, gap=3)
    out = list(stage(iter(inputs)))
    assert [f.record.index for f in out] == list(range(15))
    assert out[3].edited is None and out[3] is inputs[3]
    d = stage.edits[0].direction
    for f_in, f_out in zip(inputs, out):
        if f_in.inverted is None:
            continue
        w_in, feature_in = f_in.inverted.wplus, f_in.inverted.feature
        strength = min(2.0, 2.0 * f_in.record.time)
        expected_w = apply_edits(w_in[None], [(d, strength)])[0]
        assert torch.allclose(f_out.edited.wplus, expected_w, atol=1e-5)
        expected_F = edit_feature(G, feature_in[None], w_in[None], expected_w[None])[0]
        assert torch.allclose(f_out.edited.feature, expected_F, atol=1e-5)
        assert torch.equal(f_out.base.wplus, w_in) and f_out.inverted is f_in.inverted  # no smoothing: base is the inversion
    assert torch.equal(out[0].edited.wplus, inputs[0].inverted.wplus)
    assert torch.equal(out[0].edited.feature, inputs[0].inverted.feature)


def test_smoothing_is_bounded_and_reduces_jitter(G, direction_file: Path) -> None:
    stage = make_edit_stage(G, FPS, direction=[direction_file], strength="1", smooth_latents="gaussian:2",
                            smooth_offset="ema:0.5", smooth_features="gaussian:1", batch_size=2)
    assert stage.latency == 6
    base = G.sample_w(1, seed=2)[0]
    noisy = base + 0.3 * torch.randn(40, 64, generator=torch.Generator().manual_seed(3))
    pulled = []

    def source():
        for i in range(40):
            pulled.append(i)
            w = noisy[i].expand(G.n_latent, 64).clone()
            yield face_frame(i, w, G.features(w[None], 5)[0])

    it = stage(source())
    next(it)
    assert len(pulled) <= stage.latency + 2 + 1  # look-ahead plus one generator batch
    out = [next(it)] + list(it)
    jitter_in = (noisy[1:] - noisy[:-1]).norm(dim=-1).mean()
    jitter_out = torch.stack([(b.edited.wplus - a.edited.wplus)[0].norm() for a, b in zip(out, out[1:])]).mean()
    assert jitter_out < 0.5 * jitter_in


def test_wrong_direction_for_generator_fails_before_any_frame(G, tmp_path: Path, direction_file: Path) -> None:
    path = tmp_path / "big.npy"
    np.save(path, np.ones((1, 512)))
    with pytest.raises(VidinvertError, match="style dimension is 64"):
        make_edit_stage(G, FPS, direction=[path])
    with pytest.raises(VidinvertError, match="give one value"):
        make_edit_stage(G, FPS, direction=[direction_file], smooth_features="gaussian:1,2,3")


def test_edit_options_reach_make_edit_stage(G, direction_file: Path) -> None:
    seen = {}

    @click.command()
    @edit_options
    def fake_edit(**options):
        seen.update(options)

    result = CliRunner().invoke(fake_edit, ["--attr", "smile=1.5", "--attr", "age=-2", "--direction",
                                            str(direction_file), "--layers", "0-3", "--smooth-latents", "gaussian:3,2,1",
                                            "--directions-dir", str(direction_file.parent)])
    assert result.exit_code == 0, result.output
    assert seen["attr"] == ("smile=1.5", "age=-2") and seen["layers"] == "0-3"
    seen.pop("attr")
    stage = make_edit_stage(G, FPS, attr=["smile=1.5"], **{k: v for k, v in seen.items()})
    assert [e.direction.layers for e in stage.edits] == [(0, 1, 2, 3)] * 2


def test_python_api_takes_direction_objects_and_functions_of_time(G) -> None:
    d = Direction(torch.ones(1, 64) / 8, None, "ones", "vidinvert")
    stage = make_edit_stage(G, FPS, direction=[d], strength=lambda t: 10 * t)
    frame = frames(G, 3)[2]
    out = next(stage(iter([frame])))
    w = frame.inverted.wplus
    assert torch.allclose(out.edited.wplus - w, torch.full_like(w, 2.0 / 8), atol=1e-6)
