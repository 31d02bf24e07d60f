"""E2Style inversion checkpoints: official layout, each stage against the reference forward, warm
starts through the refine stages, and refusal of the non-inversion tasks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from _fixtures_enc import E2STYLE_TEST_INPUT, e2style_checkpoint, e2style_generator
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.invert import Inverter
from vidinvert.models import load_encoder, load_generator


@pytest.fixture(scope="module")
def G():
    return e2style_generator()


@pytest.fixture(scope="module")
def checkpoint(G):
    """Three official-size stages (about 1.2 GB): passed in memory rather than through a file."""
    return e2style_checkpoint(G)


@pytest.fixture(scope="module")
def E(checkpoint):
    return load_encoder("e2style_inversion.pt", input_size=E2STYLE_TEST_INPUT, checkpoint=checkpoint)


@pytest.fixture(scope="module")
def x():
    torch.manual_seed(2)
    return torch.rand(1, 3, 128, 128) * 2 - 1


def head(stage, name: str, feature: torch.Tensor, n_latents: int) -> torch.Tensor:
    bn, _, _, linear = getattr(stage, name)
    y = F.batch_norm(feature, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    y = F.adaptive_avg_pool2d(y, 7).flatten(1)
    return F.linear(y, linear.weight, linear.bias).view(-1, n_latents, 512)


@torch.no_grad()
def reference_stage(stage, x: torch.Tensor) -> torch.Tensor:
    """BackboneEncoderFirstStage/RefineStage.forward: heads on the outputs of units 2, 6 and 20."""
    x = stage.input_layer(x)
    for unit in stage.body[:3]:
        x = unit(x)
    part4 = head(stage, "output_layer_5", x, 4)
    for unit in stage.body[3:7]:
        x = unit(x)
    part3 = head(stage, "output_layer_4", x, 5)
    for unit in stage.body[7:21]:
        x = unit(x)
    part2 = head(stage, "output_layer_3", x, 9)
    return torch.cat((part2, part3, part4), dim=1)


def pool(image: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(image, E2STYLE_TEST_INPUT)


def test_checkpoint_layout_and_loading(E, checkpoint, G):
    state = checkpoint["state_dict"]
    assert state["encoder_firststage.input_layer.0.weight"].shape == (64, 3, 3, 3)
    assert state["encoder_refinestage_list.1.input_layer.0.weight"].shape == (64, 6, 3, 3)
    assert state["encoder_firststage.output_layer_3.3.weight"].shape == (4608, 12544)
    assert state["encoder_firststage.output_layer_4.3.weight"].shape == (2560, 6272)
    assert state["encoder_firststage.output_layer_5.3.weight"].shape == (2048, 3136)
    assert "encoder_firststage.body.23.res_layer.5.fc2.weight" in state  # present, though never run
    assert E.kind == "e2style" and E.n_stages == 3 and E.n_styles == 18 and E.residual
    assert torch.equal(E.latent_avg, checkpoint["latent_avg"]) and E.opts["device"] == "cpu"
    w = G.latent_avg.expand(1, 18, -1)
    decoder = load_generator("e2style_inversion.pt", checkpoint=checkpoint)
    assert torch.equal(decoder.synthesize(w, resolution=32), G.synthesize(w, resolution=32))


def test_every_stage_matches_the_reference_forward(E, G, x):
    result = Inverter(G, E).invert(x, steps=3, return_steps=True)
    assert len(result.steps) == 4
    target = F.adaptive_avg_pool2d(x, E2STYLE_TEST_INPUT)
    codes = E.latent_avg + reference_stage(E.encoder_firststage, target)
    image = G.synthesize(codes, noise="stored")
    stages = [(codes, image)]
    for refine in E.encoder_refinestage_list:
        codes = codes + reference_stage(refine, torch.cat((target, pool(image)), dim=1))
        image = G.synthesize(codes, noise="stored")
        stages.append((codes, image))
    for step, (codes, image) in zip(result.steps[1:], stages):
        # same float32 math, unit by unit: 1e-4 of each output's scale
        assert (step.wplus - codes).abs().max() < 1e-4 * codes.abs().max()
        assert step.image.shape == (1, 3, 1024, 1024)
        assert (step.image - image).abs().max() < 1e-4 * image.abs().max()
    assert not torch.allclose(result.steps[1].wplus, result.steps[2].wplus, atol=1e-3)


def test_warm_start_runs_the_refine_stages_only(E, G, x):
    inverter = Inverter(G, E)
    previous = inverter.invert(x, steps=1)
    warm = inverter.invert(x, steps=2, init=previous, return_steps=True)
    target = F.adaptive_avg_pool2d(x, E2STYLE_TEST_INPUT)
    codes, image = previous.wplus, previous.image
    for refine, step in zip(E.encoder_refinestage_list, warm.steps[1:]):
        codes = codes + reference_stage(refine, torch.cat((target, pool(image)), dim=1))
        image = G.synthesize(codes, noise="stored")
        assert (step.wplus - codes).abs().max() < 1e-4 * codes.abs().max()
    with pytest.raises(VidinvertError, match="at most 2 steps"):
        inverter.invert(x, steps=3, init=previous)
    with pytest.raises(VidinvertError, match="3 stages"):
        inverter.invert(x, steps=4)


@pytest.mark.parametrize("task", ["ffhq_colorization", "celebs_sketch_to_face", "celebs_seg_to_face"])
def test_other_e2style_tasks_are_refused_with_one_line(tmp_path, task):
    checkpoint = {"state_dict": {"encoder_firststage.input_layer.0.weight": torch.zeros(64, 3, 3, 3)},
                  "opts": {"dataset_type": task, "training_stage": 1}}
    torch.save(checkpoint, tmp_path / "e2style.pt")
    with pytest.raises(WeightsError, match=f"'{task}' task; only inversion checkpoints") as info:
        load_encoder(tmp_path / "e2style.pt")
    assert "\n" not in str(info.value)
