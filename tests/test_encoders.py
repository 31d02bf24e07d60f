"""Backbones and encoders in the official layouts: keys, shapes, loading each format unchanged."""

from __future__ import annotations

import pytest
import torch

from _fixtures_enc import FSE_TEST_INPUT, RESTYLE_TEST_INPUT, encoder_generator, fse_encoder, restyle_checkpoint, restyle_encoder
from vidinvert.errors import WeightsError
from vidinvert.models import EncoderConfig, Generator, build_vidinvert_encoder, load_encoder, load_generator, save_encoder
from vidinvert.models.fse import fse_prepare
from vidinvert.models.ir_se import ir_se50_body
from vidinvert.models.iresnet import iresnet50
from vidinvert.models.restyle import ReStyleEncoder
from vidinvert.models.resnet import resnet34_body


@pytest.fixture(scope="module")
def G():
    return encoder_generator()


@pytest.fixture(scope="module")
def image():
    torch.manual_seed(3)
    return torch.rand(1, 3, FSE_TEST_INPUT, FSE_TEST_INPUT) * 2 - 1


def shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


# ----------------------------------------------------------------------------- backbones


def test_iresnet50_has_insightface_keys():
    s = shapes(iresnet50())
    assert [sum(1 for k in s if k.startswith(f"layer{i}.") and k.endswith(".conv1.weight")) for i in range(1, 5)] == [3, 4, 14, 3]
    assert s["conv1.weight"] == (64, 3, 3, 3) and s["prelu.weight"] == (64,)
    assert s["layer1.0.downsample.0.weight"] == (64, 64, 1, 1)
    assert s["layer3.0.conv2.weight"] == (256, 256, 3, 3) and s["layer3.1.bn3.running_var"] == (256,)
    assert "layer3.1.downsample.0.weight" not in s
    assert s["fc.weight"] == (512, 512 * 49) and s["features.weight"] == (512,)


def test_ir_se50_body_has_24_units_with_official_names():
    s = shapes(ir_se50_body())
    units = {int(k.split(".")[0]) for k in s}
    assert units == set(range(24))
    assert "0.shortcut_layer.0.weight" not in s  # same channels: a strided max-pool
    assert s["3.shortcut_layer.0.weight"] == (128, 64, 1, 1)
    assert s["3.res_layer.1.weight"] == (128, 64, 3, 3) and s["3.res_layer.3.weight"] == (128, 128, 3, 3)
    assert s["23.res_layer.5.fc1.weight"] == (32, 512, 1, 1) and s["23.res_layer.5.fc2.weight"] == (512, 32, 1, 1)
    out = ir_se50_body().eval()(torch.randn(1, 64, 64, 64))
    assert out.shape == (1, 512, 4, 4)


def test_resnet34_body_has_torchvision_block_keys():
    s = shapes(resnet34_body())
    assert {int(k.split(".")[0]) for k in s} == set(range(16))
    assert s["3.downsample.0.weight"] == (128, 64, 1, 1) and s["3.conv1.weight"] == (128, 64, 3, 3)
    assert s["15.bn2.weight"] == (512,) and "0.downsample.0.weight" not in s


def test_restyle_encoder_types_have_official_layout():
    psp = shapes(ReStyleEncoder("ir_se50", False, n_styles=2))
    assert psp["input_layer.0.weight"] == (64, 6, 3, 3)
    assert [k for k in psp if k.startswith("styles.1.")] == [
        "styles.1.convs.0.weight", "styles.1.convs.0.bias", "styles.1.convs.2.weight", "styles.1.convs.2.bias",
        "styles.1.convs.4.weight", "styles.1.convs.4.bias", "styles.1.convs.6.weight", "styles.1.convs.6.bias",
        "styles.1.linear.weight", "styles.1.linear.bias",
    ]
    resnet = shapes(ReStyleEncoder("resnet34", True, n_styles=2))
    assert resnet["conv1.weight"] == (64, 6, 7, 7) and resnet["relu.weight"] == (64,)
    assert not any(k.startswith("input_layer") for k in resnet)


