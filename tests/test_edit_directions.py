"""Direction files of every circulating format, the registry, and applying edits to W+ latents."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

from vidinvert.edit import directions as directions_mod
from vidinvert.edit.directions import Direction, apply_edits, edit, load_direction, parse_layers, save_direction
from vidinvert.demo.paths import DIRECTIONS_DIR
from vidinvert.edit.registry import directions_in, find_direction, parse_attr, resolve_edits
from vidinvert.errors import VidinvertError


@pytest.fixture()
def unit() -> np.ndarray:
    v = np.random.default_rng(0).standard_normal(512)
    return v / np.linalg.norm(v)


def write_all_formats(root: Path, u: np.ndarray) -> dict[str, Path]:
    """The same unit direction u written the way each official repository ships its files."""
    paths = {
        "interfacegan": root / "interfacegan" / "smile_boundary.npy",
        "e4e": root / "interfacegan_directions" / "smile.pt",
        "e4e-pose": root / "interfacegan_directions" / "pose.pt",
        "e2style": root / "editing_directions" / "smile.npy",
        "stit": root / "w_directions" / "smile.npy",
        "fse": root / "boundaries_ours" / "smile_boundary.npy",
    }
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    np.save(paths["interfacegan"], u[None].astype(np.float64))
    torch.save(torch.from_numpy(u[None].astype(np.float32)), paths["e4e"])
    torch.save(torch.from_numpy(np.tile(u, (1, 18, 1)).astype(np.float32)), paths["e4e-pose"])
    np.save(paths["e2style"], np.tile(u, (18, 1)).astype(np.float64))
    np.save(paths["stit"], np.tile(u, (18, 1)).astype(np.float64))
    np.save(paths["fse"], np.tile(u, 18)[None].astype(np.float32))
    return paths


EXPECTED = {  # format: (layers edited on an 18-layer generator, strength scale)
    "interfacegan": (range(18), 1.0),
    "e4e": (range(18), 1.0),
    "e4e-pose": (range(18), 1.0),
    "e2style": (range(8), 1.0),
    "stit": (range(18), 0.5),
    "fse": (range(18), 15.0),
}


def test_every_format_loads_to_the_same_vector(tmp_path: Path, unit: np.ndarray) -> None:
    paths = write_all_formats(tmp_path, unit)
    for fmt, path in paths.items():
        d = load_direction(path)
        assert d.source_format == fmt
        layers, scale = EXPECTED[fmt]
        assert d.scale == scale
        delta = d.delta(18).numpy()
        for i in range(18):
            if i in layers:
                np.testing.assert_allclose(delta[i] / scale, unit, atol=1e-6)
            else:
                assert not delta[i].any()
    assert load_direction(paths["interfacegan"]).name == "smile"


def test_pt_directions_are_loaded_onto_cpu_without_pickle(tmp_path: Path, unit: np.ndarray) -> None:
    # The official pose.pt was saved on cuda:0; the loader must map it to the CPU and refuse pickled code.
    path = write_all_formats(tmp_path, unit)["e4e-pose"]
    real_load = torch.load
    with mock.patch.object(directions_mod.torch, "load", side_effect=real_load) as spy:
        load_direction(path)
    assert spy.call_args.kwargs["map_location"] == "cpu"
    assert spy.call_args.kwargs["weights_only"] is True


def test_same_edit_through_every_format(tmp_path: Path, unit: np.ndarray) -> None:
    paths = write_all_formats(tmp_path, unit)
    w = torch.randn(2, 18, 512)
    reference = edit(w, load_direction(paths["interfacegan"]), 3.0)
    np.testing.assert_allclose(edit(w, load_direction(paths["stit"]), 6.0), reference, atol=1e-5)
    np.testing.assert_allclose(edit(w, load_direction(paths["fse"]), 0.2), reference, atol=1e-5)
    np.testing.assert_allclose(edit(w, load_direction(paths["e4e-pose"]), 3.0), reference, atol=1e-5)
    e2 = edit(w, load_direction(paths["e2style"]), 3.0)
    np.testing.assert_allclose(e2[:, :8], reference[:, :8], atol=1e-5)
    assert torch.equal(e2[:, 8:], w[:, 8:])


def test_strength_zero_is_exact_and_per_frame_strengths(tmp_path: Path, unit: np.ndarray) -> None:
    d = load_direction(write_all_formats(tmp_path, unit)["fse"])
    w = torch.randn(3, 18, 512)
    assert torch.equal(edit(w, d, 0.0), w)
    out = edit(w, d, torch.tensor([0.0, 1.0, -2.0]))
    assert torch.equal(out[0], w[0])
    np.testing.assert_allclose(out[2] - w[2], -2 * 15 * np.tile(unit, (18, 1)), atol=1e-4)
    both = apply_edits(w, [(d, 1.0), (d.with_layers([0]), 1.0)])
    np.testing.assert_allclose(both[1, 0] - w[1, 0], 2 * (out[1, 0] - w[1, 0]), atol=1e-4)
    np.testing.assert_allclose(both[1, 1], out[1, 1], atol=1e-5)


def test_fewer_layers_generator_truncates_and_checks(tmp_path: Path, unit: np.ndarray) -> None:
    paths = write_all_formats(tmp_path, unit)
    assert load_direction(paths["e4e-pose"]).delta(14).shape == (14, 512)
    edited = lambda d, n: tuple(int(i) for i in torch.nonzero(d.delta(n).abs().sum(1)).flatten())  # noqa: E731
    assert edited(load_direction(paths["e2style"]), 14) == tuple(range(8))
    assert edited(load_direction(paths["interfacegan"]), 20) == tuple(range(20))
    with pytest.raises(VidinvertError, match="only 14 latent layers"):
        load_direction(paths["interfacegan"]).with_layers([15, 16]).delta(14)
    short = Direction(torch.ones(14, 512), None, "short", "vidinvert")
    with pytest.raises(VidinvertError, match="14 layer rows"):
        short.delta(18)
    with pytest.raises(VidinvertError, match="style dimension is 256"):
        load_direction(paths["e4e"]).delta(14, style_dim=256)


def test_own_format_round_trip(tmp_path: Path, unit: np.ndarray) -> None:
    d = Direction(torch.from_numpy(unit[None].astype(np.float32)), (4, 5, 6), "sefa_03", "sefa", 2.0, 1.5)
    path = save_direction(d, tmp_path / "sefa_03.npz")
    back = load_direction(path)
    assert back.layers == (4, 5, 6) and back.scale == 2.0 and back.source_format == "sefa"
    assert back.default_strength == 1.5
    assert back.name == "sefa_03" and torch.equal(back.offset, d.offset)
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize(
    "content, message",
    [
        (np.zeros((3, 7)), "unrecognised direction shape"),
        (np.zeros((18, 512)), "pass the format explicitly"),
        (np.full((1, 512), np.nan), "finite"),
        (np.zeros((1, 512), dtype=np.int64), "floating-point"),
    ],
)
def test_bad_direction_files(tmp_path: Path, content: np.ndarray, message: str) -> None:
    path = tmp_path / "bad.npy"
    np.save(path, content)
    with pytest.raises(VidinvertError, match=message):
        load_direction(path)


def test_unreadable_and_mismatched_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(VidinvertError, match="cannot read direction file"):
        load_direction(garbage)
    state = tmp_path / "dict.pt"
    torch.save({"a": torch.zeros(1)}, state)
    with pytest.raises(VidinvertError, match="expected a tensor"):
        load_direction(state)
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((1, 512)))
    with pytest.raises(VidinvertError, match="an e4e pose direction"):
        load_direction(flat, format="e4e-pose")
    with pytest.raises(VidinvertError, match="not found"):
        load_direction(tmp_path / "missing.npy")
    with pytest.raises(VidinvertError, match="unknown direction format"):
        load_direction(flat, format="stylegan9")
    ambiguous = tmp_path / "mine.npy"
    np.save(ambiguous, np.ones((18, 512)))
    assert load_direction(ambiguous, format="e2style").layers == tuple(range(8))
    assert load_direction(ambiguous, format="stit").offset.shape == (1, 512)


def test_parse_layers() -> None:
    assert parse_layers("0-7") == tuple(range(8))
    assert parse_layers("0,2, 4-6") == (0, 2, 4, 5, 6)
    for bad in ("", "7-3", "a", "-1", "1-"):
        with pytest.raises(VidinvertError, match="bad layer selection"):
            parse_layers(bad)


def test_registry_precedence_and_parsing(tmp_path: Path, unit: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    store, env_store, user = tmp_path / "store", tmp_path / "env", tmp_path / "user"
    for folder in (store / "directions", env_store / "directions", user):
        folder.mkdir(parents=True)
    np.save(env_store / "directions" / "smile_boundary.npy", unit[None])
    np.save(user / "smile.npy", -unit[None])
    np.save(user / "age.npy", unit[None])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # keep the real user folders out
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("VIDINVERT_WEIGHTS", str(env_store))
    monkeypatch.setenv("VIDINVERT_DIRECTIONS", str(user))
    assert find_direction("smile") == env_store / "directions" / "smile_boundary.npy"
    np.save(store / "directions" / "smile.npy", unit[None])
    assert find_direction("smile", weights_dir=store) == store / "directions" / "smile.npy"
    assert find_direction("age") == user / "age.npy"
    with pytest.raises(VidinvertError, match="no direction named 'beard'.*known names: age, smile"):
        find_direction("beard")

    assert parse_attr("smile=1.5") == ("smile", "1.5")
    assert parse_attr("smile") == ("smile", None)
    with pytest.raises(VidinvertError, match="bad --attr"):
        parse_attr("smile=")
    edits = resolve_edits(attr=["smile=1.5", "age=0s:0,2s:-2"], direction=[user / "age.npy"], strength="0.5",
                          layers="0-3")
    assert [e.strength for e in edits[::2]] == [1.5, 0.5]
    assert edits[1].strength(1.0) == pytest.approx(-1.0)
    assert all(e.direction.layers == (0, 1, 2, 3) for e in edits)
    with pytest.raises(VidinvertError, match="no edit given"):
        resolve_edits()


def test_an_edit_without_a_strength_takes_its_directions_default(tmp_path: Path, unit: np.ndarray) -> None:
    offset = torch.from_numpy(unit[None].astype(np.float32))
    save_direction(Direction(offset, None, "smile", "fitted", default_strength=2.5), tmp_path / "smile.npz")
    np.save(tmp_path / "age.npy", unit[None])  # a format that carries no default: 1
    def strengths(**options):
        return [e.strength for e in resolve_edits(directions_dir=tmp_path, **options)]
    assert strengths(attr=["smile", "age"]) == [2.5, 1.0]
    assert strengths(attr=["smile=0.5"]) == [0.5]
    assert strengths(attr=["smile"], strength="3") == [3.0]
    assert strengths(direction=[tmp_path / "smile.npz"]) == [2.5]
    assert strengths(direction=[tmp_path / "smile.npz"], strength="-1") == [-1.0]
    assert load_direction(DIRECTIONS_DIR / "smile_labels.npz").default_strength == 2.0  # the bundled model card's setting
    np.savez(tmp_path / "bad.npz", offset=unit[None].astype(np.float32), default_strength=np.float64("nan"))
    with pytest.raises(VidinvertError, match="default strength must be finite"):
        load_direction(tmp_path / "bad.npz")


def test_directions_list_command(tmp_path: Path, unit: np.ndarray, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from vidinvert.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    paths = write_all_formats(tmp_path / "user", unit)
    assert main(["directions", "list", "--directions-dir", str(tmp_path / "user")]) == 0
    out = capsys.readouterr()
    rows = [line.split("\t") for line in out.out.splitlines()]
    motion = [r for r in rows if r[1].startswith("solved from its motion")]
    assert [r[0] for r in motion] == ["smile", "mouth_open", "eyes_closed", "brows_raised"]
    rows = [r for r in rows if r not in motion]
    assert [r[0] for r in rows if len(r) == 2] == [
        "boundaries_ours/smile", "editing_directions/smile", "interfacegan/smile",
        "interfacegan_directions/pose", "interfacegan_directions/smile", "w_directions/smile"]
    assert [r[0] for r in rows if len(r) == 3] == sorted(directions_in(DIRECTIONS_DIR))
    assert all(r[2] == "(bundled demo model only)" for r in rows if len(r) == 3)
    assert "searched:" in out.err
    assert find_direction("w_directions/smile", directions_dir=tmp_path / "user") == paths["stit"]
