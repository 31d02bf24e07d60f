"""Directions fitted on real-face inversions, and the check that carries an edit onto a real face by flow."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from _fixtures_train import celeba_small, one_thread  # noqa: F401  (fixtures)
from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.edit.directions import Direction, edit, load_direction
from vidinvert.discover.fit_real import fit_on_inversions
from vidinvert.discover.real_check import GAP_POINTS, carry, dis_flow, edit_motion, flow_gap_change, point_gap
from vidinvert.discover.real_faces import invert_faces
from vidinvert.face.expression import MOUTH_LEFT, MOUTH_RIGHT
from vidinvert.errors import VidinvertError
from vidinvert.models import save_encoder, save_generator
from vidinvert.models.vidinvert_encoder import EncoderConfig, build_vidinvert_encoder
from vidinvert.train.data import aligned_faces, to_tensor


def test_fit_on_inversions_finds_a_planted_per_layer_direction():
    # W+ latents whose layers 2 and 3 carry the score along different planted vectors
    rng = np.random.default_rng(0)
    w = torch.from_numpy(rng.standard_normal((2000, 6, 32))).float()
    a, b = torch.zeros(32), torch.zeros(32)
    a[0], b[1] = 1.0, 1.0
    scores = (w[:, 2] @ a + w[:, 3] @ b).numpy()
    result = fit_on_inversions(w, scores, layers=[2, 3], name="planted", std_scale=2.0)
    d = result.direction
    assert d.layers == (2, 3) and d.offset.shape == (6, 32)
    assert torch.count_nonzero(d.offset[[0, 1, 4, 5]]) == 0
    planted = torch.stack([a, b]) / 2 ** 0.5
    # the rows together form a unit vector; 2,000 noisy samples recover the plant to within a few degrees
    assert float(d.offset[2:4].norm()) == pytest.approx(1.0, abs=1e-5)
    assert float((d.offset[2:4] * planted).sum()) > 0.95
    assert result.accuracy > 0.9
    projections = w[:, 2:4].reshape(len(w), -1) @ d.offset[2:4].reshape(-1)
    assert d.scale == pytest.approx(2.0 * float(projections.std()), rel=1e-4)
    moved = edit(w[:5], d, 1.0)
    assert torch.equal(moved[:, [0, 1, 4, 5]], w[:5, [0, 1, 4, 5]])


def test_fit_on_inversions_refuses_layers_the_latents_lack():
    with pytest.raises(VidinvertError, match="layers"):
        fit_on_inversions(torch.zeros(30, 4, 8), np.arange(30.0), layers=[5])


def blob(x: float, size: int = 64) -> np.ndarray:
    """A uint8 RGB image with a soft bright disc centred at column x, row size/2."""
    yy, xx = np.mgrid[:size, :size]
    value = 255 * np.exp(-((xx - x) ** 2 + (yy - size / 2) ** 2) / (2 * 5.0 ** 2))
    return np.repeat(value[..., None], 3, axis=2).astype(np.uint8)


def test_carry_moves_an_image_the_way_the_renders_move():
    before, after = blob(30), blob(34)
    moved = carry(blob(30), before, after)
    # the disc's centre of mass follows the 4 px shift (DIS is sub-pixel; 1 px slack for the smooth flow)
    weights = moved[..., 0].astype(np.float64)
    centre = (weights.sum(axis=0) * np.arange(64)).sum() / weights.sum()
    assert centre == pytest.approx(34, abs=1.0)


def test_gaps_grow_when_the_points_move_apart():
    points = np.zeros((468, 2))
    points[MOUTH_RIGHT], points[MOUTH_LEFT] = (20, 40), (44, 40)
    assert point_gap(points, "smile") == pytest.approx(24)
    flow = np.zeros((64, 64, 2), dtype=np.float32)
    flow[:, :32, 0], flow[:, 32:, 0] = -1.5, 1.5  # left half moves left, right half right
    assert flow_gap_change(flow, points, "smile") == pytest.approx(3.0)
    assert flow_gap_change(-flow, points, "smile") == pytest.approx(-3.0)
    assert set(GAP_POINTS) == {"smile", "mouth_open", "eyes_open", "brows_raised"}


def test_dis_flow_points_from_source_to_target():
    flow = dis_flow(blob(30), blob(33))
    assert float(flow[32, 28:33, 0].mean()) == pytest.approx(3.0, abs=1.0)


def tiny_models(tmp_path):
    G = tiny_generator(size=32, style_dim=64)
    E = build_vidinvert_encoder(EncoderConfig.for_generator(G, 3, 64, "iresnet10-quarter"))
    save_generator(G, tmp_path / "g.pt")
    save_encoder(E, tmp_path / "e.pt")
    return G, E


def test_cli_fits_directions_on_real_photos(tmp_path, shared_data):
    tiny_models(tmp_path)
    args = ["directions", "fit-real", "--data", str(shared_data / "celeba" / "train"), "--limit", "48",
            "--attribute", "smile", "--attribute", "eyes_open", "-o", str(tmp_path / "d"), "--layers", "2-4",
            "--std-scale", "2", "--generator", str(tmp_path / "g.pt"), "--encoder", str(tmp_path / "e.pt"),
            "--steps", "1", "--cache-dir", str(tmp_path / "cache"), "--default-strength", "2"]
    assert main(args) == 0
    for attribute in ("smile", "eyes_open"):
        d = load_direction(tmp_path / "d" / f"{attribute}.npz")
        assert d.layers == (2, 3, 4) and d.offset.shape == (8, 64) and d.scale > 0 and d.default_strength == 2
        report = json.loads((tmp_path / "d" / f"{attribute}.json").read_text())
        assert report["faces"] == 48 and 0 <= report["accuracy"] <= 1 and report["layers"] == [2, 3, 4]


def test_cli_fit_real_with_too_few_photos_fails_in_one_line(tmp_path, celeba_small, capsys):
    tiny_models(tmp_path)
    # 6 photos cannot fill two classes of 10
    args = ["directions", "fit-real", "--data", str(celeba_small), "--attribute", "smile", "-o", str(tmp_path / "d"),
            "--generator", str(tmp_path / "g.pt"), "--encoder", str(tmp_path / "e.pt"), "--steps", "1"]
    assert main(args) != 0
    assert "too few" in capsys.readouterr().err
    assert not (tmp_path / "d" / "smile.npz").exists()


def test_a_zero_edit_carries_nothing(tmp_path, shared_data):
    G, E = tiny_models(tmp_path)
    photos = to_tensor(aligned_faces(shared_data / "celeba" / "test", G.size, tmp_path, progress=False, limit=4))
    inversion = invert_faces(G, E, photos, steps=1)
    d = Direction(torch.ones(1, 64) / 8, None, "smile", "fitted")
    still, moved = edit_motion(G, inversion, photos, d, "smile", (0.0, 3.0), E.feature_index)
    assert still.faces == moved.faces == 4
    assert still.score_change == 0 and still.gap_change == 0 and still.flow_gap_change == 0
    assert moved.flow_gap_change != 0
