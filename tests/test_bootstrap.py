"""Encoder bootstrapping (`--init-encoder`, ReStyle sec. 5.5): one encoder's inversion is where another
encoder's refinement starts, at every cold start of a video; the two must share the generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from _fixtures_enc import (FSE_TEST_INPUT, RESTYLE_TEST_INPUT, encoder_generator, fse_encoder, hyperinverter_checkpoint,
                           restyle_checkpoint, restyle_encoder)
from model_factories import random_generator
from vidinvert.api import invert_video
from vidinvert.cli import cli, main
from vidinvert.config import RunConfig
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.demo.paths import ENCODER_FILE
from vidinvert.errors import VidinvertError
from vidinvert.invert import BootstrappedInverter, Inverter, SequenceInverter, bootstrap
from vidinvert.loading import load_init_encoder
from vidinvert.models import LoadedModels, load_encoder
from vidinvert.pipeline.invert_stage import make_sequence_inverter


@pytest.fixture(scope="module")
def bundled() -> LoadedModels:
    return load_default_models("cpu")


@pytest.fixture(scope="module")
def photos(shared_data) -> torch.Tensor:
    """Two real aligned portraits at the bundled generator's 64 px, in [-1, 1]."""
    folder = shared_data / "faces" / "celebahq"
    names = ("ref_female_015248.jpg", "ref_male_012712.jpg")
    images = [np.asarray(Image.open(folder / name).convert("RGB").resize((64, 64), Image.LANCZOS)) for name in names]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


@pytest.fixture(scope="module")
def restyle_for_bundled(bundled, tmp_path_factory) -> Path:
    """A random-weight ReStyle pSp file (ResNet34) for the bundled generator, which it stores as its decoder."""
    path = tmp_path_factory.mktemp("init") / "restyle_psp.pt"
    E = restyle_encoder("resnet34", progressive=False, n_styles=bundled.G.n_latent, seed=3)
    torch.save(restyle_checkpoint(E, "ResNetBackboneEncoder", bundled.G), path)
    return path


@pytest.fixture(scope="module")
def clip(bundled, tmp_path_factory) -> Path:
    return render_demo_clip(bundled.G, tmp_path_factory.mktemp("clip") / "talk.mp4", seconds=0.2, fps=25, size=256)


# ----------------------------------------------------------------------------- the inversion


def test_bootstrapped_inversion_is_the_two_stage_computation(bundled, restyle_for_bundled, photos):
    main_inverter = Inverter(bundled.G, bundled.E)
    first = Inverter(bundled.G, load_init_encoder(restyle_for_bundled, bundled.G))
    manual = main_inverter.invert(photos, 2, init=first.invert(photos, 3))
    for result in (BootstrappedInverter(first, main_inverter, 3).invert(photos, 2),
                   bootstrap(first, main_inverter, photos, first_steps=3, steps=2)):
        assert torch.equal(result.wplus, manual.wplus) and torch.equal(result.image, manual.image)
        assert torch.equal(result.feature, manual.feature)  # the main encoder's own feature tensor
    plain = main_inverter.invert(photos, 2)
    assert (manual.wplus - plain.wplus).abs().max() > 0.1  # the start matters


def test_the_bundled_encoder_as_its_own_init_is_more_steps_of_it(bundled, photos):
    """A's 3 steps then A's 2 from there are A's 5 steps, bit for bit: a step reads only the target and
    the current latents and reconstruction, and the bootstrapped start is exactly that state."""
    A = Inverter(bundled.G, bundled.E)
    boot = BootstrappedInverter(A, A, 3).invert(photos, 2)
    five = A.invert(photos, 5)
    assert torch.equal(boot.wplus, five.wplus) and torch.equal(boot.feature, five.feature)
    assert torch.equal(boot.image, five.image)