def test_fse_layout_matches_the_official_file_description():
    s = shapes(fse_encoder(n_styles=18, input_size=256))
    assert s["conv.0.weight"] == (64, 3, 3, 3) and s["conv.2.weight"] == (64,)
    assert s["content_layer.0.weight"] == (256,) and s["content_layer.1.weight"] == (512, 256, 3, 3)
    assert s["content_layer.3.weight"] == (512,) and s["content_layer.4.weight"] == (512, 512, 3, 3)
    assert s["styles.17.weight"] == (512, 8640) and "styles.18.weight" not in s
    assert s["block_4.0.downsample.0.weight"] == (512, 256, 1, 1) and s["block_3.13.bn3.weight"] == (256,)


def test_fse_input_convention_halves_1024_twice():
    x = torch.rand(1, 3, 1024, 1024)
    out = fse_prepare(x)
    assert out.shape == (1, 3, 256, 256)
    # two bilinear halvings of an even-sized image are a 4x4 box average
    assert torch.allclose(out, torch.nn.functional.avg_pool2d(x, 4), atol=1e-6)
    assert fse_prepare(torch.rand(1, 3, 300, 300)).shape == (1, 3, 256, 256)


# ----------------------------------------------------------------------------- loading files


def test_fse_state_dict_loads_unchanged(tmp_path, G, image):
    source = fse_encoder(n_styles=G.n_latent, seed=1)
    path = tmp_path / "143_enc.pth"
    torch.save(source.state_dict(), path)
    psp_file = tmp_path / "psp_ffhq_encode.pt"
    latent_avg = torch.randn(G.n_latent, 512)
    torch.save({"state_dict": {}, "opts": {}, "latent_avg": latent_avg}, psp_file)

    E = load_encoder(path, latent_avg=psp_file, input_size=FSE_TEST_INPUT)
    assert E.kind == "fse" and E.in_channels == 3 and not E.residual and E.n_styles == G.n_latent
    assert "FeatureStyleEncoder state_dict" in E.source and "3-channel" in E.source
    assert torch.equal(E.latent_avg, latent_avg)
    with torch.no_grad():
        delta, feature = E(E.prepare(image))
        ref_delta, ref_feature = source(image)
    assert delta.shape == (1, G.n_latent, 512) and feature.shape == (1, 512, 16, 16)
    assert torch.allclose(delta, ref_delta, atol=1e-5) and torch.allclose(feature, ref_feature, atol=1e-5)


def test_fse_video_input_stem_is_read_from_a_training_checkpoint(tmp_path, G):
    path = tmp_path / "checkpoint.pth"
    torch.save({"n_epoch": 3, "enc_state_dict": fse_encoder(n_styles=G.n_latent, in_channels=6).state_dict()}, path)
    E = load_encoder(path, input_size=FSE_TEST_INPUT)
    assert E.kind == "fse" and E.in_channels == 6 and E.residual
    assert "training checkpoint" in E.source and "video-input" in E.source


@pytest.mark.parametrize(
    ("encoder_type", "backbone", "progressive", "kind"),
    [("BackboneEncoder", "ir_se50", False, "restyle-psp"), ("ResNetProgressiveBackboneEncoder", "resnet34", True, "restyle-e4e")],
)
def test_restyle_checkpoint_loads_unchanged(tmp_path, G, image, encoder_type, backbone, progressive, kind):
    source = restyle_encoder(backbone, progressive, n_styles=G.n_latent, seed=2)
    checkpoint = restyle_checkpoint(source, encoder_type, G)
    path = tmp_path / "restyle.pt"
    torch.save(checkpoint, path)

    E = load_encoder(path, input_size=RESTYLE_TEST_INPUT)
    assert E.kind == kind and E.n_styles == G.n_latent and E.in_channels == 6
    assert E.opts["device"] == "cpu" and E.opts["encoder_type"] == encoder_type
    assert encoder_type in E.source
    assert torch.equal(E.latent_avg, checkpoint["latent_avg"])
    x = E.prepare(torch.cat([image, image.flip(-1)], dim=1))
    with torch.no_grad():
        delta, feature = E(x)
        ref, _ = source(x)
    assert feature is None and delta.shape == (1, G.n_latent, 512)
    assert torch.allclose(delta, ref, atol=1e-5)
    # the same file also yields the generator
    G2 = load_generator(path)
    w = G.latent_avg.expand(1, G.n_latent, -1)
    assert torch.allclose(G2.synthesize(w), G.synthesize(w), atol=1e-5)


