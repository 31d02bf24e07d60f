"""Restoration training (`train encoder --degrade`): the degradations exactly, a few training steps in
every mode on real faces against clean targets, and the mode recorded in the encoder file."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from _fixtures_train import celeba_small, one_thread, small_faces  # noqa: F401  (fixtures)
from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.errors import VidinvertError
from vidinvert.models import load_encoder, save_generator
from vidinvert.train.data import FaceBatches, to_tensor
from vidinvert.train.degrade import DEGRADATIONS, HOLE_FILL, degrade, fill_holes, hole_masks
from vidinvert.train.encoder import ENCODER_NAME, EncoderTrainConfig, EncoderTrainer

TINY = dict(feature_index=3, input_size=64, backbone="iresnet10-quarter", batch_size=4, refine_steps=2, sample_every=0,
            save_every=0, save_minutes=0, log_every=1000, progress=False, device="cpu")


def batch(seed: int = 0, size: int = 64) -> torch.Tensor:
    return torch.rand(3, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("mode, factor", [("sr4", 4), ("sr8", 8)])
def test_low_resolution_is_a_function_of_the_small_image_alone(mode, factor):
    x = batch()
    out = degrade(x, mode)
    assert out.shape == x.shape
    # the area average of every factor x factor block is all that survives: change the pixels inside
    # each block keeping its mean (add a zero-mean checkerboard) and the output does not move
    checker = torch.ones(factor, factor)
    checker[::2, 1::2] = checker[1::2, ::2] = -1
    wiggle = 0.1 * checker.repeat(64 // factor, 64 // factor)
    same_small = x + wiggle
    assert torch.allclose(F.avg_pool2d(same_small, factor), F.avg_pool2d(x, factor), atol=1e-6)  # float32 sums
    assert torch.allclose(degrade(same_small, mode), out, atol=1e-6)
    # and it is that small image brought back up bilinearly
    small = F.avg_pool2d(x, factor)
    assert torch.equal(out, F.interpolate(small, size=(64, 64), mode="bilinear", align_corners=False))
    assert (out - x).abs().mean() > 0.1  # detail is gone


def test_sr4_of_a_16px_image_upsampled_comes_back_to_it():
    small = batch(1, 16)
    big = F.interpolate(small, size=(64, 64), mode="nearest")  # each 16 px pixel a 4x4 block
    assert torch.allclose(F.avg_pool2d(degrade(big, "sr4"), 4), F.avg_pool2d(
        F.interpolate(small, size=(64, 64), mode="bilinear", align_corners=False), 4), atol=1e-6)


def test_gray_has_equal_channels_of_the_luma():
    x = batch()
    out = degrade(x, "gray")
    assert out.shape == x.shape
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert torch.allclose(out[:, 0], luma, atol=1e-6)  # float32 rounding of the weighted sum


def test_inpaint_touches_only_its_holes():
    x = batch()
    holes = hole_masks(len(x), 64, 64, torch.Generator().manual_seed(5))
    assert holes.shape == (3, 1, 64, 64) and holes.dtype == torch.bool
    share = holes.float().mean(dim=(1, 2, 3))
    assert (share > 0.02).all() and (share < 0.8).all()
    out = fill_holes(x, holes)
    inside, outside = holes.expand_as(x), ~holes.expand_as(x)
    assert torch.equal(out[outside], x[outside])
    assert (out[inside] == HOLE_FILL).all()
    # degrade() draws its holes from the generator it is given: the same seed, the same holes
    again = degrade(x, "inpaint", torch.Generator().manual_seed(5))
    assert torch.equal(again, out)


def test_unknown_degradation_is_refused():
    with pytest.raises(VidinvertError, match="unknown degradation 'blur'"):
        degrade(batch(), "blur")
    assert degrade(batch(), None) is not None and torch.equal(degrade(batch(), None), batch())


def trainer(tmp_path, faces, **options) -> EncoderTrainer:
    cfg = EncoderTrainConfig(generator="unused", data="unused", output=str(tmp_path), **{**TINY, **options})
    G = tiny_generator(size=32, style_dim=64)
    return EncoderTrainer(cfg, FaceBatches(faces, seed=cfg.seed), G=G, sample_faces=to_tensor(faces[:4]))


@pytest.mark.parametrize("mode", DEGRADATIONS)
def test_training_steps_in_every_mode_compare_against_the_clean_face(tmp_path, small_faces, mode):
    t = trainer(tmp_path, small_faces, degrade=mode, warm_prob=0.5, fixed_point=0.1)
    seen = []
    prepare = t.E.prepare

    def spy(x):  # what the encoder is given: its target half is the degraded face
        seen.append(x)
        return prepare(x)

    t.E.prepare = spy
    captured = {}
    losses = t._losses

    def spy_losses(x, *rest):  # what the losses compare with: the clean face
        captured["target"] = x
        return losses(x, *rest)

    t._losses = spy_losses
    stats = t.train_step()
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values()) and "fixed_stay" in stats
    clean = captured["target"]
    assert clean.shape[0] == 4
    # the clean targets carry detail the degraded inputs lack: no input seen equals a clean target
    assert not any(x.shape == clean.shape and torch.equal(x, clean) for x in seen)
    evaluation = t.evaluate()
    assert set(evaluation) == {"psnr_1", "psnr_2"}
    assert not torch.equal(t.sample_inputs, t.sample_faces)
    assert t.samples().shape[0] == 4 * len(t.sample_faces)  # targets, degraded, 1 step, all steps
    path = t.save()
    assert path.is_file() and load_encoder(tmp_path / ENCODER_NAME).degrade == mode


def test_a_run_cannot_continue_with_another_degradation(tmp_path, small_faces):
    first = trainer(tmp_path, small_faces, degrade="sr4")
    first.train_step()
    checkpoint = first.save()
    other = trainer(tmp_path, small_faces, degrade="gray")
    with pytest.raises(VidinvertError, match="other degrade"):
        other.load(checkpoint)


def test_cli_records_the_degradation_in_the_encoder_file(tmp_path, celeba_small, capsys):
    G = tiny_generator(size=32, style_dim=64)
    save_generator(G, tmp_path / "g.pt")
    args = ["train", "encoder", "--generator", str(tmp_path / "g.pt"), "--data", str(celeba_small),
            "-o", str(tmp_path / "run"), "--feature-index", "3", "--input-size", "64", "--backbone",
            "iresnet10-quarter", "--batch", "2", "--iters", "1", "--steps", "1", "--sample-every", "0",
            "--n-sample", "2", "--threads", "1", "-q", "--degrade", "sr8"]
    assert main(args) == 0
    assert load_encoder(tmp_path / "run" / ENCODER_NAME).degrade == "sr8"
    assert torch.load(tmp_path / "run" / ENCODER_NAME, weights_only=False)["degrade"] == "sr8"
    capsys.readouterr()
    args[args.index("sr8")] = "blur"
    args[args.index(str(tmp_path / "run"))] = str(tmp_path / "run2")
    assert main(args) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "unknown degradation 'blur'" in lines[0] and "Traceback" not in err
    assert not (tmp_path / "run2" / ENCODER_NAME).exists()