def test_warm_frames_start_from_the_previous_frame_and_cold_ones_from_the_init(bundled, restyle_for_bundled, photos):
    main_inverter = Inverter(bundled.G, bundled.E)
    first = Inverter(bundled.G, load_init_encoder(restyle_for_bundled, bundled.G))
    sequence = SequenceInverter(BootstrappedInverter(first, main_inverter, 2), first_steps=1, next_steps=1)
    frame0 = sequence.step(photos[:1])
    assert bool(frame0.cold[0])
    assert torch.equal(frame0.result.wplus, main_inverter.invert(photos[:1], 1, init=first.invert(photos[:1], 2)).wplus)
    frame1 = sequence.step(photos[:1])
    assert not bool(frame1.cold[0])
    assert torch.equal(frame1.result.wplus, main_inverter.invert(photos[:1], 1, init=frame0.result).wplus)


def test_official_layouts_combine_with_and_without_feature_tensors(tmp_path):
    """Random-weight official files: an e4e ReStyle file starts a 6-channel FeatureStyleEncoder (a feature
    tensor at index 5), and the FSE and a HyperInverter (weight residuals) start a ReStyle pSp; the
    result always has the main encoder's parts only."""
    G = encoder_generator()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    e4e_path, psp_path, fse_path, hyper_path = (tmp_path / n for n in ("e4e.pt", "psp.pt", "fse.pth", "hyper.pt"))
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=True, seed=1),
                                  "ResNetProgressiveBackboneEncoder", G), e4e_path)
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False, seed=2), "ResNetBackboneEncoder", G),
               psp_path)
    torch.save({"n_epoch": 1, "enc_state_dict": fse_encoder(n_styles=G.n_latent, in_channels=6, seed=4).state_dict()},
               fse_path)
    torch.save(hyperinverter_checkpoint(G), hyper_path)
    e4e = Inverter(G, load_init_encoder(e4e_path, G))
    psp = Inverter(G, load_encoder(psp_path, input_size=RESTYLE_TEST_INPUT))
    fse = Inverter(G, load_encoder(fse_path, input_size=FSE_TEST_INPUT))
    hyper = Inverter(G, load_init_encoder(hyper_path, G))

    with_feature = bootstrap(e4e, fse, x, first_steps=2, steps=1)
    assert with_feature.wplus.shape == (2, G.n_latent, 512) and with_feature.image.shape == (2, 3, 32, 32)
    assert with_feature.feature.shape == (2, *G.feature_shape(5))
    without = bootstrap(fse, psp, x, first_steps=1, steps=2)
    assert without.feature is None and without.weight_deltas is None
    from_hyper = bootstrap(hyper, psp, x, first_steps=1, steps=1)
    assert hyper.invert(x, 1).weight_deltas is not None and from_hyper.weight_deltas is None
    assert torch.isfinite(from_hyper.image).all()
    with pytest.raises(VidinvertError, match="cannot refine"):
        BootstrappedInverter(psp, hyper)  # a one-pass main encoder would ignore the start


def test_the_pipeline_clamps_init_steps_to_what_the_init_encoder_runs(tmp_path):
    G = encoder_generator()
    torch.save(hyperinverter_checkpoint(G), tmp_path / "hyper.pt")
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False), "ResNetBackboneEncoder", G),
               tmp_path / "psp.pt")
    main_encoder = load_encoder(tmp_path / "psp.pt", input_size=RESTYLE_TEST_INPUT)
    sequence = make_sequence_inverter(G, main_encoder, RunConfig.from_options(init_steps=5).invert,
                                      load_init_encoder(tmp_path / "hyper.pt", G))
    assert isinstance(sequence.inverter, BootstrappedInverter) and sequence.inverter.first_steps == 1


# ----------------------------------------------------------------------------- mismatches


