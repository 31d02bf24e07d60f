"""Encoder training: the reconstruction of a fixed batch improves, runs continue bit for bit, files load."""

from __future__ import annotations

import pytest
import torch

from _fixtures_train import celeba_small, one_thread, small_faces, straight_and_resumed  # noqa: F401  (fixtures)
from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.invert import InversionResult, Inverter
from vidinvert.models import load_encoder, load_generator, save_generator
from vidinvert.train.data import FaceBatches, to_tensor
from vidinvert.train.encoder import ENCODER_NAME, EncoderTrainConfig, EncoderTrainer, fixed_point_loss
from vidinvert.train.losses import multiscale_pixel_loss

TINY = dict(feature_index=3, input_size=64, backbone="iresnet10-quarter", batch_size=4, refine_steps=2, sample_every=0,
            save_every=0, save_minutes=0, log_every=1000, progress=False, device="cpu")


def trainer(tmp_path, faces, **options) -> EncoderTrainer:
    cfg = EncoderTrainConfig(generator="unused", data="unused", output=str(tmp_path), **{**TINY, **options})
    G = tiny_generator(size=32, style_dim=64)
    return EncoderTrainer(cfg, FaceBatches(faces, seed=cfg.seed), G=G, sample_faces=to_tensor(faces[:4]))


def test_training_improves_the_reconstruction_of_a_fixed_batch(tmp_path, small_faces):
    t = trainer(tmp_path, small_faces[:4], lr=1e-3, real_fraction=1.0, warm_prob=0.0, batch_size=4)
    x = to_tensor(small_faces[:4])

    def error() -> float:
        # batch statistics (training mode): 30 steps are too few for the running averages to settle
        with torch.no_grad():
            image = Inverter(t.G, t.E).invert(x, steps=2).image
        return multiscale_pixel_loss(image, x).item()

    before = error()
    for _ in range(30):
        t.train_step()
    assert error() < 0.5 * before


def test_step_losses_and_warm_starts(tmp_path, small_faces):
    t = trainer(tmp_path, small_faces, warm_prob=1.0, warm_steps=1)
    stats = t.train_step()
    # half real, half generated: the latent and pixel MSE of generated images are present
    assert set(stats) == {"multiscale", "feature", "mse", "w_mse", "loss"}
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    x = to_tensor(small_faces[:4])
    warm = t._start(x)
    cold = t.inverter.average(4)
    assert not torch.equal(warm.wplus, cold.wplus)  # started from the jittered copy's inversion


def test_resume_continues_bit_for_bit(tmp_path, small_faces):
    straight, resumed = straight_and_resumed(lambda run: trainer(run, small_faces, warm_prob=0.5), tmp_path)
    a, b = straight.E.state_dict(), resumed.E.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cli_writes_an_encoder_the_inverter_loads(tmp_path, celeba_small):
    G = tiny_generator(size=32, style_dim=64)
    save_generator(G, tmp_path / "g.pt")
    args = ["train", "encoder", "--generator", str(tmp_path / "g.pt"), "--data", str(celeba_small),
            "-o", str(tmp_path / "run"), "--feature-index", "3", "--input-size", "64", "--backbone",
            "iresnet10-quarter", "--batch", "2", "--iters", "2", "--steps", "2", "--log-every", "1",
            "--sample-every", "2", "--n-sample", "3", "--threads", "1", "-q"]
    assert main(args) == 0
    E = load_encoder(tmp_path / "run" / ENCODER_NAME)
    assert E.kind == "vidinvert" and E.config.backbone == "iresnet10-quarter"
    result = Inverter(G, E).invert(torch.zeros(1, 3, 32, 32), steps=2)
    assert result.image.shape == (1, 3, 32, 32) and result.feature.shape == (1, 32, 8, 8)
    assert (tmp_path / "run" / "samples" / "step-0000002.png").is_file()
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 2 and "psnr_1" in lines[0]


def test_official_restyle_architecture_trains_and_saves_in_its_layout(tmp_path, celeba_small):
    G = tiny_generator(size=32, style_dim=512)
    save_generator(G, tmp_path / "g.pt")
    args = ["train", "encoder", "--arch", "ResNetBackboneEncoder", "--generator", str(tmp_path / "g.pt"),
            "--data", str(celeba_small), "-o", str(tmp_path / "run"), "--batch", "2", "--iters", "2",
            "--steps", "1", "--n-sample", "2", "--threads", "1", "-q"]
    assert main(args) == 0
    E = load_encoder(tmp_path / "run" / ENCODER_NAME)
    assert E.kind == "restyle-psp" and E.n_styles == G.n_latent
    decoder = load_generator(tmp_path / "run" / ENCODER_NAME)
    assert all(torch.equal(decoder.state_dict()[k], v) for k, v in G.state_dict().items())
    assert Inverter(decoder, E).invert(torch.zeros(1, 3, 32, 32), steps=2).image.shape == (1, 3, 32, 32)


class StubEncoder(torch.nn.Module):
    """Answers every step with a zero W+ residual and the same feature tensor."""

    feature_index = 3

    def __init__(self, n_latent: int, style_dim: int, feature: torch.Tensor) -> None:
        super().__init__()
        self.shape, self.feature = (n_latent, style_dim), feature

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        return image

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(len(x), *self.shape), self.feature.expand(len(x), -1, -1, -1)


def test_fixed_point_terms_vanish_for_an_encoder_that_stays_on_the_answer():
    G = tiny_generator(size=32, style_dim=64)
    w = G.sample_w(3, seed=1).unsqueeze(1).repeat(1, G.n_latent, 1)
    feature = G.features(w[:1], 3)
    answer = InversionResult(w, feature.expand(3, -1, -1, -1), G.synthesize(w))
    x = answer.image
    terms = fixed_point_loss(StubEncoder(G.n_latent, G.style_dim, feature), x, answer, answer)
    assert terms["fixed_stay"].item() == 0 and terms["fixed_land"].item() == 0
    # from a neighbour elsewhere, a zero step misses the answer by exactly the latent gap
    moved = InversionResult(w + 0.5, answer.feature, x)
    terms = fixed_point_loss(StubEncoder(G.n_latent, G.style_dim, feature), x, answer, moved)
    assert terms["fixed_stay"].item() == 0 and terms["fixed_land"].item() == pytest.approx(0.25)


def test_fixed_point_term_is_logged_and_descends_on_a_fixed_batch(tmp_path, small_faces):
    t = trainer(tmp_path, small_faces[:4], real_fraction=0.5, warm_prob=0.0, batch_size=4, fixed_point=1.0)
    stats = t.train_step()
    assert {"fixed_stay", "fixed_land"} <= set(stats)
    torch.manual_seed(5)
    x, w_true, n_real = t._batch()
    with torch.no_grad():
        answer = t._answer(x, w_true, n_real, Inverter(t.G, t.E).invert(x, steps=2))
    neighbour = t._neighbour(x)
    optim = torch.optim.Adam(t.E.parameters(), lr=1e-3)
    terms = []
    for _ in range(20):
        optim.zero_grad()
        loss = sum(fixed_point_loss(t.E, x, answer, neighbour).values())
        loss.backward()
        optim.step()
        terms.append(loss.item())
    assert terms[-1] < 0.5 * terms[0]


def test_fine_tuning_starts_from_an_encoder_file(tmp_path, small_faces):
    first = trainer(tmp_path / "a", small_faces)
    first.train_step()
    first.save()
    second = trainer(tmp_path / "b", small_faces, init_encoder=str(tmp_path / "a" / ENCODER_NAME))
    a, b = first.E.state_dict(), second.E.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
