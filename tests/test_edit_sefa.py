"""SeFa on tiny random generators in the official layout, its files, contact sheet and command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.edit.directions import edit, load_direction
from vidinvert.discover.sefa import modulation_keys, sefa, sefa_directions
from vidinvert.errors import VidinvertError
from vidinvert.models import save_generator


@pytest.fixture(scope="module")
def G():
    torch.set_num_threads(1)
    return tiny_generator(seed=7, size=32, style_dim=64)


def test_vectors_orthonormal_sorted_and_eigen(G) -> None:
    state = G.state_dict()
    result = sefa(state)
    V = result.vectors.double()
    assert V.shape == (64, 64) and result.layers == tuple(range(G.num_layers))
    assert torch.allclose(V @ V.T, torch.eye(64, dtype=torch.float64), atol=1e-5)
    assert torch.all(result.eigenvalues[:-1] >= result.eigenvalues[1:])
    # independent check: ||A v||^2 with unit-norm weight rows equals the eigenvalue, and the top
    # vector moves the styles more than any random direction
    rows = np.concatenate([state[k].numpy() for i in range(G.num_layers) for k in modulation_keys(i, state)])
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    energy = lambda v: float(np.sum((rows @ v) ** 2))  # noqa: E731
    for i in (0, 5, 63):
        assert energy(V[i].numpy()) == pytest.approx(float(result.eigenvalues[i]), rel=1e-4)
    random = np.random.default_rng(0).standard_normal((200, 64))
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    assert energy(V[0].numpy()) > max(energy(r) for r in random)


def test_modulation_keys_are_the_layers_that_read_each_latent(G) -> None:
    # silence every modulation that reads latent l: the image must stop depending on w[l]
    w = G.sample_w(1, seed=1).unsqueeze(1).repeat(1, G.n_latent, 1)
    moved = w.clone()
    for latent in (0, 1, 3, 4, G.n_latent - 1):
        H = tiny_generator(seed=7, size=32, style_dim=64)
        state = H.state_dict()
        keys = modulation_keys(latent, state, include_torgb=True)
        assert keys
        with torch.no_grad():
            for k in keys:
                state[k].zero_()
        moved = w.clone()
        moved[:, latent] += 3.0
        assert torch.equal(H.synthesize(w), H.synthesize(moved)), latent
        assert not torch.equal(G.synthesize(w), G.synthesize(moved)), latent
    assert modulation_keys(1, G.state_dict()) == ["convs.0.conv.modulation.weight"]
    assert modulation_keys(G.n_latent - 1, G.state_dict()) == []


def test_layer_range_directions_only_move_their_layers(G) -> None:
    result = sefa(G.state_dict(), layers=[0, 1], num=3)
    assert result.vectors.shape == (3, 64) and result.layers == (0, 1)
    direction = result.directions()[0]
    w = G.sample_w(2, seed=2).unsqueeze(1).repeat(1, G.n_latent, 1)
    out = edit(w, direction, 4.0)
    assert torch.equal(out[:, 2:], w[:, 2:])
    assert torch.allclose((out - w)[:, :2].norm(dim=-1), torch.full((2, 2), 4.0), atol=1e-4)
    with pytest.raises(VidinvertError, match="drives no styled convolution"):
        sefa(G.state_dict(), layers=[G.n_latent - 1])


def test_sefa_files_sheet_and_command(G, tmp_path: Path) -> None:
    result = sefa_directions(G, tmp_path / "api", layers="0-3", num=4, strengths="-5,0,5", tile=32)
    first = load_direction(tmp_path / "api" / "sefa_00.npz")
    assert first.layers == (0, 1, 2, 3) and first.source_format == "sefa"
    assert torch.allclose(first.offset[0], result.vectors[0])
    sheet = np.asarray(Image.open(tmp_path / "api" / "contact_sheet.png"))
    assert sheet.shape == (16 + 4 * 32, 96 + 3 * 32, 3)
    tiles = [sheet[16 + 32 * r: 48 + 32 * r, 96 + 32 * c: 128 + 32 * c] for r in range(4) for c in range(3)]
    assert all(np.array_equal(tiles[1], tiles[3 * r + 1]) for r in range(4))  # strength 0 column: same face
    assert not np.array_equal(tiles[0], tiles[2])

    weights = save_generator(G, tmp_path / "tiny.pt")
    assert main(["directions", "sefa", "--generator", str(weights), "-o", str(tmp_path / "cli"), "--num", "2",
                 "--layers", "4-5", "--tile", "32"]) == 0
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == [
        "contact_sheet.png", "eigenvalues.json", "sefa_00.npz", "sefa_01.npz"]
    assert load_direction(tmp_path / "cli" / "sefa_01.npz").layers == (4, 5)


def test_sefa_command_errors(tmp_path: Path, capsys) -> None:
    assert main(["directions", "sefa", "--generator", str(tmp_path / "nope.pt"), "-o", str(tmp_path / "x")]) == 1
    assert capsys.readouterr().err == f"error: generator file not found: {tmp_path / 'nope.pt'}\n"
    assert main(["directions", "sefa", "--generator", "absent.pt", "-o", str(tmp_path / "x")]) == 1
    assert "absent.pt not found in" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_sefa_without_a_generator_uses_the_one_edit_uses(tmp_path: Path, monkeypatch, capsys) -> None:
    from vidinvert.demo.model import load_default_models

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # an empty weights store
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    assert main(["directions", "sefa", "-o", str(tmp_path / "demo"), "--num", "1", "--no-sheet"]) == 0
    demo = load_default_models("cpu").G
    found = load_direction(tmp_path / "demo" / "sefa_00.npz")
    expected = sefa_directions(demo, tmp_path / "again", num=1, sheet=False)
    assert found.offset.shape[-1] == demo.style_dim
    assert torch.equal(found.offset[0], expected.vectors[0])  # the same generator gives the same factorisation


def test_the_directions_commands_default_to_the_automatic_device() -> None:
    from vidinvert.commands.directions_cmd import directions

    for name in ("sefa", "fit", "fit-real"):
        device = next(p for p in directions.commands[name].params if p.name == "device")
        assert device.default == "auto"
