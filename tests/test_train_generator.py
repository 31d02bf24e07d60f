"""Generator training: the loss moves, runs continue bit for bit, checkpoints are in the official layout."""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

from _fixtures_train import FACE_SIZE, celeba_small, one_thread, small_faces, straight_and_resumed  # noqa: F401  (fixtures)
from vidinvert.checkpoint import load_checkpoint
from vidinvert.cli import main
from vidinvert.models import load_generator
from vidinvert.models.discriminator import Discriminator
from vidinvert.train.data import FaceBatches
from vidinvert.train.generator import CHECKPOINT_NAME, GeneratorTrainConfig, GeneratorTrainer

TINY = dict(size=FACE_SIZE, max_channels=16, style_dim=32, n_mlp=2, batch_size=4, sample_every=0, save_every=0,
            save_minutes=0, log_every=1, n_sample=4, progress=False, device="cpu")


def trainer(tmp_path, faces, **options) -> GeneratorTrainer:
    cfg = GeneratorTrainConfig(data="unused", output=str(tmp_path), **{**TINY, **options})
    return GeneratorTrainer(cfg, FaceBatches(faces, seed=cfg.seed))


def test_discriminator_has_the_official_keys():
    D = Discriminator(32, channels={4: 16, 8: 16, 16: 8, 32: 8})
    keys = set(D.state_dict())
    expected = {"convs.0.0.weight", "convs.0.1.bias", "convs.1.conv1.0.weight", "convs.1.conv1.1.bias",
                "convs.1.conv2.0.kernel", "convs.1.conv2.1.weight", "convs.1.conv2.2.bias", "convs.1.skip.0.kernel",
                "convs.1.skip.1.weight", "final_conv.0.weight", "final_conv.1.bias", "final_linear.0.weight",
                "final_linear.0.bias", "final_linear.1.weight", "final_linear.1.bias"}
    assert expected <= keys
    assert all(k.startswith(("convs.", "final_conv.", "final_linear.")) for k in keys)
    assert {k.split(".")[1] for k in keys if k.startswith("convs.")} == {"0", "1", "2", "3"}  # 32 -> 4 px
    assert D.state_dict()["final_conv.0.weight"].shape == (16, 17, 3, 3)  # +1: minibatch stddev channel
    assert D(torch.randn(8, 3, 32, 32)).shape == (8, 1)


def test_discriminator_learns_to_separate_real_from_generated(tmp_path, small_faces):
    t = trainer(tmp_path, small_faces, augment="none", seed=1)
    real = t.faces.sample(4)
    z = torch.randn(4, 32, generator=torch.Generator().manual_seed(5))

    def d_loss() -> float:
        with torch.no_grad():
            fake = t.G.synthesize(t.G.mapping(z), noise="stored")
            return (F.softplus(t.D(fake)).mean() + F.softplus(-t.D(real)).mean()).item()

    before = d_loss()
    for _ in range(12):
        t.train_step()
    assert d_loss() < before - 0.05


def test_resume_continues_bit_for_bit(tmp_path, small_faces):
    options = dict(d_reg_every=2, path_regularize=2.0, g_reg_every=2, mixing=0.5)
    straight, resumed = straight_and_resumed(lambda run: trainer(run, small_faces, **options), tmp_path)
    for name in ("G", "D", "g_ema"):
        a, b = getattr(straight, name).state_dict(), getattr(resumed, name).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert straight.mean_path_length == resumed.mean_path_length != 0


def test_checkpoint_is_the_official_training_layout(tmp_path, small_faces):
    trainer(tmp_path, small_faces, iterations=1).run()
    ckpt = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert {"g", "d", "g_ema", "g_optim", "d_optim", "args"} <= set(ckpt)
    assert isinstance(ckpt["args"], dict) and ckpt["args"]["size"] == FACE_SIZE
    G = load_generator(tmp_path / CHECKPOINT_NAME)
    assert (G.size, G.style_dim, G.n_latent) == (FACE_SIZE, 32, 8)
    assert torch.allclose(G.latent_avg, ckpt["latent_avg"])
    assert G.synthesize(G.sample_w(2, seed=0)).shape == (2, 3, FACE_SIZE, FACE_SIZE)
    assert (tmp_path / "samples" / "step-0000001.png").is_file()


def test_cli_trains_and_continues(tmp_path, celeba_small, capsys):
    args = ["train", "generator", "--data", str(celeba_small), "-o", str(tmp_path / "run"), "--size", "16",
            "--max-channels", "8", "--style-dim", "16", "--n-mlp", "1", "--batch", "2", "--sample-every", "1",
            "--log-every", "1", "--threads", "1", "-q"]
    assert main(args + ["--steps", "1"]) == 0
    assert main(args + ["--steps", "2"]) == 0
    assert load_checkpoint(tmp_path / "run" / CHECKPOINT_NAME)["step"] == 2
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step-0000001.png", "step-0000002.png"]
    capsys.readouterr()
    assert main(args + ["--steps", "3", "--max-channels", "4"]) == 1
    assert "use another --output" in capsys.readouterr().err
    relative = os.path.relpath(celeba_small)
    assert main([a if a != str(celeba_small) else relative for a in args] + ["--steps", "3"]) == 0
    assert main(args[:6] + ["--size", "48"]) == 1
    assert "--size must be a power of two" in capsys.readouterr().err


def test_ema_follows_the_generator_early_and_lags_later(tmp_path, small_faces):
    t = trainer(tmp_path, small_faces, ema_kimg=1.0, ema_rampup=0.05)
    t.train_step()  # nothing seen before it: the EMA copies the generator
    assert all(torch.equal(a, b) for a, b in zip(t.g_ema.parameters(), t.G.parameters()))
    t.step = 100  # 400 images seen: half-life 20 images
    assert t.ema_decay() == pytest.approx(0.5 ** (4 / 20))
    t.step = 10_000  # capped at ema_kimg
    assert t.ema_decay() == pytest.approx(0.5 ** (4 / 1000))
