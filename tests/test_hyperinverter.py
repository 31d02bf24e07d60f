"""HyperInverter checkpoints: official layout, the reference forward, per-sample weight residuals
in the generator, and edits that keep the predicted weights."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from _fixtures_enc import encoder_generator, hyperinverter_checkpoint
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.invert import Inverter
from vidinvert.models import load_encoder, load_generator

# The official tables for a 32 px generator, written out: which W-bar code each target reads
# (models/weight_shapes.py) and where each stylegan2-ada layer lives in the rosinality generator.
CODE_INDEX = {"b4.conv1": 0, "b4.torgb": 1, "b8.conv0": 2, "b8.conv1": 3, "b8.torgb": 3, "b16.conv0": 4,
              "b16.conv1": 5, "b16.torgb": 5, "b32.conv0": 6, "b32.conv1": 7, "b32.torgb": 7}
OUR_LAYER = {"b4.conv1": "conv1", "b4.torgb": "to_rgb1", "b8.conv0": "convs.0", "b8.conv1": "convs.1",
             "b8.torgb": "to_rgbs.0", "b16.conv0": "convs.2", "b16.conv1": "convs.3", "b16.torgb": "to_rgbs.1",
             "b32.conv0": "convs.4", "b32.conv1": "convs.5", "b32.torgb": "to_rgbs.2"}


@pytest.fixture(scope="module")
def G():
    return encoder_generator()


@pytest.fixture(scope="module")
def checkpoint(G):
    return hyperinverter_checkpoint(G)


@pytest.fixture(scope="module")
def E(G, checkpoint, tmp_path_factory):
    path = tmp_path_factory.mktemp("hi") / "hyper_inverter_ffhq.pt"
    torch.save(checkpoint, path)
    return load_encoder(path)


@pytest.fixture(scope="module")
def x():
    torch.manual_seed(4)
    return torch.rand(2, 3, 64, 64) * 2 - 1


def official_name(key: str) -> tuple[str, str]:
    """'b8_conv0_affine_weight' -> ('b8.conv0', 'conv.modulation.weight')."""
    parts = key.split("_")
    return ".".join(parts[:2]), "conv.modulation.weight" if parts[2] == "affine" else "conv.weight"


@torch.no_grad()
def reference(E, G, x, edit=None):
    """HyperInverter.forward as the official code runs it, with each sample rendered by its own copy of G."""
    x = F.interpolate(x, size=(256, 256), mode="bilinear", align_corners=False)
    w = (E.w_encoder(x) + G.latent_avg).unsqueeze(1).repeat(1, G.n_latent, 1)
    w_images = G.synthesize(w, noise="stored")
    w_bar_codes = E.w_bar_encoder(x)
    w_image_codes = E.w_bar_encoder(F.interpolate(w_images, size=(256, 256), mode="bilinear", align_corners=False))
    deltas = {}
    for key, reg in E.hypernet.weight_regressors.items():
        layer, part = official_name(key)
        i = CODE_INDEX[layer]
        out = reg.feature_extractor(reg.fusion(torch.cat((w_image_codes[:, i], w_bar_codes[:, i]), 1))).view(len(x), -1)
        out = (out @ reg.w1 + reg.b1).view(len(x), reg.w1.shape[1] // reg.w1.shape[0], reg.w1.shape[0])
        delta = (out @ reg.w2 + reg.b2).view(len(x), *reg.shape)
        deltas[f"{OUR_LAYER[layer]}.{part}"] = delta.flatten(2) if "modulation" in part else delta
    latents = w if edit is None else w + edit
    images = []
    for b in range(len(x)):
        Gb = copy.deepcopy(G)
        params = dict(Gb.named_parameters())
        for name, delta in deltas.items():
            params[name] += delta[b] if "modulation" in name else delta[b].unsqueeze(0)
        images.append(Gb.synthesize(latents[b:b + 1], noise="stored")[0])
    return w, deltas, torch.stack(images)


def test_checkpoint_has_the_official_keys_and_shapes(checkpoint):
    state = checkpoint["state_dict"]
    assert state["hypernet.weight_regressors.b16_conv1_weight.w1"].shape == (16, 512 * 16)
    assert state["hypernet.weight_regressors.b16_conv1_weight.w2"].shape == (16, 512 * 9)
    assert state["hypernet.weight_regressors.b4_torgb_affine_weight.w2"].shape == (16, 32)
    assert state["hypernet.weight_regressors.b8_conv0_weight.fusion.0.weight"].shape == (512, 1024, 1, 1)
    assert state["hypernet.weight_regressors.b8_conv0_weight.feature_extractor.6.weight"].shape == (16, 64, 4, 4)
    assert state["w_bar_encoder.styles.7.convs.4.weight"].shape == (512, 512, 3, 3)
    assert "w_bar_encoder.styles.6.convs.2.weight" in state and "w_bar_encoder.styles.6.convs.4.weight" not in state
    assert "w_bar_encoder.styles.2.convs.0.weight" in state and "w_bar_encoder.styles.2.convs.2.weight" not in state
    assert state["w_bar_encoder.latlayer1.weight"].shape == (512, 256, 1, 1)
    assert state["w_encoder.linear.weight"].shape == (512, 512) and state["w_encoder.conv1.weight"].shape == (64, 3, 7, 7)


def test_loads_with_kind_styles_and_no_average_latent(E, G):
    assert E.kind == "hyperinverter" and E.n_styles == G.n_latent and E.latent_avg is None and not E.residual
    assert set(E.weight_delta_shapes()) == {f"{OUR_LAYER[k]}.{p}" for k in OUR_LAYER
                                            for p in ("conv.weight", "conv.modulation.weight")}


def test_inversion_reproduces_the_reference_forward(E, G, x):
    result = Inverter(G, E).invert(x, steps=1, return_steps=True)
    w, deltas, images = reference(E, G, x)
    assert torch.allclose(result.wplus, w, atol=1e-5)  # the W code on every layer, centred on w_avg
    assert set(result.weight_deltas) == set(deltas)
    for name, delta in deltas.items():
        # the same float32 ops in the same order: 1e-4 of each residual's scale
        assert (result.weight_deltas[name] - delta).abs().max() <= 1e-4 * delta.abs().max(), name
    assert (result.image - images).abs().max() < 1e-4 * images.abs().max()
    assert (result.image - G.synthesize(result.wplus)).abs().max() > 0.1  # the residuals matter
    assert result.steps[-1].weight_deltas is result.weight_deltas


def test_edits_keep_the_predicted_weights(E, G, x):
    result = Inverter(G, E).invert(x, steps=1)
    torch.manual_seed(6)
    edit = 2.0 * torch.randn(1, 1, 512)
    edited = G.synthesize(result.wplus + edit, noise="stored", weight_deltas=result.weight_deltas)
    _, _, want = reference(E, G, x, edit=edit)
    assert (edited - want).abs().max() < 1e-4 * want.abs().max()
    assert (edited - G.synthesize(result.wplus + edit)).abs().max() > 0.1


def test_results_carry_their_residuals_through_select_and_put(E, G, x):
    result = Inverter(G, E).invert(x, steps=1)
    second = result.select(torch.tensor([1]))
    assert torch.equal(second.weight_deltas["conv1.conv.weight"][0], result.weight_deltas["conv1.conv.weight"][1])
    swapped = result.put(torch.tensor([0]), second)
    assert torch.equal(swapped.weight_deltas["convs.3.conv.weight"][0], result.weight_deltas["convs.3.conv.weight"][1])
    assert torch.equal(swapped.wplus[0], result.wplus[1])
    with pytest.raises(ValueError, match="weight residuals"):
        result.put(torch.tensor([0]), Inverter(G, E).invert(x[:1], steps=0))


def test_synthesize_refuses_unknown_or_misshaped_residuals(G):
    w = G.latent_avg.expand(2, G.n_latent, -1)
    with pytest.raises(ValueError, match="'style.1.weight' is not a modulated convolution weight"):
        G.synthesize(w, weight_deltas={"style.1.weight": torch.zeros(2, 512, 512)})
    with pytest.raises(ValueError, match=r"must be \(2, 32, 32, 3, 3\)"):
        G.synthesize(w, weight_deltas={"conv1.conv.weight": torch.zeros(1, 32, 32, 3, 3)})


def test_mismatched_generator_and_incomplete_files_are_refused(E, checkpoint, tmp_path):
    other = encoder_generator()
    other.conv1.conv.weight = torch.nn.Parameter(torch.zeros(1, 32, 32, 1, 1))
    with pytest.raises(VidinvertError, match="conv1.conv.weight"):
        Inverter(other, E)
    with pytest.raises(WeightsError, match="holds no generator; pass the stylegan2-ada network pickle"):
        load_generator("hyper_inverter_ffhq.pt", checkpoint=checkpoint)
    broken = {"state_dict": {k: v for k, v in checkpoint["state_dict"].items() if not k.startswith("w_encoder.")},
              "opts": checkpoint["opts"]}
    torch.save(broken, tmp_path / "no_w.pt")
    with pytest.raises(WeightsError, match="phase-1 W encoder") as info:
        load_encoder(tmp_path / "no_w.pt")
    assert "\n" not in str(info.value)
