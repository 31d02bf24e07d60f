"""The weights store: search order, clear errors, and the `vidinvert weights` listing."""

from __future__ import annotations

import pytest

from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.errors import WeightsError
from vidinvert.models import save_generator
from vidinvert.weights import ENV_VAR, find_weights, require_weights, search_dirs


@pytest.fixture
def stores(tmp_path, monkeypatch):
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    explicit.mkdir()
    env.mkdir()
    monkeypatch.setenv(ENV_VAR, str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return explicit, env


def test_search_order_is_flag_then_env_then_cache(stores, tmp_path):
    explicit, env = stores
    dirs = search_dirs(explicit)
    assert dirs[:2] == [explicit, env] and str(dirs[2]).startswith(str(tmp_path / "cache"))
    (env / "143_enc.pth").write_bytes(b"x")
    assert find_weights("143_enc.pth", explicit) == env / "143_enc.pth"
    (explicit / "143_enc.pth").write_bytes(b"y")
    assert find_weights("143_enc.pth", explicit) == explicit / "143_enc.pth"


def test_missing_file_error_names_file_places_and_flag(stores):
    explicit, env = stores
    with pytest.raises(WeightsError) as info:
        require_weights("stylegan2-ffhq-config-f.pt", explicit, flag="--generator")
    message = str(info.value)
    assert "stylegan2-ffhq-config-f.pt" in message and str(env) in message and "--generator" in message
    assert "rosinality/stylegan2-pytorch" in message


def test_weights_command_lists_found_missing_and_bad(stores, capsys):
    explicit, _ = stores
    save_generator(tiny_generator(), explicit / "stylegan2-ffhq-config-f.pt")
    (explicit / "143_enc.pth").write_text("garbage")
    assert main(["weights", "--weights-dir", str(explicit)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(" ")}
    assert "ok: stylegan2 (g_ema), 32px" in lines["stylegan2-ffhq-config-f.pt"]
    assert "bad: " in lines["143_enc.pth"] and "not a torch checkpoint" in lines["143_enc.pth"]
    assert "missing" in lines["model_ir_se50.pth"]
    assert "2 of " in out


def test_encoder_files_are_checked_by_loading_them(stores, capsys):
    import torch

    from _fixtures_enc import encoder_generator, restyle_checkpoint, restyle_encoder

    explicit, _ = stores
    G = encoder_generator()
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=True), "ResNetProgressiveBackboneEncoder", G),
               explicit / "restyle_e4e_ffhq_encode.pt")
    torch.save({"state_dict": {"encoder.nonsense": torch.zeros(2)}, "opts": {}}, explicit / "restyle_psp_ffhq_encode.pt")
    assert main(["weights", "--weights-dir", str(explicit)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line and line[0] != " "}
    assert "ok: restyle-e4e encoder, 8 latents" in lines["restyle_e4e_ffhq_encode.pt"]
    assert "bad: " in lines["restyle_psp_ffhq_encode.pt"]


def test_official_seed_files_are_listed_and_checked(stores, capsys, monkeypatch):
    import torch

    from _fixtures_ada import AdaGenerator, nvidia_modules, write_snapshot
    from _fixtures_enc import encoder_generator, hyperinverter_checkpoint

    explicit, _ = stores
    nvidia_modules(monkeypatch)
    write_snapshot(explicit / "ffhq.pkl", AdaGenerator())
    torch.save(hyperinverter_checkpoint(encoder_generator(), hidden=4), explicit / "hyper_inverter_ffhq.pt")
    torch.save({"state_dict": {"encoder_firststage.input_layer.0.weight": torch.zeros(64, 3, 3, 3)},
                "opts": {"dataset_type": "ffhq_colorization"}}, explicit / "e2style_inversion.pt")
    assert main(["weights", "--weights-dir", str(explicit)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line and line[0] != " "}
    assert "ok: NVIDIA network pickle (G_ema), 32px" in lines["ffhq.pkl"]
    assert "ok: hyperinverter encoder, 8 latents, 256 px input" in lines["hyper_inverter_ffhq.pt"]
    assert "bad: " in lines["e2style_inversion.pt"] and "'ffhq_colorization' task" in lines["e2style_inversion.pt"]
    assert "missing" in lines["stylegan2-ffhq-config-f.pkl"]