def test_e4e_progressive_broadcasts_style_zero():
    E = restyle_encoder("resnet34", progressive=True, n_styles=4, seed=4)
    x = torch.randn(1, 6, 64, 64)
    with torch.no_grad():
        out, _ = E(x)
        features = E.body(E.relu(E.bn1(E.conv1(x))))
        base = E.styles[0](features)
        expected = torch.stack([base] + [base + E.styles[i](features) for i in range(1, 4)], dim=1)
    assert torch.allclose(out, expected, atol=1e-5)


def test_vidinvert_encoder_round_trip(tmp_path, G, image):
    config = EncoderConfig.for_generator(G, input_size=FSE_TEST_INPUT)
    assert (config.n_latent, config.feature_size, config.feature_channels, config.fs_stride) == (8, 16, 512, 1)
    source = build_vidinvert_encoder(config).eval()
    path = save_encoder(source, tmp_path / "enc.pt", latent_avg=torch.zeros(8, 512))
    assert not list(tmp_path.glob("*.tmp"))
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "vidinvert-encoder" and raw["version"] == 1 and raw["config"]["generator_size"] == 32
    assert raw["state_dict"]["conv.0.weight"].shape == (64, 6, 3, 3)

    E = load_encoder(path)
    assert E.kind == "vidinvert" and E.residual and E.config == config
    x = torch.cat([image, -image], dim=1)
    with torch.no_grad():
        assert torch.allclose(E(x)[0], source(x)[0], atol=1e-5)

    raw["version"] = 2
    torch.save(raw, tmp_path / "future.pt")
    with pytest.raises(WeightsError, match="version 2 is not supported"):
        load_encoder(tmp_path / "future.pt")


def test_config_for_a_1024_generator_matches_fse():
    config = EncoderConfig.for_generator(Generator(1024, n_mlp=1, channel_multiplier=1))
    assert (config.n_latent, config.feature_size, config.feature_channels, config.fs_stride) == (18, 16, 512, 2)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_bad_files_raise_one_line_weights_errors(tmp_path, G):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80" + b"not a checkpoint" * 8)
    with pytest.raises(WeightsError, match="corrupt") as info:
        load_encoder(corrupt)
    assert "\n" not in str(info.value)
    with pytest.raises(WeightsError, match="not found"):
        load_encoder(tmp_path / "missing.pt")
    unknown = tmp_path / "unknown.pt"
    torch.save({"something": torch.zeros(2)}, unknown)
    with pytest.raises(WeightsError, match="unknown weights format"):
        load_encoder(unknown)
    generator_file = tmp_path / "g.pt"
    torch.save({"g_ema": G.state_dict(), "latent_avg": G.latent_avg}, generator_file)
    with pytest.raises(WeightsError, match="generator file, not an encoder"):
        load_encoder(generator_file)
    broken = fse_encoder(n_styles=2).state_dict()
    broken["content_layer.1.weight"] = torch.zeros(512, 128, 3, 3)
    torch.save(broken, tmp_path / "broken.pth")
    with pytest.raises(WeightsError, match="do not match"):
        load_encoder(tmp_path / "broken.pth")
    restyle = {"state_dict": {"encoder.conv1.weight": torch.zeros(1)}, "opts": {"encoder_type": "GradualStyleEncoder"}}
    torch.save(restyle, tmp_path / "psp.pt")
    with pytest.raises(WeightsError, match="GradualStyleEncoder"):
        load_encoder(tmp_path / "psp.pt")