def test_an_init_encoder_for_another_generator_is_refused(bundled, tmp_path):
    other = random_generator(64, 512, {4: 32, 8: 32, 16: 32, 32: 32, 64: 32}, seed=9)
    path = tmp_path / "other.pt"
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False, n_styles=10), "ResNetBackboneEncoder",
                                  other), path)
    with pytest.raises(VidinvertError, match="generator stored in it differs"):
        load_init_encoder(path, bundled.G)
    fewer = tmp_path / "fewer.pt"
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False, n_styles=8), "ResNetBackboneEncoder",
                                  encoder_generator()), fewer)
    with pytest.raises(VidinvertError, match="predicts 8 latents"):
        load_init_encoder(fewer, bundled.G)
    with pytest.raises(VidinvertError, match="same generator"):
        BootstrappedInverter(Inverter(other, bundled.E), Inverter(bundled.G, bundled.E))


def test_config_refuses_zero_init_steps():
    with pytest.raises(VidinvertError, match="--init-steps"):
        RunConfig.from_options(init_steps=0)


# ----------------------------------------------------------------------------- the commands


def test_invert_with_an_init_encoder_runs_and_differs_from_the_plain_run(clip, restyle_for_bundled, tmp_path):
    plain, boot = tmp_path / "plain.npz", tmp_path / "boot.npz"
    assert main(["invert", str(clip), "-o", str(tmp_path / "plain.mp4"), "--save-latents", str(plain), "-q"]) == 0
    assert main(["invert", str(clip), "-o", str(tmp_path / "boot.mp4"), "--save-latents", str(boot), "-q",
                 "--init-encoder", str(restyle_for_bundled), "--init-steps", "2"]) == 0
    a, b = np.load(plain), np.load(boot)
    assert a["cold"].tolist() == b["cold"].tolist() == [True, False, False, False, False]
    # the pipeline is deterministic (the next test gets bit-identical latents from two routes), so any
    # difference is the start's; 1e-3 is far above float32 rounding of latents of size ~1
    assert np.abs(a["wplus"] - b["wplus"]).max() > 1e-3
    assert (tmp_path / "boot.mp4").is_file()


def test_the_bundled_encoder_as_its_own_init_gives_the_plain_run_with_more_steps(bundled, clip, tmp_path):
    """--init-steps 3 then --steps 2 of the same encoder is --steps 5: the same latents on every frame."""
    plain = invert_video(clip, tmp_path / "plain.mp4", models=bundled, steps=5, save_latents=tmp_path / "a.npz",
                         quiet=True)
    boot = invert_video(clip, tmp_path / "boot.mp4", models=bundled, steps=2, init_encoder=ENCODER_FILE,
                        init_steps=3, save_latents=tmp_path / "b.npz", quiet=True)
    assert plain.cold_starts == boot.cold_starts == 1
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert np.array_equal(a["wplus"], b["wplus"]) and np.array_equal(a["feature"], b["feature"])


def test_a_mismatched_init_encoder_is_a_one_line_error(bundled, clip, tmp_path, capsys):
    path = tmp_path / "other.pt"
    other = random_generator(64, 512, {4: 32, 8: 32, 16: 32, 32: 32, 64: 32}, seed=9)
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False, n_styles=10), "ResNetBackboneEncoder",
                                  other), path)
    out = tmp_path / "out.mp4"
    for argv in (["--init-encoder", str(path)], ["--init-encoder", str(tmp_path / "missing.pt")]):
        code = main(["invert", str(clip), "-o", str(out), *argv])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 1 and len(lines) == 1 and "--init-encoder" in lines[0], err
        assert "Traceback" not in err and not out.exists()


def test_both_init_encoder_options_say_what_they_are():
    run_help = next(p.help for p in cli.commands["invert"].params if p.name == "init_encoder")
    train_help = next(p.help for p in cli.commands["train"].commands["encoder"].params if p.name == "init_encoder")
    assert "cold start" in run_help and "fine-tuning" in run_help
    assert "fine-tuning" in train_help and "bootstrapping" in train_help
    assert "init_encoder" in {p.name for p in cli.commands["edit"].params}
